// `dualdesk tail --stats`: what one second of the stream looked like, as one JSON line.
import type { SubscriberState } from '../transport';

export interface TailStatsLine {
  /** End of the window, ISO time. */
  readonly at: string;
  readonly messagesPerSecond: number;
  /** The delivered frames' encoded (msgpack) size, per second. */
  readonly bytesPerSecond: number;
  readonly channel: SubscriberState['channel'];
  readonly epoch: string | null;
  readonly lastSeq: number;
  readonly head: number;
  readonly gapsDetected: number;
  readonly gapsFilled: number;
  readonly failovers: number;
  readonly reconnects: number;
  /** now − publish time of the messages delivered in the window (0 when none). */
  readonly latencyMs: { readonly p50: number; readonly p99: number };
}

/** Counts one window of deliveries; `take` closes it and starts the next. */
export class TailStatsWindow {
  private messages = 0;
  private bytes = 0;
  private latencies: number[] = [];
  private startedAt: number;

  constructor(private readonly now: () => number) {
    this.startedAt = now();
  }

  record(bytes: number, publishedAt: number): void {
    this.messages++;
    this.bytes += bytes;
    this.latencies.push(Math.max(0, this.now() - publishedAt));
  }

  take(state: SubscriberState): TailStatsLine {
    const end = this.now();
    const seconds = Math.max(0.001, (end - this.startedAt) / 1_000);
    const sorted = this.latencies.sort((a, b) => a - b);
    const q = (p: number) => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number));
    const line: TailStatsLine = {
      at: new Date(end).toISOString(),
      messagesPerSecond: Math.round(this.messages / seconds),
      bytesPerSecond: Math.round(this.bytes / seconds),
      channel: state.channel,
      epoch: state.epoch ?? null,
      lastSeq: state.lastSeq,
      head: state.head,
      gapsDetected: state.gapsDetected,
      gapsFilled: state.gapsFilled,
      failovers: state.failovers,
      reconnects: state.reconnects,
      latencyMs: { p50: q(0.5), p99: q(0.99) },
    };
    this.messages = 0;
    this.bytes = 0;
    this.latencies = [];
    this.startedAt = end;
    return line;
  }
}
