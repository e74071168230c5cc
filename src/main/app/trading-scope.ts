import type { TradingMode } from '../../shared';
import { defaultPort, IbAdapter, type VenueMetrics } from '../ib';
import { join } from 'node:path';
import { systemClock } from '../clock';
import { withoutCorrelation, type DependencyStatus, type Logger, type Registry } from '../ops';
import { checkWalHeader, openStore, storeFile, VenueMemoryRepository, type Store } from '../store';
import { demoMarketDataLines } from '../sim';
import { JournalRetention, KafkaOutbox, KafkaTopicError, StreamJournal, StreamPublisher, type KafkaOutboxStatus, type StreamMetrics, type StreamSource } from '../transport';
import type { DeskConfig } from './config';
import { refuseLostTradingState } from './data-dir';
import type { Service } from './lifecycle';
import { TradingCore } from './trading-core';

export interface TradingScopeOptions {
  readonly config: DeskConfig;
  readonly logger: Logger;
  readonly venueMetrics: VenueMetrics;
  readonly streamMetrics: StreamMetrics;
  /** Where the Kafka outbox registers its metrics. */
  readonly metrics: Registry;
  /** The mode's stream changed (started, switched or stopped). */
  readonly onStream?: (source: StreamSource | undefined) => void;
  /** The in-process simulator's address in demo mode. */
  readonly demoVenue: () => { host: string; port: number } | undefined;
  readonly onModeChange?: (mode: TradingMode) => void;
}

/**
 * Everything that belongs to one trading mode: its database and its venue connection. Paper and live
 * never share either; switching mode is stop → other database → other endpoint → start (the adapter
 * then verifies the account and resyncs).
 */
export class TradingScope implements Service {
  readonly name = 'trading';
  private current: TradingMode;
  private store: Store | undefined;
  private adapter: IbAdapter | undefined;
  private stream: StreamSource | undefined;
  private outbox: KafkaOutbox | undefined;
  private retention: JournalRetention | undefined;
  private tradingCore: TradingCore | undefined;

  constructor(private readonly options: TradingScopeOptions) {
    this.current = options.config.mode;
  }

  get mode(): TradingMode {
    return this.current;
  }

  get venue(): IbAdapter | undefined {
    return this.adapter;
  }

  get journal(): Store | undefined {
    return this.store;
  }

  /** The mode's trading core (bus, market data, portfolio, risk, execution). */
  get core(): TradingCore | undefined {
    return this.tradingCore;
  }

  /** The mode's sequenced stream. */
  get streamSource(): StreamSource | undefined {
    return this.stream;
  }

