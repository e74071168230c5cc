// `dualdesk relay`: serves viewers from the stream's Kafka topic (flags over a JSON config file). Every
// start failure is one line and exit 1; Kafka unreachable at start is not one (the relay reports
// itself unready and keeps trying).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { TRADING_MODES } from '../../shared';
import { DeskConfigSchema, installShutdownHandlers, VERSION } from '../app';
import { createLogger, LOG_LEVELS } from '../ops';
import { startRelay } from '../share';
import { KafkaSettingsSchema } from '../transport';
import type { CliIo } from './io';

export interface RelayCliOptions {
  readonly kafka?: readonly string[];
  readonly mode?: string;
  readonly topic?: string;
  readonly port?: number;
  readonly host?: string;
  readonly publicKey?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly dataDir?: string;
  readonly config?: string;
  readonly opsPort?: number;
  readonly opsHost?: string;
  readonly logLevel?: string;
}

const whole = (min: number, max: number) => z.number().int().min(min).max(max).optional();

/** The config file: the desk's kafka and share blocks, and the relay's own. */
export const RelayConfigSchema = z.strictObject({
  mode: z.enum(TRADING_MODES).default('paper'),
  dataDir: z.string().min(1).optional(),
  kafka: KafkaSettingsSchema,
  share: DeskConfigSchema.shape.share,
  relay: z
    .strictObject({
      /** The full topic name; default `<kafka.topic>.<mode>`. */
      topic: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 letters, digits, dots, underscores or hyphens')
        .optional(),
      /** The desk's viewer-token public key, a PEM file. */
      publicKey: z.string().min(1).optional(),
      opsPort: whole(0, 65535),
      /** The ops port's address (default 127.0.0.1). */
      opsHost: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address')
        // Every interface would make /metrics public: a specific (private) address only.
        .refine((h) => !['0.0.0.0', '::', '[::]'].includes(h), 'must be a specific address, not every interface (the metrics would be public)')
        .optional(),
      windowMessages: whole(1, 100_000_000),
      windowBytes: whole(64 * 1024, 64 * 1024 * 1024 * 1024),
      recallMessages: whole(1, 1_000_000),
      recallCacheMessages: whole(1, 100_000_000),
      recallCacheBytes: whole(64 * 1024, 64 * 1024 * 1024 * 1024),
      maxRecallMessages: whole(0, 1_000_000_000),
      maxPendingRecalls: whole(0, 1_000),
      maxLagRecords: whole(0, 100_000_000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
});

export type RelayConfig = z.output<typeof RelayConfigSchema>;

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the relay config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`the relay config ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`the relay config ${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

const block = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** The config file with the flags over it, validated; one line naming every bad setting (never a password). */
export function relayConfig(opts: RelayCliOptions): RelayConfig {
  const file = opts.config === undefined ? {} : readJson(opts.config);
  const raw = {
    ...file,
    ...defined({ mode: opts.mode, dataDir: opts.dataDir }),
    kafka: { ...block(file['kafka']), ...defined({ brokers: opts.kafka }) },
    share: { ...block(file['share']), ...defined({ port: opts.port, host: opts.host, cert: opts.tlsCert, key: opts.tlsKey }) },
    relay: { ...block(file['relay']), ...defined({ topic: opts.topic, publicKey: opts.publicKey, opsPort: opts.opsPort, opsHost: opts.opsHost }) },
    log: { ...block(file['log']), ...defined({ level: opts.logLevel }) },
  };
  const parsed = RelayConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) =>
        `${i.path.join('.') || 'config'}: ${i.path[0] === 'kafka' && i.path[1] === 'brokers' && i.code === 'invalid_type' ? 'name the brokers (--kafka host:port)' : i.message}`,
    );
    throw new Error(`invalid relay settings: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** `dualdesk relay`: starts the relay and stays up until a signal. */
export async function relay(opts: RelayCliOptions, io: CliIo): Promise<void> {
  const config = relayConfig(opts);
  const keyFile = config.relay.publicKey;
  if (keyFile === undefined) throw new Error("give the desk's viewer-token public key: --public-key <pem file> (from `dualdesk token public-key`)");
  let publicKeyPem: string;
  try {
    publicKeyPem = readFileSync(keyFile, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the public key ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const topic = config.relay.topic ?? `${config.kafka.topic}.${config.mode}`;
  const dataDir = resolve(config.dataDir ?? join(homedir(), '.dualdesk-relay'));
  const logger = createLogger({ level: config.log.level });
  const { share, relay: r } = config;
  const limits = defined({
    maxViewers: share.maxViewers,
    maxConnectionsPerAddress: share.maxConnectionsPerAddress,
    connectionsPerSecond: share.connectionsPerSecond,
    maxViewersPerAddress: share.maxViewersPerAddress,
    totalConnectionsPerSecond: share.totalConnectionsPerSecond,
    maxFrameBytes: share.maxFrameBytes,
    handshakeTimeoutMs: share.handshakeTimeoutMs,
    idleTimeoutMs: share.idleTimeoutMs,
    maxBehindMs: share.maxBehindMs,
    highWaterBytes: share.highWaterBytes,
  });
  const window = defined({
    maxMessages: r.windowMessages,
    maxBytes: r.windowBytes,
    recallMessages: r.recallMessages,
    recallCacheMessages: r.recallCacheMessages,
    recallCacheBytes: r.recallCacheBytes,
    maxRecallMessages: r.maxRecallMessages,
    maxPendingRecalls: r.maxPendingRecalls,
  });
  let started;
  try {
    started = await startRelay({
      kafka: config.kafka,
      topic,
      host: share.host,
      port: share.port,
      publicKeyPem,
      dataDir,
      ...(share.cert !== undefined ? { certFile: share.cert } : {}),
      ...(share.key !== undefined ? { keyFile: share.key } : {}),
      opsPort: r.opsPort ?? 0,
      ...(r.opsHost !== undefined ? { opsHost: r.opsHost } : {}),
      limits,
      window,
      ...(r.maxLagRecords !== undefined ? { maxLagRecords: r.maxLagRecords } : {}),
      ...(io.uiDir !== undefined ? { uiDir: io.uiDir } : {}),
      logger,
      version: VERSION,
    });
  } catch (err) {
    // The one `error:` line on stderr says it (no JSON line on stdout besides).
    throw new Error(`the relay failed to start: ${portInUse(err) ?? (err as Error).message}`, { cause: err });
  }
  const running = started;
  installShutdownHandlers({ stop: () => running.stop(), logger, timeoutMs: 10_000 });
  logger.info({ version: VERSION, mode: config.mode, topic, url: started.url, ops: started.opsUrl }, 'relay serving');
  io.stdout(
    `DualDesk relay ${VERSION} (${config.mode}, topic ${topic}) serving viewers at ${started.url} (TLS 1.3, certificate SHA-256 ${started.fingerprint}); ops at ${started.opsUrl}\n`,
  );
}

function portInUse(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  return e.code === 'EADDRINUSE' ? `port ${e.port ?? '?'} on ${e.address ?? '?'} is in use` : undefined;
}
