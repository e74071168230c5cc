// The one place a kafkajs client is made: settings → Kafka, its logs routed to pino at warn and
// above, and errors turned into words an operator can act on, with the password scrubbed everywhere.
import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type LogEntry, type logCreator, type SASLOptions } from 'kafkajs';
import type { Logger } from '../../ops';
import type { KafkaSettings } from './settings';

/** kafkajs's own retries stay short: the outbox's and the reader's loops own recovery. */
export const KAFKAJS_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } as const;

const REDACTED = '[redacted]';

// Expected with our configuration, so not worth a warning: we limit the idempotent producer's
// retries on purpose, and always write to partition 0.
const BENIGN = ['Limiting retries for the idempotent producer', 'KafkaJS v2.0.0 switched default partitioner'];

/** Replaces every occurrence of a secret in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '') out = out.split(s).join(REDACTED);
  return out;
}

function scrubValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrub(value, secrets);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = scrubValue(v, secrets, depth + 1);
  return out;
}

/** The secrets in settings, to keep out of logs and error messages. */
export function secretsOf(settings: KafkaSettings): string[] {
  return settings.sasl ? [settings.sasl.password] : [];
}

/** The same kafkajs message (per namespace) is logged at most once per window; the rest are counted. */
const REPEAT_WINDOW_MS = 30_000;

/**
 * Routes kafkajs's log entries (error and warn only) to pino, scrubbed of secrets. During an outage
 * kafkajs repeats the same connection errors on every retry, so repeats within 30 s are folded
 * into a `repeated` count on the next line that gets through.
 */
export function kafkaLogCreator(logger: Logger, secrets: readonly string[], now: () => number = Date.now): logCreator {
  const seen = new Map<string, { at: number; repeated: number }>();
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      const text = scrub(String(message), secrets);
      if (BENIGN.some((b) => text.startsWith(b))) {
        logger.debug({ kafkajs: namespace }, text);
        return;
      }
      const key = `${namespace}|${text}`;
      const t = now();
      const last = seen.get(key);
      if (last && t - last.at < REPEAT_WINDOW_MS) {
        last.repeated++;
        return;
      }
      if (seen.size > 500) for (const [k, v] of seen) if (t - v.at >= REPEAT_WINDOW_MS) seen.delete(k);
      seen.set(key, { at: t, repeated: 0 });
      const fields = {
        kafkajs: namespace,
        ...(scrubValue(extra, secrets) as Record<string, unknown>),
        ...(last && last.repeated > 0 ? { repeated: last.repeated } : {}),
      };
      if (level === logLevel.ERROR) logger.error(fields, text);
      else if (level === logLevel.WARN) logger.warn(fields, text);
      else logger.debug(fields, text);
    };
}

function tlsOptions(ssl: KafkaSettings['ssl']): ConnectionOptions | boolean | undefined {
  if (ssl === undefined || ssl === true) return ssl;
  return {
    ...(ssl.ca !== undefined ? { ca: [ssl.ca] } : {}),
    ...(ssl.rejectUnauthorized !== undefined ? { rejectUnauthorized: ssl.rejectUnauthorized } : {}),
    ...(ssl.servername !== undefined ? { servername: ssl.servername } : {}),
  };
}

/** A kafkajs client for the settings; its logging goes to `logger` (warn and above). */
export function createKafka(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafka' });
  if (typeof settings.ssl === 'object' && settings.ssl.rejectUnauthorized === false) {
    log.warn({ brokers: settings.brokers }, 'Kafka TLS certificate checks are OFF (ssl.rejectUnauthorized=false): the connection can be intercepted');
  }
  const ssl = tlsOptions(settings.ssl);
  const sasl: SASLOptions | undefined = settings.sasl ? { mechanism: 'scram-sha-512', username: settings.sasl.username, password: settings.sasl.password } : undefined;
  return new Kafka({
    clientId: settings.clientId,
    brokers: [...settings.brokers],
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: settings.connectionTimeoutMs,
    authenticationTimeout: settings.connectionTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    retry: { ...KAFKAJS_RETRY },
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(log, secretsOf(settings)),
  });
}

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly type?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
}

function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e = err as ErrorLike | undefined;
  while (e !== undefined && e !== null && typeof e === 'object' && out.length < 8) {
    out.push(e);
    e = (e.cause ?? e.originalError) as ErrorLike | undefined;
  }
  return out;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** One line an operator can act on: what failed, the underlying reason, and a hint; never a secret. */
export function describeKafkaError(err: unknown, settings: KafkaSettings): string {
  const errors = chain(err);
  const messages = errors.map((e) => str(e.message) || str(e.name)).filter((m, i, all) => m !== '' && all.indexOf(m) === i);
  const text = messages.join(': ') || (err instanceof Error ? err.name : typeof err === 'string' ? err : 'unknown error');
  const names = errors.map((e) => str(e.name));
  const codes = errors.map((e) => str(e.code));
  const all = `${text} ${codes.join(' ')}`;
  let hint = '';
  if (names.includes('KafkaJSSASLAuthenticationError') || /SASL|authentication failed/i.test(all)) {
    hint = settings.sasl
      ? ` (Kafka refused the SCRAM-SHA-512 credentials of user '${settings.sasl.username}': check kafka.sasl.username and kafka.sasl.password)`
      : ' (the broker requires SASL authentication: set kafka.sasl)';
  } else if (codes.some((c) => TLS_CODES.has(c)) || /certificate|self[- ]signed|altname/i.test(all)) {
    hint = " (the broker's TLS certificate is not trusted for this address: set kafka.ssl.ca to the CA's PEM, or kafka.ssl.servername)";
  } else if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection timeout|Connection error/i.test(all)) {
    hint = ` (cannot reach Kafka at ${settings.brokers.join(',')})`;
  } else if (/wrong version number|packet length too long|Closed connection/i.test(all) && (!settings.ssl || !settings.sasl)) {
    hint = ' (the broker closed the connection: if its listener requires TLS or SASL, set kafka.ssl or kafka.sasl)';
  }
  return scrub(`${text}${hint}`, secretsOf(settings));
}