  /** A start that fails stops what it had started (worker threads, timers, files), so nothing of it keeps running. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (err) {
      await this.stop().catch((e: unknown) => this.options.logger.error({ err: e }, 'could not stop what had started'));
      throw err;
    }
  }

  private async open(): Promise<void> {
    const { config, logger } = this.options;
    const tradingFile = storeFile(config.dataDir, this.current);
    const streamFile = join(config.dataDir, `${this.current}-stream.db`);
    // The stream's sequence lives in its write-ahead log too: a damaged one would hand out numbers again.
    checkWalHeader(streamFile);
    this.store = openStore(tradingFile, this.current, { whenNew: () => refuseLostTradingState(tradingFile, streamFile) });
    logger.info({ mode: this.current, file: this.store.file, schemaVersion: this.store.schemaVersion }, 'journal open');
    const journal = await StreamJournal.open(streamFile);
    const publisher = new StreamPublisher({ journal, clock: systemClock, logger, metrics: this.options.streamMetrics });
    this.stream = { journal, publisher };
    logger.info({ mode: this.current, epoch: journal.epoch, head: journal.head }, 'stream journal open');
    if (journal.renewedBecause !== undefined)
      logger.warn({ mode: this.current, epoch: journal.epoch, reason: journal.renewedBecause }, 'stream journal starts a new epoch: subscribers are reset');
    this.options.onStream?.(this.stream);
    this.startOutbox(journal, publisher);
    const outbox = this.outbox;
    this.retention = new JournalRetention({
      journal,
      clock: systemClock,
      logger,
      maxAgeMs: config.stream.retentionHours * 3_600_000,
      maxCount: config.stream.retentionMessages,
      ...(outbox ? { keepFrom: () => journal.kafkaAcked + 1 } : {}),
    });
    this.retention.start();
    const endpoint = this.endpoint();
    const v = config.venue;
    this.adapter = endpoint
      ? new IbAdapter({
          host: endpoint.host,
          port: endpoint.port,
          clientId: v?.clientId ?? 1,
          mode: this.current,
          ...(v?.account === undefined ? {} : { account: v.account }),
          memory: new VenueMemoryRepository(this.store.db),
          logger,
          metrics: this.options.venueMetrics,
          ...(v ? { connectTimeoutMs: v.connectTimeoutMs, marketDataLines: v.marketDataLines, messagesPerSecond: v.messagesPerSecond, quoteStaleMs: v.quoteStaleMs } : {}),
          // The demo venue offers as many lines as its universe needs; the adapter budgets the same.
          ...(config.demo && config.demoMarket?.symbols !== undefined ? { marketDataLines: demoMarketDataLines(config.demoMarket.symbols) } : {}),
        })
      : undefined;
    // Every listener is in place before the venue connects, so the first resync is reconciled.
    this.tradingCore = new TradingCore({ mode: this.current, store: this.store, venue: this.adapter, publisher, clock: systemClock, logger });
    this.tradingCore.start();
    this.adapter?.start();
  }

  /** With brokers configured, the journal is copied to the mode's own topic; Kafka never holds up start. */
  private startOutbox(journal: StreamJournal, publisher: StreamPublisher): void {
    const { config, logger } = this.options;
    if (!config.kafka) return;
    const settings = { ...config.kafka, topic: `${config.kafka.topic}.${this.current}` };
    const outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger, metrics: this.options.metrics });
    this.outbox = outbox;
    outbox.start().catch((err: unknown) => {
      // Only a topic that cannot carry the stream ends here; the outbox stays down and readiness says why.
      logger.error({ err: err instanceof KafkaTopicError ? err.message : err, topic: settings.topic }, 'Kafka outbox cannot start');
    });
  }

  async stop(): Promise<void> {
    await this.adapter?.stop();
    this.adapter = undefined;
    this.tradingCore?.stop();
    this.tradingCore = undefined;
    const stream = this.stream;
    this.stream = undefined;
    this.options.onStream?.(undefined);
    await this.retention?.stop();
    this.retention = undefined;
    if (stream) {
      await stream.publisher.close();
      // After the publisher's last commit, so the outbox may still send it; the journal keeps what it does not.
      await this.outbox?.stop();
      this.outbox = undefined;
      await stream.journal.close();
    }
    this.store?.close();
    this.store = undefined;
  }

  /** One call: disconnect, switch databases, connect to the other endpoint (verify and resync follow). */
  async switchTo(mode: TradingMode): Promise<void> {
    if (mode === this.current) return;
    this.options.logger.warn({ from: this.current, to: mode }, 'switching trading mode');
    await this.stop();
    this.current = mode;
    // What the new mode starts (the venue connection, its timers) outlives the switch command: not under its cid.
    await withoutCorrelation(() => this.start());
    this.options.onModeChange?.(mode);
  }

  private endpoint(): { host: string; port: number } | undefined {
    const { config } = this.options;
    if (config.demo) return this.options.demoVenue();
    const v = config.venue;
    if (!v) return undefined;
    const explicit = this.current === 'paper' ? v.paperPort : v.livePort;
    return { host: v.host, port: explicit ?? defaultPort(v.platform, this.current) };
  }

  /** The stream's two channels' durable side: Kafka's state, backlog and lag (optional: the journal keeps everything meanwhile). */
  kafkaReadiness(): DependencyStatus {
    const kafka = this.options.config.kafka;
    if (!kafka) return { ok: true, detail: 'not configured: the stream runs on the WebSocket and the journal alone' };
    const outbox = this.outbox;
    if (!outbox) return { ok: false, reason: 'not started' };
    const s = outbox.status();
    const where = `${kafka.brokers.join(',')} topic ${kafka.topic}.${this.current}`;
    const backlog = `backlog ${s.backlog} message${s.backlog === 1 ? '' : 's'}, lag ${(s.lagMs / 1000).toFixed(1)} s`;
    if (s.state === 'up') return { ok: true, detail: `${where}: ${backlog}` };
    return { ok: false, reason: `${s.state === 'starting' ? 'connecting to' : 'down:'} ${where}${s.lastError ? ` (${s.lastError})` : ''}; ${backlog}, kept in the journal` };
  }

  /** The Kafka outbox's state, or undefined when Kafka is not configured (or not started yet). */
  kafkaStatus(): KafkaOutboxStatus | undefined {
    return this.options.config.kafka ? this.outbox?.status() : undefined;
  }

  /** Readiness of the venue: connected, the account verified, and in sync. */
  venueReadiness(): DependencyStatus {
    const adapter = this.adapter;
    if (!adapter) return { ok: false, reason: 'not configured' };
    const s = adapter.status();
    const where = `${s.host}:${s.port}`;
    if (s.state === 'connecting' || s.state === 'lost') {
      const next = s.nextAttemptAt === undefined ? '' : `; next attempt in ${Math.max(0, Math.round((s.nextAttemptAt - Date.now()) / 100) / 10)} s`;
      return {
        ok: false,
        reason: `${s.state === 'lost' ? 'connection lost' : 'connecting'} to ${where} (attempt ${s.attempts + 1}${next})${s.lastError ? `: ${s.lastError}` : ''}`,
      };
    }
    if (s.state === 'disconnected') return { ok: false, reason: `disconnected from ${where}` };
    // An account problem first: while the account is ambiguous the venue is not read, so never in sync.
    if (!s.trading.allowed && s.trading.reason && /account/.test(s.trading.reason)) return { ok: false, reason: s.trading.reason };
    if (!s.synced) return { ok: false, reason: `connected to ${where} (${s.accounts.join(', ')}); reading positions and orders` };
    const as = s.accounts.length > 1 ? `${s.account ?? '?'} (of ${s.accounts.join(', ')})` : s.accounts.join(', ');
    return { ok: true, detail: `${s.state} to ${where} as ${as} (${s.mode}), in sync` };
  }
}
