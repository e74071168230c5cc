// The journal's retention: it serves replays and resumes, so it keeps a bounded recent window (by age
// and by count); Kafka keeps the long history. What Kafka has not acknowledged is never pruned.
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import type { StreamJournal } from './journal';

export interface JournalRetentionOptions {
  readonly journal: StreamJournal;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxAgeMs: number;
  readonly maxCount: number;
  /** The first seq that must stay (Kafka's unacknowledged tail); none when absent. */
  readonly keepFrom?: () => number;
  /** How often to prune (default 60 s). */
  readonly everyMs?: number;
}

export class JournalRetention {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: JournalRetentionOptions) {}

  start(): void {
    this.timer ??= this.options.clock.setInterval(() => void this.prune(), this.options.everyMs ?? 60_000);
  }

  async stop(): Promise<void> {
    this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass; passes never overlap. */
  prune(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    const { journal, logger, maxAgeMs, maxCount } = this.options;
    const keepFrom = this.options.keepFrom?.() ?? Number.MAX_SAFE_INTEGER;
    try {
      const removed = await journal.prune(this.options.clock.now(), maxAgeMs, maxCount, keepFrom);
      if (removed > 0) logger.debug({ removed, oldest: journal.oldest, head: journal.head }, 'stream journal pruned');
      const held = journal.head - journal.oldest + 1;
      if (held > maxCount * 1.5) {
        logger.warn({ held, maxCount, keepFrom }, 'stream journal over its retention: Kafka has not acknowledged the tail, so it is kept');
      }
    } catch (err) {
      logger.error({ err }, 'stream journal pruning failed');
    }
  }
}
