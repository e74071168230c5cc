// Fault drills: the switches tests pull, kept out of the production classes (which only take the hook as an option).
import type { Worker } from 'node:worker_threads';
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
