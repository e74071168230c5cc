// A relay: the share server (TLS 1.3, viewer tokens, scopes, limits, the viewer page) fed from the
// stream's Kafka topic instead of a desk. Tokens are verified with the desk's public key alone, every
// share.revocations message is applied, and no viewer is admitted before the relay has read the topic
// to its head (until then it does not know every revocation). /health, /ready and /metrics on loopback.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../clock';
import { systemClock } from '../../clock';
import { createMetricsRegistry, type Logger } from '../../ops';
import type { KafkaSettings } from '../../transport';
import { loadShareCertificate } from '../certificate';
import { RelayAuthority, REVOCATIONS_TOPIC } from '../relay-authority';
import { startRelayOps, type RelayOps } from '../relay-ops';
import { ShareServer, type ShareLimits, type ViewerWindow } from '../server';
import type { EpochFeed, RecallObserver, RelayWindowLimits } from './feed';
import { RelayStream, type RelayStatus } from './stream';

export interface RelayOptions {
  /** How to reach Kafka (brokers, TLS, SASL/SCRAM), as the desk's kafka block. */
  readonly kafka: KafkaSettings;
  /** The stream's topic (the desk writes `<kafka.topic>.<mode>`). */
  readonly topic: string;
  /** Viewers' address and port (0 picks a free one). */
  readonly host: string;
  readonly port: number;
  /** The desk's viewer-token public key (`dualdesk token public-key`), SPKI PEM. */
  readonly publicKeyPem: string;
  /** Holds the self-signed certificate when no certFile/keyFile are given. */
  readonly dataDir: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The ops port (/health, /ready, /metrics); 0 picks a free one. */
  readonly opsPort: number;
  /** Its address (default 127.0.0.1; a private interface when the balancer is on another host). */
  readonly opsHost?: string;
  readonly limits?: Partial<ShareLimits>;
  readonly window?: Partial<RelayWindowLimits>;
  /** How viewers' messages are batched (default the share server's, VIEWER_WINDOW). */
  readonly viewerWindow?: ViewerWindow;
  /** Records behind the topic's head at most to be ready (default 1,000). */
  readonly maxLagRecords?: number;
  /** The built web UI (out/renderer), the viewer page at `/`. */
  readonly uiDir?: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly metrics?: Registry;
  readonly version?: string;
}

export interface Relay {
  /** The viewer page's base URL (no token). */
  readonly url: string;
  /** The TLS certificate's SHA-256, AA:BB:… */
  readonly fingerprint: string;
  /** The ops port's base URL (http://127.0.0.1:port). */
  readonly opsUrl: string;
  status(): RelayStatus;
  stop(): Promise<void>;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const metrics = options.metrics ?? createMetricsRegistry({ version: options.version ?? 'unknown' });
  // A bad key or certificate is a start failure, before anything listens.
  const authority = new RelayAuthority({ publicKeyPem: options.publicKeyPem, clock, logger });
  const certificate = await loadShareCertificate({
    dataDir: options.dataDir,
    ...(options.certFile !== undefined ? { certFile: options.certFile } : {}),
    ...(options.keyFile !== undefined ? { keyFile: options.keyFile } : {}),
  });
  const share = new ShareServer({
    host: options.host,
    port: options.port,
    certificate,
    authority,
    logger,
    metrics,
    clock,
    metricPrefix: 'dualdesk_relay',
    ...(options.viewerWindow ? { viewerWindow: options.viewerWindow } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.uiDir !== undefined ? { uiDir: options.uiDir } : {}),
  });
  let unsubscribe: (() => void) | undefined;
  /** A revocation list read in the current epoch (the desk publishes one at every stream start, even empty). */
  let listSeen = false;
  const onFeed = (feed: EpochFeed): void => {
    unsubscribe?.();
    // The previous list stands until the new epoch's first, but no one is admitted before that one.
    listSeen = feed.latestOf(REVOCATIONS_TOPIC) !== undefined;
    unsubscribe = feed.onCommitted((batch) => {
      for (const f of batch.frames)
        if (f.topic === REVOCATIONS_TOPIC) {
          authority.apply(f.data);
          listSeen = true;
        }
    });
    share.setSource(feed);
  };
  const stream = new RelayStream({
    settings: options.kafka,
    topic: options.topic,
    logger,
    onFeed,
    onRecall: recallMetrics(metrics),
    ...(options.window ? { window: options.window } : {}),
    ...(options.maxLagRecords !== undefined ? { maxLagRecords: options.maxLagRecords } : {}),
  });
  relayMetrics(metrics, () => stream.status());
  let ops: RelayOps | undefined;
  let admitting: () => { ok: boolean; detail: string } = () => ({ ok: false, detail: 'starting' });
  try {
    await share.start();
    ops = await startRelayOps({
      ...(options.opsHost !== undefined ? { host: options.opsHost } : {}),
      port: options.opsPort,
      metrics,
      logger,
      readiness: () => readiness(stream.status(), admitting),
    });
    await stream.start();
  } catch (err) {
    await Promise.allSettled([share.stop(), ops?.close(), stream.stop()]);
    throw err;
  }
  const admission = admitWhileCurrent(
    authority,
    () => stream.status(),
    () => listSeen,
    clock,
    logger,
  );
  admitting = admission.admitting;
  return {
    url: share.url(),
    fingerprint: certificate.fingerprint,
    opsUrl: ops.url,
    status: () => stream.status(),
    stop: async (): Promise<void> => {
      clock.clearTimer(admission.timer);
      authority.setCurrent(false);
      unsubscribe?.();
      await share.stop();
      await Promise.allSettled([ops?.close(), stream.stop()]);
    },
  };
}

