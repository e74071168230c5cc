// `dualdesk tail`: a headless stream subscriber (the hybrid subscriber, Kafka as its backup when
// configured) printing each frame, or one line of statistics a second, as JSON lines on stdout.
import { Writable } from 'node:stream';
import { encodeFrame, type DataFrame } from '../../shared/stream';
import { createLogger, type Logger } from '../ops';
import { HybridSubscriber, KafkaStreamReader } from '../transport';
import type { CliIo } from './io';
import { TailStatsWindow } from './tail-stats';
import { resolveTailTarget, type TailTargetOptions } from './tail-target';

/** Where to read (as `resolveTailTarget` takes it), and what to print. */
export interface TailOptions extends TailTargetOptions {
  readonly topics?: readonly string[];
  readonly resume?: { epoch: string; seq: number };
  readonly stats?: boolean;
}

/** How often tail checks whether a first connection has failed (no Kafka: nothing else to wait for). */
const WATCH_MS = 50;

/** Runs until a signal (resolves), a closed stdout (resolves), or an unreachable desk without Kafka (throws: exit 1). */
export async function tail(opts: TailOptions, io: CliIo): Promise<void> {
  const target = resolveTailTarget(opts, io.env);
  const diag = diagnostics(io);
  const out = new LineWriter(io);
  const window = new TailStatsWindow(Date.now);
  const subscriber = new HybridSubscriber({
    url: target.url,
    token: target.token,
    logger: diag.logger,
    ...(opts.topics ? { topics: opts.topics } : {}),
    ...(opts.resume ? { resume: opts.resume } : {}),
    ...(target.kafka ? { backup: new KafkaStreamReader({ settings: target.kafka, logger: diag.logger, backoff: { maxMs: 2_000 } }) } : {}),
    onMessage: opts.stats ? (f) => window.record(encodeFrame(f).byteLength, f.ts) : (f) => out.line(frameLine(f)),
    onReset: (reason) => io.stderr(`tail: position reset: ${reason}\n`),
  });

  let finish!: (err?: Error) => void;
  const done = new Promise<void>((resolve, reject) => (finish = (err) => (err ? reject(err) : resolve())));
  out.onClosed = () => finish();
  const onSignal = () => finish();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  await subscriber.start();
  // Without Kafka the banner waits for the desk, so that an unreachable one is told in one line.
  const banner = () =>
    io.stderr(`tail: ${target.url}${target.kafka ? ` (Kafka backup: topic ${target.kafka.topic})` : ''}${opts.topics ? `, topics ${opts.topics.join(',')}` : ''}\n`);
  if (target.kafka) banner();
  let reached = false;
  const watch = setInterval(() => {
    const s = subscriber.state();
    if (!reached && (s.websocket === 'open' || s.delivered > 0)) {
      reached = true;
      if (!target.kafka) banner();
    }
    if (!reached && !target.kafka && s.reconnects > 0) finish(new Error(`cannot reach the desk's stream at ${target.url}: ${diag.lastWsError() ?? 'the connection closed'}`));
  }, WATCH_MS);
  const stats = opts.stats ? setInterval(() => out.line(JSON.stringify(window.take(subscriber.state()))), 1_000) : undefined;

  try {
    await done;
  } finally {
    clearInterval(watch);
    clearInterval(stats);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await subscriber.stop();
    out.flush();
  }
}

function frameLine(f: DataFrame): string {
  return JSON.stringify({ epoch: f.epoch, seq: f.seq, ts: f.ts, topic: f.topic, data: f.data });
}

/** Buffers lines and writes them once per turn of the event loop; a closed stdout (EPIPE) ends tail quietly. */
class LineWriter {
  private chunks: string[] = [];
  private scheduled = false;
  private closed = false;
  onClosed: (() => void) | undefined;

  constructor(private readonly io: CliIo) {
    io.stdoutStream?.on('error', () => this.close());
  }

  line(text: string): void {
    if (this.closed) return;
    this.chunks.push(text, '\n');
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.closed || this.chunks.length === 0) return;
    const text = this.chunks.join('');
    this.chunks = [];
    try {
      this.io.stdout(text);
    } catch {
      this.close();
    }
  }

  private close(): void {
    this.closed = true;
    this.chunks = [];
    this.onClosed?.();
  }
}

/** Warnings and state changes go to stderr as short lines; the last WebSocket error explains an unreachable desk. */
function diagnostics(io: CliIo): { logger: Logger; lastWsError: () => string | undefined } {
  let lastWsError: string | undefined;
  const sink = new Writable({
    write(chunk: Buffer, _enc, callback) {
      for (const text of chunk.toString().split('\n')) {
        if (text === '') continue;
        const { level, msg, err, reason, state } = JSON.parse(text) as Record<string, unknown>;
        const error = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : err;
        if (msg === 'subscriber WebSocket error') lastWsError = describeWsError(String(error));
        else if (level !== 'debug')
          io.stderr(
            `tail: ${String(msg)}${[state, reason, error]
              .filter((v) => v !== undefined)
              .map((v) => ` (${typeof v === 'string' ? v : JSON.stringify(v)})`)
              .join('')}\n`,
          );
      }
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: sink }), lastWsError: () => lastWsError };
}

function describeWsError(err: string): string {
  if (/\b401\b/.test(err)) return 'the desk refused the control token (401)';
  return err;
}
