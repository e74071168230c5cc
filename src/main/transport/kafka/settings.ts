// What DualDesk needs to reach a firm's Kafka cluster, validated once (config file, environment, CLI).
import { z } from 'zod';

export const DEFAULT_STREAM_TOPIC = 'dualdesk.stream';
export const MIN_RETENTION_MS = 7 * 24 * 3_600_000;

export class KafkaSettingsError extends Error {
  override readonly name = 'KafkaSettingsError';
}

// kafkajs splits seeds on ':' (no IPv6 literals), so a broker is a host name or IPv4 address and a port.
const HOST = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** Why `value` is not a `host:port` broker address, or undefined when it is one. */
function brokerProblem(value: string): string | undefined {
  const at = value.lastIndexOf(':');
  if (at <= 0) return 'must be host:port';
  const host = value.slice(0, at);
  const port = value.slice(at + 1);
  if (host.length > 253 || !HOST.test(host)) return 'must be host:port with a host name or IPv4 address';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return 'must be host:port with a port from 1 to 65535';
  return undefined;
}

const broker = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = brokerProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${problem} ('${value}' is not)` });
  });

/** A comma-separated string (environment, CLI) becomes a list. */
const brokerList = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : v,
  z.array(broker).min(1, 'name at least one broker (host:port)'),
);

/** Digits in a string (environment, CLI) become a number; anything else is left for the schema to refuse. */
const wholeNumber = (schema: z.ZodNumber) => z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v), schema);

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export const KafkaSettingsSchema = z.strictObject({
  /** Seed brokers; the rest of the cluster is discovered from them. */
  brokers: brokerList,
  /** One partition, so the stream's order is total. */
  topic: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1-249 letters, digits, dots, underscores or hyphens')
    .refine((t) => t !== '.' && t !== '..', 'must not be . or ..')
    .default(DEFAULT_STREAM_TOPIC),
  clientId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, dots, underscores or hyphens')
    .default('dualdesk'),
  /** TLS: `true` trusts the system's CAs; or a CA in PEM, a server name to check, or (not advised) no verification. */
  ssl: z
    .union([
      z.literal(true),
      z.strictObject({
        ca: z.string().regex(PEM_CERT, 'must be PEM text with at least one -----BEGIN CERTIFICATE----- block').optional(),
        rejectUnauthorized: z.boolean().optional(),
        servername: z.string().min(1).max(253).optional(),
      }),
    ])
    .optional(),
  sasl: z
    .strictObject({
      mechanism: z.literal('scram-sha-512', { error: "must be 'scram-sha-512'" }),
      username: z.string().min(1).max(512),
      password: z.string().min(1, 'must not be empty').max(4096),
    })
    .optional(),
  connectionTimeoutMs: wholeNumber(z.number().int().min(100).max(120_000)).default(5_000),
  requestTimeoutMs: wholeNumber(z.number().int().min(1_000).max(300_000)).default(10_000),
  /** How long the topic DualDesk creates keeps messages: at least 7 days, or -1 for ever. */
  retentionMs: wholeNumber(
    z
      .number()
      .int()
      .refine((n) => n === -1 || n >= MIN_RETENTION_MS, `must be at least 7 days (${MIN_RETENTION_MS} ms), or -1 to keep messages for ever`),
  ).default(MIN_RETENTION_MS),
});

export type KafkaSettings = z.output<typeof KafkaSettingsSchema>;
export type KafkaSettingsInput = z.input<typeof KafkaSettingsSchema>;

/** Validates settings; the error names every bad field (and never echoes the password). */
export function parseKafkaSettings(input: unknown): KafkaSettings {
  const result = KafkaSettingsSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length > 0 ? `kafka.${i.path.join('.')}` : 'kafka'}: ${i.message}`);
  throw new KafkaSettingsError(`invalid Kafka settings:\n  ${problems.join('\n  ')}`);
}

/** The CLI form `--kafka host:port,host:port`: the seed brokers, or an error naming the bad entry. */
export function parseKafkaBrokers(value: string): string[] {
  const list = value.split(',').map((s) => s.trim());
  if (list.length === 0 || list.every((s) => s === '')) throw new KafkaSettingsError('must be host:port[,host:port...]');
  for (const entry of list) {
    if (entry === '') throw new KafkaSettingsError(`must be host:port[,host:port...] (an empty entry in '${value}')`);
    const problem = brokerProblem(entry);
    if (problem !== undefined) throw new KafkaSettingsError(`${problem} ('${entry}' is not)`);
  }
  return list;
}
