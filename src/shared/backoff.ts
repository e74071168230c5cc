// Retry delays for every reconnect loop (venue, Kafka, stream subscribers): doubling from initialMs to
// maxMs, with "equal jitter" (half fixed, half random) so that many clients of one server never retry in step.

export interface BackoffOptions {
  /** First delay (default 100 ms); doubles per attempt. */
  readonly initialMs?: number;
  /** Largest delay (default 10 s). */
  readonly maxMs?: number;
}

/** The delay before retry `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs ?? 10_000, (options.initialMs ?? 100) * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (ceiling / 2) * random();
}

/** Counts the attempts of one retry loop. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly random: () => number = Math.random,
    private readonly options: BackoffOptions = {},
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
