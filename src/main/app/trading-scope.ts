import type { TradingMode } from '../../shared';
import { defaultPort, IbAdapter, type VenueMetrics } from '../ib';
import type { DependencyStatus, Logger } from '../ops';
import { openStore, storeFile, VenueMemoryRepository, type Store } from '../store';
import type { DeskConfig } from './config';
import type { Service } from './lifecycle';

export interface TradingScopeOptions {
  readonly config: DeskConfig;
  readonly logger: Logger;
  readonly venueMetrics: VenueMetrics;
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

  constructor(private readonly o: TradingScopeOptions) {
    this.current = o.config.mode;
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

  start(): void {
    const { config, logger } = this.o;
    this.store = openStore(storeFile(config.dataDir, this.current), this.current);
    logger.info({ mode: this.current, file: this.store.file, schemaVersion: this.store.schemaVersion }, 'journal open');
    const endpoint = this.endpoint();
    if (!endpoint) return;
    const v = config.venue;
    this.adapter = new IbAdapter({
      host: endpoint.host,
      port: endpoint.port,
      clientId: v?.clientId ?? 1,
      mode: this.current,
      memory: new VenueMemoryRepository(this.store.db),
      logger,
      metrics: this.o.venueMetrics,
      ...(v ? { connectTimeoutMs: v.connectTimeoutMs, marketDataLines: v.marketDataLines, messagesPerSecond: v.messagesPerSecond, quoteStaleMs: v.quoteStaleMs } : {}),
    });
    this.adapter.start();
  }

  async stop(): Promise<void> {
    await this.adapter?.stop();
    this.adapter = undefined;
    this.store?.close();
    this.store = undefined;
  }

  /** One call: disconnect, switch databases, connect to the other endpoint (verify and resync follow). */
  async switchTo(mode: TradingMode): Promise<void> {
    if (mode === this.current) return;
    this.o.logger.warn({ from: this.current, to: mode }, 'switching trading mode');
    await this.stop();
    this.current = mode;
    this.start();
    this.o.onModeChange?.(mode);
  }

  private endpoint(): { host: string; port: number } | undefined {
    const { config } = this.o;
    if (config.demo) return this.o.demoVenue();
    const v = config.venue;
    if (!v) return undefined;
    const explicit = this.current === 'paper' ? v.paperPort : v.livePort;
    return { host: v.host, port: explicit ?? defaultPort(v.platform, this.current) };
  }

  /** Readiness of the venue: connected, the account verified, and in sync. */
  venueReadiness(): DependencyStatus {
    const adapter = this.adapter;
    if (!adapter) return { ok: false, reason: 'not configured' };
    const s = adapter.status();
    const where = `${s.host}:${s.port}`;
    if (s.state === 'connecting' || s.state === 'lost') {
      const next = s.nextAttemptAt === undefined ? '' : `; next attempt in ${Math.max(0, Math.round((s.nextAttemptAt - Date.now()) / 100) / 10)} s`;
      return { ok: false, reason: `${s.state === 'lost' ? 'connection lost' : 'connecting'} to ${where} (attempt ${s.attempts + 1}${next})${s.lastError ? `: ${s.lastError}` : ''}` };
    }
    if (s.state === 'disconnected') return { ok: false, reason: `disconnected from ${where}` };
    if (!s.synced) return { ok: false, reason: `connected to ${where} (${s.accounts.join(', ')}); reading positions and orders` };
    if (!s.trading.allowed && s.trading.reason && /account/.test(s.trading.reason)) return { ok: false, reason: s.trading.reason };
    return { ok: true, detail: `${s.state} to ${where} as ${s.accounts.join(', ')} (${s.mode}), in sync` };
  }
}
