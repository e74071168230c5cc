import type { Logger } from '../ops';

export interface ShutdownOptions {
  readonly stop: () => Promise<void>;
  readonly logger: Logger;
  /** After this long the process exits with code 1 even if stopping has not finished. */
  readonly timeoutMs: number;
  /** Injected so tests can drive signals and observe exits without ending the test runner. */
  readonly processLike?: Pick<NodeJS.Process, 'on' | 'off'>;
  readonly exit?: (code: number) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * First SIGINT/SIGTERM: stop gracefully and exit 0 (1 if stopping failed or timed out).
 * A second signal while stopping: exit 1 at once.
 */
export function installShutdownHandlers(options: ShutdownOptions): () => void {
  const proc = options.processLike ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const { logger } = options;
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without finishing the stop');
      logger.flush();
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out');
      logger.flush();
      exit(1);
    }, options.timeoutMs);
    timer.unref();
    options.stop().then(
      () => {
        clearTimeout(timer);
        logger.info('stopped');
        logger.flush();
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        exit(1);
      },
    );
  };

  for (const s of SIGNALS) proc.on(s, onSignal);
  return () => {
    for (const s of SIGNALS) proc.off(s, onSignal);
  };
}
