// A circuit breaker per channel (closed → open → half-open → closed), opened by the seed's triggers:
// more than 3 consecutive failures, or an error rate over 5 % in 30 s.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open it (opens on the one after: "more than 3"). */
  readonly maxConsecutiveFailures?: number;
  readonly errorRate?: number;
  readonly windowMs?: number;
  /** The error rate counts only with at least this many outcomes in the window. */
  readonly minVolume?: number;
  /** How long it stays open before a trial (half-open). */
  readonly coolDownMs?: number;
}

export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private consecutive = 0;
  private openedAt = 0;
  /** Outcomes counted in one-second buckets, so a busy channel costs O(1) per outcome. */
  private buckets: { second: number; ok: number; failed: number }[] = [];
  private readonly maxConsecutive: number;
  private readonly errorRate: number;
  private readonly windowMs: number;
  private readonly minVolume: number;
  private readonly coolDownMs: number;

  constructor(
    private readonly now: () => number,
    options: BreakerOptions = {},
    private readonly onChange: (state: BreakerState, reason: string) => void = () => undefined,
  ) {
    this.maxConsecutive = options.maxConsecutiveFailures ?? 3;
    this.errorRate = options.errorRate ?? 0.05;
    this.windowMs = options.windowMs ?? 30_000;
    this.minVolume = options.minVolume ?? 20;
    this.coolDownMs = options.coolDownMs ?? 1_000;
  }

  get state(): BreakerState {
    if (this.stateValue === 'open' && this.now() - this.openedAt >= this.coolDownMs) this.set('half-open', 'cool-down over');
    return this.stateValue;
  }

  /** Whether the channel may be used now (closed, or half-open for a trial). */
  allows(): boolean {
    return this.state !== 'open';
  }

  success(): void {
    this.record(true);
    this.consecutive = 0;
    if (this.stateValue !== 'closed') this.set('closed', 'trial succeeded');
  }

  failure(reason: string): void {
    this.record(false);
    this.consecutive++;
    if (this.stateValue === 'half-open') {
      this.open(`trial failed: ${reason}`);
      return;
    }
    if (this.stateValue !== 'closed') return;
    if (this.consecutive > this.maxConsecutive) {
      this.open(`${this.consecutive} consecutive failures (${reason})`);
      return;
    }
    let failed = 0;
    let total = 0;
    for (const b of this.buckets) {
      failed += b.failed;
      total += b.ok + b.failed;
    }
    if (total >= this.minVolume && failed / total > this.errorRate) {
      this.open(`error rate ${((100 * failed) / total).toFixed(1)} % over ${this.windowMs / 1000} s (${reason})`);
    }
  }

  /** Opens at once (a trigger that needs no counting, such as missed heartbeats). */
  trip(reason: string): void {
    if (this.stateValue !== 'open') this.open(reason);
  }

  private open(reason: string): void {
    this.openedAt = this.now();
    this.set('open', reason);
  }

  private record(ok: boolean): void {
    const second = Math.floor(this.now() / 1000);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.second !== second) {
      last = { second, ok: 0, failed: 0 };
      this.buckets.push(last);
      const oldest = second - Math.ceil(this.windowMs / 1000);
      while (this.buckets.length > 0 && (this.buckets[0] as { second: number }).second <= oldest) this.buckets.shift();
    }
    if (ok) last.ok++;
    else last.failed++;
  }

  private set(state: BreakerState, reason: string): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.onChange(state, reason);
  }
}
