/**
 * Reconnect delays: exponential from `initialMs`, doubling to `maxMs` and then steady, with "equal
 * jitter" (half fixed, half random) so that many desks behind one gateway never retry in lockstep.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly random: () => number,
    private readonly initialMs = 100,
    private readonly maxMs = 10_000,
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ceiling / 2 + (ceiling / 2) * this.random();
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
