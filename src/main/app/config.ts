import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { TRADING_MODES } from '../../shared';
import { LOG_LEVELS } from '../ops';
import { MAX_DEMO_SYMBOLS } from '../sim';
import { KafkaSettingsSchema } from '../transport';

/** 'true'/'1'/'false'/'0' from a flag or the environment become booleans. */
const flag = z.preprocess(
  (v) => (typeof v === 'string' ? (({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[v.trim().toLowerCase()] ?? v) : v),
  z.boolean(),
);

/** Digits in a string (from a flag or the environment) become a number; anything else is left for the schema to refuse. */
const wholeNumber = (schema: z.ZodNumber) => z.preprocess((v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v), schema);

/** A decimal number in a string (from a flag or the environment) becomes a number. */
const decimal = (schema: z.ZodNumber) => z.preprocess((v) => (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), schema);

const port = wholeNumber(z.number({ error: 'must be a port number from 0 to 65535' }).int('must be a whole number').min(0).max(65535));

export const DeskConfigSchema = z
  .strictObject({
    /** Holds the SQLite databases and secrets; created owner-only. */
    dataDir: z.string().min(1),
    mode: z.enum(TRADING_MODES).default('paper'),
    /** Start the built-in simulator in-process as the venue (the demo and the tests' venue). */
    demo: flag.default(false),
    /**
     * The demo venue's market as a load source (only with `demo`): how many instruments (the catalog,
     * then synthetic stocks SYM001…), market updates per second across them all, and how many times
     * faster than real time its clock runs. Absent: the catalog at the simulator's defaults.
     */
    demoMarket: z
      .strictObject({
        symbols: wholeNumber(
          z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(MAX_DEMO_SYMBOLS, `must be at most ${MAX_DEMO_SYMBOLS}`),
        ).optional(),
        /** Market updates per second (market time) across the universe. */
        rate: decimal(z.number({ error: 'must be a number' }).positive('must be above 0').max(1_000_000, 'must be at most 1,000,000')).optional(),
        speed: decimal(z.number({ error: 'must be a number' }).positive('must be above 0').max(10_000, 'must be at most 10,000')).optional(),
      })
      .optional(),
    log: z
      .strictObject({
        level: z.enum(LOG_LEVELS).default('info'),
      })
      .prefault({}),
    /** The loopback HTTP server: ops endpoints, the web UI and (later) the stream. */
    server: z
      .strictObject({
        enabled: z.boolean().default(false),
        host: z.enum(['127.0.0.1', '::1'], { error: 'must be a loopback address (127.0.0.1 or ::1)' }).default('127.0.0.1'),
        port: port.default(7800),
        /** The built web UI to serve at `/`; none when absent. */
        uiDir: z.string().min(1).optional(),
      })
      .prefault({}),
    /**
     * TWS or IB Gateway. Absent: no venue (unless `demo`, which points it at the simulator). The port
     * defaults to the platform's port for the trading mode (TWS 7497/7496, Gateway 4002/4001).
     */
    venue: z
      .strictObject({
        platform: z.enum(['tws', 'gateway']).default('tws'),
        host: z
          .string()
          .min(1)
          .max(253)
          .regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address')
          .default('127.0.0.1'),
        paperPort: port.optional(),
        livePort: port.optional(),
        /** Fixed: IB ties orders to the client id. Not 0, which TWS reserves for binding its own orders. */
        clientId: wholeNumber(z.number().int().min(1).max(2_147_483_647)).default(1),
        /** The account to trade when the login manages several; without it such a login is refused orders. */
        account: z
          .string()
          .regex(/^[A-Z]{1,3}\d{3,12}$/, 'must be an IB account id such as DU1234567 or U1234567')
          .optional(),
        connectTimeoutMs: wholeNumber(z.number().int().min(500).max(120_000)).default(5_000),
        marketDataLines: wholeNumber(z.number().int().min(1).max(10_000)).default(100),
        // Plus the pacer's burst of 5, this stays within IB's 50 a second.
        messagesPerSecond: wholeNumber(z.number().int().min(1).max(45)).default(40),
        quoteStaleMs: wholeNumber(z.number().int().min(1_000).max(3_600_000)).default(60_000),
      })
      .optional(),
    /** The stream journal serves replays and resumes: a recent window (Kafka, when configured, keeps the history). */
    stream: z
      .strictObject({
        retentionHours: wholeNumber(
          z
            .number()
            .int()
            .min(1)
            .max(24 * 90),
        ).default(24),
        retentionMessages: wholeNumber(z.number().int().min(10_000).max(100_000_000)).default(1_000_000),
      })
      .prefault({}),
    /**
     * The stream's durable backup channel. Absent: the stream runs on the WebSocket and the journal alone.
     * Each trading mode has its own topic: `<topic>.paper`, `<topic>.live`.
     */
    kafka: KafkaSettingsSchema.optional(),
    /** Sharing the stream with remote viewers (HTTPS + WSS, TLS 1.3): off until the trader turns it on. */
    share: z
      .strictObject({
        enabled: flag.default(false),
        port: port.default(8443),
        host: z
          .string()
          .max(253)
          .regex(/^[A-Za-z0-9.:-]*$/, 'must be a host name or an IP address')
          .default('0.0.0.0'),
        /** The trader's own certificate and key (PEM); neither: a self-signed one in the data directory. */
        cert: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
        // The limits default to the share server's own (DEFAULT_SHARE_LIMITS, src/main/share/server.ts).
        /** Viewers at once; one more is closed with 4009. */
        maxViewers: wholeNumber(z.number().int().min(1).max(100_000)).optional(),
        /** Open connections from one address. */
        maxConnectionsPerAddress: wholeNumber(z.number().int().min(1).max(100_000)).optional(),
        /** New connections from one address per second (refused before any TLS work). */
        connectionsPerSecond: wholeNumber(z.number().int().min(1).max(100_000)).optional(),
        /** Viewers (stream connections) from one address, apart from page fetches (default: maxConnectionsPerAddress). */
        maxViewersPerAddress: wholeNumber(z.number().int().min(1).max(100_000)).optional(),
        /** New connections per second from all addresses together (default 200, at least connectionsPerSecond). */
        totalConnectionsPerSecond: wholeNumber(z.number().int().min(1).max(1_000_000)).optional(),
        /** A viewer's frame (hello, replay) in bytes. */
        maxFrameBytes: wholeNumber(
          z
            .number()
            .int()
            .min(256)
            .max(1024 * 1024),
        ).optional(),
        /** TLS handshake and HTTP upgrade. */
        handshakeTimeoutMs: wholeNumber(z.number().int().min(100).max(120_000)).optional(),
        /** A viewer that says no hello within this is closed with 4010. */
        idleTimeoutMs: wholeNumber(z.number().int().min(100).max(600_000)).optional(),
        /** A viewer behind the stream longer than this is closed with 4008. */
        maxBehindMs: wholeNumber(z.number().int().min(1_000).max(600_000)).optional(),
        /** Bytes queued for a viewer above which it gets no live frames until it drains. */
        highWaterBytes: wholeNumber(
          z
            .number()
            .int()
            .min(64 * 1024)
            .max(64 * 1024 * 1024),
        ).optional(),
      })
      .refine((s) => (s.cert === undefined) === (s.key === undefined), { message: 'give both share.cert and share.key (PEM files), or neither for a self-signed certificate' })
      .prefault({}),
    /** How long a graceful stop may take before the process exits anyway. */
    shutdownTimeoutMs: wholeNumber(z.number().int().min(100).max(600_000)).default(10_000),
  })
  .superRefine((c, ctx) => {
    const demoKey = c.demoMarket && !c.demo ? Object.keys(c.demoMarket)[0] : undefined;
    if (demoKey !== undefined) ctx.addIssue({ code: 'custom', path: ['demoMarket', demoKey], message: 'applies only to the demo venue (--demo or DUALDESK_DEMO=1)' });
  });

export type DeskConfig = z.output<typeof DeskConfigSchema>;
export type DeskConfigInput = z.input<typeof DeskConfigSchema>;

/** A setting that can also come from the environment or a CLI flag. */
interface ExternalSetting {
  readonly path: string;
  readonly env: string;
  readonly flag: string;
}

export const EXTERNAL_SETTINGS: readonly ExternalSetting[] = [
  { path: 'dataDir', env: 'DUALDESK_DATA_DIR', flag: '--data-dir' },
  { path: 'mode', env: 'DUALDESK_MODE', flag: '--mode' },
  { path: 'demo', env: 'DUALDESK_DEMO', flag: '--demo' },
  { path: 'demoMarket.symbols', env: 'DUALDESK_DEMO_SYMBOLS', flag: '--demo-symbols' },
  { path: 'demoMarket.rate', env: 'DUALDESK_DEMO_RATE', flag: '--demo-rate' },
  { path: 'demoMarket.speed', env: 'DUALDESK_DEMO_SPEED', flag: '--demo-speed' },
  { path: 'log.level', env: 'DUALDESK_LOG_LEVEL', flag: '--log-level' },
  { path: 'server.port', env: 'DUALDESK_PORT', flag: '--port' },
  { path: 'venue.platform', env: 'DUALDESK_VENUE', flag: '--venue' },
  { path: 'venue.host', env: 'DUALDESK_VENUE_HOST', flag: '--venue-host' },
  { path: 'venue.clientId', env: 'DUALDESK_CLIENT_ID', flag: '--client-id' },
  { path: 'venue.account', env: 'DUALDESK_ACCOUNT', flag: '--account' },
  { path: 'kafka.brokers', env: 'DUALDESK_KAFKA', flag: '--kafka' },
  { path: 'share.port', env: 'DUALDESK_SHARE_PORT', flag: '--share-port' },
  { path: 'share.host', env: 'DUALDESK_SHARE_HOST', flag: '--share-host' },
];

export const CONFIG_FILE_ENV = 'DUALDESK_CONFIG';
export const CONFIG_FILE_NAME = 'config.json';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface ConfigSources {
  /** Settings the caller fixes as defaults (e.g. `serve` turns the server on). Lowest precedence. */
  readonly defaults?: Record<string, unknown>;
  /** Values from CLI flags, keyed by setting path (`server.port`). Highest precedence. */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** An explicit config file; without it `<dataDir>/config.json` is read when it exists. */
  readonly configFile?: string;
  /** Used when neither a flag nor the environment names the data directory. */
  readonly defaultDataDir?: string;
  readonly cwd?: string;
}

interface Layer {
  readonly values: Record<string, unknown>;
  /** Where a value at `path` in this layer came from, for error messages. */
  describe(path: string): string;
}

/**
 * Builds the desk's configuration from defaults < config file < environment < flags and validates
 * it once. Every problem is reported with the source of the offending value.
 */
export function loadConfig(sources: ConfigSources = {}): DeskConfig {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const cwd = sources.cwd ?? process.cwd();

  const envValues: Record<string, unknown> = {};
  for (const s of EXTERNAL_SETTINGS) {
    const v = env[s.env];
    if (v !== undefined && v !== '') setPath(envValues, s.path, v);
  }
  const flagValues: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(flags)) {
    if (v !== undefined) setPath(flagValues, path, v);
  }

  const rawDataDir = flagValues['dataDir'] ?? envValues['dataDir'] ?? sources.defaultDataDir ?? join(homedir(), '.dualdesk');
  if (typeof rawDataDir !== 'string' || rawDataDir.trim() === '') {
    throw new ConfigError('invalid configuration: dataDir must be a non-empty path');
  }
  const dataDir = absolutePath(rawDataDir, cwd);

  const explicitFile = sources.configFile ?? env[CONFIG_FILE_ENV];
  const file = explicitFile === undefined ? join(dataDir, CONFIG_FILE_NAME) : absolutePath(explicitFile, cwd);
  const fileValues = readConfigFile(file, explicitFile !== undefined);
  if ('dataDir' in fileValues) {
    throw new ConfigError(`invalid configuration: dataDir cannot be set in ${file}; use --data-dir or DUALDESK_DATA_DIR`);
  }

  const layers: Layer[] = [
    { values: sources.defaults ?? {}, describe: () => 'default' },
    { values: fileValues, describe: () => file },
    { values: envValues, describe: (p) => EXTERNAL_SETTINGS.find((s) => s.path === p)?.env ?? 'environment' },
    { values: flagValues, describe: (p) => EXTERNAL_SETTINGS.find((s) => s.path === p)?.flag ?? `--${p}` },
  ];
  const merged = layers.reduce<Record<string, unknown>>((acc, l) => deepMerge(acc, l.values), {});
  merged['dataDir'] = dataDir;

  const parsed = DeskConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.join('.');
      // A list given as one string (`a:1,b:2`) has no path for its items: the nearest setting that has one.
      const keys = issue.path.map(String);
      const owner = keys.map((_, i) => keys.slice(0, keys.length - i).join('.')).find((p) => layers.some((l) => hasPath(l.values, p))) ?? path;
      const layer = [...layers].reverse().find((l) => hasPath(l.values, owner));
      const where = layer ? ` (from ${layer.describe(owner)})` : '';
      return `${path || 'config'}${where}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function absolutePath(p: string, cwd: string): string {
  const expanded = p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}

function readConfigFile(file: string, required: boolean): Record<string, unknown> {
  if (!existsSync(file)) {
    if (required) throw new ConfigError(`config file not found: ${file}`);
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(value)) throw new ConfigError(`config file ${file} must hold a JSON object`);
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = isPlainObject(next) ? next : (node[key] = {});
  }
  node[keys[keys.length - 1] as string] = value;
}

function hasPath(source: Record<string, unknown>, path: string): boolean {
  let node: unknown = source;
  for (const key of path.split('.')) {
    if (!isPlainObject(node) || !(key in node)) return false;
    node = node[key];
  }
  return true;
}

// A config file is JSON from disk: never let it reach an object's prototype.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}