/** Kafka unreachable or behind for longer than this: new viewers are refused (catching-up) until it is current again. */
const NOT_CURRENT_GRACE_MS = 2_000;

/**
 * Keeps the authority current only while the relay reads Kafka, is caught up and has read the epoch's
 * revocation list: otherwise it may not know a revocation, so new viewers are refused (connected ones stay).
 */
function admitWhileCurrent(authority: RelayAuthority, status: () => RelayStatus, listSeen: () => boolean, clock: Clock, logger: Logger) {
  let behindSince: number | undefined = clock.now();
  let current = false;
  const admitting = () => ({
    ok: current,
    detail: current ? 'admitting viewers' : listSeen() ? 'refusing new viewers: behind or Kafka unreachable' : 'refusing new viewers: no revocation list read in this epoch yet',
  });
  const timer = clock.setInterval(() => {
    const s = status();
    const now = clock.now();
    behindSince = s.kafka.reachable && s.caughtUp ? undefined : (behindSince ?? now);
    // Never current before the first catch-up (behindSince from the start); a short blip after it is ridden over.
    const next = listSeen() && (behindSince === undefined || (current && now - behindSince < NOT_CURRENT_GRACE_MS));
    if (next === current) return;
    current = next;
    authority.setCurrent(next);
    if (next) logger.info({ status: s }, 'relay current: admitting viewers');
    else logger.warn({ status: s, listSeen: listSeen() }, 'relay not current (Kafka unreachable, behind, or no revocation list in this epoch): refusing new viewers');
  }, 100);
  return { timer, admitting };
}

/** Ready: Kafka reachable, and caught up with the topic's head. */
function readiness(s: RelayStatus, admitting: () => { ok: boolean; detail: string }): { checks: Record<string, { ok: boolean; detail: string }> } {
  return {
    checks: {
      // Ready means viewers are let in: a balancer sends none to a relay that would refuse them.
      admitting: admitting(),
      kafka: { ok: s.kafka.reachable, detail: s.kafka.detail },
      // A relay with no stream yet has nothing to serve: a balancer should not send viewers to it.
      'caught-up': {
        ok: s.caughtUp && s.epoch !== undefined,
        detail: `${s.lag === undefined ? 'lag unknown' : `${s.lag} record(s) behind the topic's head`}; epoch ${s.epoch ?? 'none yet'}, head ${s.head}, oldest ${s.oldest}`,
      },
    },
  };
}

/** The relay's own gauges, read from its status at each scrape. */
function relayMetrics(registry: Registry, status: () => RelayStatus): void {
  const gauge = (name: string, help: string, value: (s: RelayStatus) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(status()));
      },
    });
  gauge('dualdesk_relay_lag_records', "Records between the relay's next read and the topic's head.", (s) => s.lag ?? -1);
  gauge('dualdesk_relay_caught_up', 'Whether the relay is caught up with the topic (1) or not (0).', (s) => (s.caughtUp ? 1 : 0));
  gauge('dualdesk_relay_kafka_up', 'Whether Kafka answered the last poll (1) or not (0).', (s) => (s.kafka.reachable ? 1 : 0));
  gauge('dualdesk_relay_head', "The last seq of the stream's current epoch the relay has read.", (s) => s.head);
  gauge('dualdesk_relay_window_messages', 'Messages in the relay’s in-memory window.', (s) => s.window.messages);
  gauge('dualdesk_relay_window_bytes', 'Bytes of the messages in the relay’s in-memory window.', (s) => s.window.bytes);
  gauge('dualdesk_relay_index_records', 'Records in the relay’s seq → offset index (those Kafka still holds).', (s) => s.indexRecords);
  gauge('dualdesk_relay_recall_cache_bytes', 'Encoded bytes of the older runs recalled from Kafka and cached.', (s) => s.recallCacheBytes);
}

/** Recalls by what became of them, and the messages they read back from Kafka. */
function recallMetrics(registry: Registry): RecallObserver {
  const recalls = new Counter({
    name: 'dualdesk_relay_recalls_total',
    help: 'Recalls of older history asked of the relay, by result (read, too-deep, busy).',
    labelNames: ['result'],
    registers: [registry],
  });
  for (const result of ['read', 'too-deep', 'busy']) recalls.inc({ result }, 0);
  const recalled = new Counter({ name: 'dualdesk_relay_recalled_messages_total', help: 'Messages the relay read back from Kafka for recalls.', registers: [registry] });
  return (result, messages) => {
    recalls.inc({ result });
    recalled.inc(messages);
  };
}
