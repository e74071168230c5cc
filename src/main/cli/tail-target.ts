// Where `dualdesk tail` subscribes: the stream's URL, the control token (never from the command
// line, which `ps` shows) and, when configured, the mode's Kafka topic as the backup.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { TradingMode } from '../../shared';
import { TOPIC_PATTERN, MAX_TOPICS } from '../../shared/stream';
import { CONTROL_TOKEN_FILE, ConfigError, loadConfig } from '../app';
import { DEFAULT_STREAM_TOPIC, parseKafkaSettings, type KafkaSettings } from '../transport';

export interface TailTargetOptions {
  readonly url?: string;
  readonly dataDir?: string;
  readonly port?: number;
  readonly mode: TradingMode;
  readonly kafka?: readonly string[];
  readonly kafkaTopic?: string;
  readonly tokenFile?: string;
}

export interface TailTarget {
  readonly url: string;
  readonly token: string;
  /** The backup channel, when brokers are known (--kafka, or the data dir's config). */
  readonly kafka: KafkaSettings | undefined;
}

/** The environment variable that may carry the control token (a flag would show it in `ps`). */
export const TOKEN_ENV = 'DUALDESK_TOKEN';

/** `--url`: a ws:// or wss:// address of a desk's stream, without a token in it. */
export function parseStreamUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a ws:// or wss:// URL such as ws://127.0.0.1:7800/stream.');
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new InvalidArgumentError('must be a ws:// or wss:// URL such as ws://127.0.0.1:7800/stream.');
  if (url.searchParams.has('token') || url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError(`must not carry the token (the desk refuses it in a URL); use --data-dir, --token-file or ${TOKEN_ENV}.`);
  }
  return url.href;
}

/** `--topics p,q`: the stream's topic filter, as the hello frame carries it. */
export function parseTopicPatterns(value: string): string[] {
  const topics = value.split(',').map((t) => t.trim());
  const bad = topics.find((t) => t === '' || t.length > 200 || !TOPIC_PATTERN.test(t));
  if (bad !== undefined)
    throw new InvalidArgumentError(`must be comma-separated topic patterns (dot-separated words, * for one word, > for the rest)${bad === '' ? '' : `; '${bad}' is not one`}.`);
  if (topics.length > MAX_TOPICS) throw new InvalidArgumentError(`names more than ${MAX_TOPICS} patterns.`);
  return topics;
}

/** `--resume epoch:seq`: a position the stream printed (each line's epoch and seq). */
export function parseResume(value: string): { epoch: string; seq: number } {
  const at = value.lastIndexOf(':');
  const epoch = value.slice(0, at);
  const seq = value.slice(at + 1);
  if (at <= 0 || epoch.length > 64 || !/^\d{1,15}$/.test(seq)) throw new InvalidArgumentError("must be epoch:seq, as a printed line's epoch and seq.");
  return { epoch, seq: Number(seq) };
}

/** Resolves the target; a problem with what was given is a ConfigError (exit 2). */
export function resolveTailTarget(options: TailTargetOptions, env: Readonly<Record<string, string | undefined>>): TailTarget {
  if (options.url === undefined && options.dataDir === undefined) throw new ConfigError('give --url ws://host:port/stream or --data-dir <dir> (the local desk)');
  if (options.port !== undefined && (options.dataDir === undefined || options.url !== undefined))
    throw new ConfigError('--port applies to --data-dir without --url (the port is in the URL)');
  const config =
    options.dataDir === undefined
      ? undefined
      : loadConfig({ flags: { dataDir: options.dataDir, mode: options.mode, 'server.port': options.port, 'kafka.brokers': options.kafka }, env });
  const url = options.url ?? (config ? localStreamUrl(config.server.host, config.server.port) : '');
  const token = readToken(options, env, config?.dataDir);
  const base = config?.kafka ?? (options.kafka ? { brokers: [...options.kafka], topic: DEFAULT_STREAM_TOPIC } : undefined);
  let kafka: KafkaSettings | undefined;
  if (base) {
    try {
      kafka = parseKafkaSettings({ ...base, ...(options.kafka ? { brokers: [...options.kafka] } : {}), topic: options.kafkaTopic ?? `${base.topic}.${options.mode}` });
    } catch (err) {
      throw new ConfigError((err as Error).message.replace(/\n\s*/g, ' '));
    }
  } else if (options.kafkaTopic !== undefined) {
    throw new ConfigError('--kafka-topic needs brokers (--kafka, or a kafka block in the data dir config)');
  }
  return { url, token, kafka };
}

function localStreamUrl(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}/stream`;
}

/** --token-file, then DUALDESK_TOKEN, then the data dir's control token file; the token is never echoed. */
function readToken(options: TailTargetOptions, env: Readonly<Record<string, string | undefined>>, dataDir: string | undefined): string {
  if (options.tokenFile !== undefined) return readTokenFile(options.tokenFile, '--token-file');
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) return fromEnv;
  if (dataDir !== undefined) {
    const file = join(dataDir, CONTROL_TOKEN_FILE);
    if (!existsSync(file)) throw new ConfigError(`${file} does not exist: no desk has run with --data-dir ${dataDir}`);
    return readTokenFile(file, 'the control token file');
  }
  throw new ConfigError(`no control token: give --data-dir, --token-file <path> or ${TOKEN_ENV}`);
}

function readTokenFile(file: string, what: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (token === '' || /\s/.test(token)) throw new ConfigError(`${what} ${file} does not hold a token (one line, no spaces)`);
  return token;
}
