import type { Logger } from '../ops';

/** A part of the desk with a start and a stop. Started in order, stopped in reverse. */
export interface Service {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export class StartError extends Error {
  override readonly name = 'StartError';
}

/**
 * Starts services in order and stops them in reverse. A service that fails to start stops the
 * ones already running before the error is rethrown; a failing stop is logged and the rest still stop.
 */
export class Lifecycle {
  private readonly running: Service[] = [];
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly services: readonly Service[],
    private readonly logger: Logger,
    private readonly stopTimeoutMs = 10_000,
  ) {}

  start(): Promise<void> {
    if (this.starting) throw new StartError('already started');
    this.starting = this.startAll();
    return this.starting;
  }

  /** Idempotent: concurrent and repeated calls share one stop. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.starting?.catch(() => undefined);
      await this.stopRunning();
    })();
    return this.stopping;
  }

  private async startAll(): Promise<void> {
    for (const service of this.services) {
      if (this.stopping) return;
      this.logger.debug({ service: service.name }, 'starting');
      try {
        await service.start();
      } catch (err) {
        this.logger.error({ service: service.name, err }, 'failed to start');
        await this.stopRunning();
        throw new StartError(`${service.name} failed to start: ${(err as Error).message}`, { cause: err });
      }
      this.running.push(service);
      this.logger.info({ service: service.name }, 'started');
    }
  }

  private async stopRunning(): Promise<void> {
    for (let service = this.running.pop(); service; service = this.running.pop()) {
      const name = service.name;
      try {
        await withTimeout(
          Promise.resolve().then(() => service.stop()),
          this.stopTimeoutMs,
          `${name} did not stop`,
        );
        this.logger.info({ service: name }, 'stopped');
      } catch (err) {
        this.logger.error({ service: name, err }, 'failed to stop cleanly');
      }
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
