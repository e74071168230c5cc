import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import pinoRoll from 'pino-roll';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Field paths whose values never reach a log line. pino's redaction has no recursive wildcard,
 * so the common nesting depths are listed.
 */
export const REDACTED_PATHS: readonly string[] = [
  'token',
  'controlToken',
  'password',
  'secret',
  'authorization',
  'cookie',
  '*.token',
  '*.controlToken',
  '*.password',
  '*.secret',
  '*.authorization',
  '*.cookie',
  '*.*.token',
  '*.*.password',
  '*.*.secret',
  '*.*.authorization',
  '*.*.cookie',
];

const correlation = new AsyncLocalStorage<string>();

/** Runs `fn` with `id` attached to every log line written inside it (also across awaits). */
export function withCorrelation<T>(id: string, fn: () => T): T {
  return correlation.run(id, fn);
}

/** Runs `fn` with no correlation id: what it starts (a connection, timers) outlives the request that started it. */
export function withoutCorrelation<T>(fn: () => T): T {
  return correlation.exit(fn);
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** A correlation id a client may supply (HTTP's x-correlation-id): letters, digits and . _ : - only, so it is safe to log and to grep. */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

export function currentCorrelationId(): string | undefined {
  return correlation.getStore();
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Defaults to stdout, written synchronously so a crash loses no line. */
  readonly destination?: DestinationStream;
}

export function createLogger({ level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { app: 'dualdesk', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      mixin() {
        const cid = correlation.getStore();
        return cid === undefined ? {} : { cid };
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A log line written on another thread (a worker's logger), to be written again by this thread's logger. */
export interface LogRecord {
  readonly level: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/**
 * A logger for a worker thread: each record (redacted as here, no time or pid, which the receiving
 * logger adds) goes to `send`, for the main thread to pass to `relog`.
 */
export function createRecordLogger(level: string, send: (record: LogRecord) => void): Logger {
  return pino(
    {
      level: (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info',
      base: null,
      timestamp: false,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    { write: (line: string) => send(JSON.parse(line) as LogRecord) },
  );
}

/** Writes a record from createRecordLogger with `logger` (its level and fields as they were). */
export function relog(logger: Logger, record: LogRecord): void {
  const { level, msg, ...fields } = record;
  switch (level) {
    case 'fatal':
    case 'error':
    case 'warn':
    case 'info':
    case 'debug':
    case 'trace':
      logger[level](fields, msg);
      return;
    default:
      logger.info(fields, msg);
  }
}

/** The Electron shell's logger: JSON lines in `<dir>/dualdesk.N.log`, rotated daily or at 20 MB, 14 kept. */
export async function createFileLogger(level: LogLevel, dir: string): Promise<Logger> {
  const stream = await pinoRoll({
    file: join(dir, 'dualdesk'),
    extension: '.log',
    frequency: 'daily',
    size: '20m',
    mkdir: true,
    limit: { count: 14 },
  });
  return createLogger({ level, destination: stream });
}
