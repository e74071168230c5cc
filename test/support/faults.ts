// Fault drills: the switches tests pull, kept out of the production classes (which only take the hook as an option).
import type { Worker } from 'node:worker_threads';
import type { StreamServerFaults } from '../../src/main/transport';
import type { KafkaOutboxFaults } from '../../src/main/transport/kafka';

/** A KafkaOutbox's drill: pass it as the outbox's `faults` option. */
export function outboxFaults(): KafkaOutboxFaults & { killWorker(): Promise<void> } {
  let worker: Worker | undefined;
  return {
    workerStarted: (w) => (worker = w),
    /** Ends the current worker thread at once, as a crash would; the outbox restarts it after its backoff. */
    killWorker: async () => {
      await worker?.terminate();
    },
  };
}

/** A StreamServer's drill: pass it as the server's `faults` option (or the desk's `streamFaults`). */
export function streamFaults(): StreamServerFaults & {
  disconnectAll(): void;
  loseFrames(n: number): void;
  stall(on: boolean): void;
  ignoreReplays(on: boolean): void;
} {
  let server: { disconnectAll(): void; stallEnded(): void } | undefined;
  let toLose = 0;
  const faults = {
    stalled: false,
    replaysIgnored: false,
    attach: (s: { disconnectAll(): void; stallEnded(): void }) => (server = s),
    lose: (n: number) => {
      const lost = Math.min(toLose, n);
      toLose -= lost;
      return lost;
    },
    /** Drops every connection at once (TCP reset, no close frame). */
    disconnectAll: () => server?.disconnectAll(),
    /** Loses the next `n` live data frames on the way to every subscriber, as a lossy link would. */
    loseFrames: (n: number) => (toLose = n),
    /** Stalls every connection (no frames either way, no heartbeats) until called with false; then they catch up. */
    stall: (on: boolean) => {
      faults.stalled = on;
      if (!on) server?.stallEnded();
    },
    /** Leaves replay requests unanswered until called with false. */
    ignoreReplays: (on: boolean) => (faults.replaysIgnored = on),
  };
  return faults;
}
