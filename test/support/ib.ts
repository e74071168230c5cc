// A real @stoqey/ib client over real TCP, with an event log the tests can wait on.
import { EventName, IBApi } from '@stoqey/ib';
import { onTestFinished } from 'vitest';

export interface LoggedEvent {
  /** An EventName value (a string enum), compared as text. */
  readonly name: string;
  readonly args: readonly unknown[];
}

export class IbTestClient {
  readonly ib: IBApi;
  readonly log: LoggedEvent[] = [];
  private waiters: { since: number; match: (e: LoggedEvent) => boolean; resolve: (e: LoggedEvent) => void }[] = [];

  constructor(port: number, options: { maxReqPerSec?: number } = {}) {
    this.ib = new IBApi({ host: '127.0.0.1', port, ...options });
    this.ib.on(EventName.all, (name: string, args: unknown[]) => this.record({ name, args }));
    // Without an error listener an EventEmitter throws on 'error' events.
    this.ib.on(EventName.error, () => undefined);
  }

  private record(e: LoggedEvent): void {
    this.log.push(e);
    const index = this.log.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index >= w.since && w.match(e)) {
        w.resolve(e);
        return false;
      }
      return true;
    });
  }

  /** The position in the log now: pass it to `waitFor` to see only what arrives after. */
  mark(): number {
    return this.log.length;
  }

  /** The first event (at or after `since`) named `name` that satisfies `match`. */
  waitFor(name: string, match: (args: readonly unknown[]) => boolean = () => true, since = 0, timeoutMs = 10_000): Promise<readonly unknown[]> {
    const test = (e: LoggedEvent) => e.name === name && match(e.args);
    const found = this.log.slice(since).find(test);
    if (found) return Promise.resolve(found.args);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${name}' event within ${timeoutMs} ms; last events: ${JSON.stringify(this.log.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        since,
        match: test,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e.args);
        },
      });
    });
  }

  /** Resolves when `check` holds, re-evaluated as each event arrives. */
  waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        since: 0,
        match: () => check(),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  events(name: string, since = 0): (readonly unknown[])[] {
    return this.log
      .slice(since)
      .filter((e) => e.name === name)
      .map((e) => e.args);
  }

  /** IB error codes received (error events: id, code). */
  errorCodes(since = 0): number[] {
    return this.events(EventName.error, since).map((a) => a[1] as number);
  }

  infoCodes(since = 0): number[] {
    return this.events(EventName.info, since).map((a) => a[1] as number);
  }

  /** Connects with a fixed client id and resolves once the venue has sent nextValidId. */
  async connect(clientId: number): Promise<number> {
    const since = this.mark();
    this.ib.connect(clientId);
    const [id] = await this.waitFor(EventName.nextValidId, () => true, since);
    return id as number;
  }

  disconnect(): void {
    if (this.ib.isConnected) this.ib.disconnect();
  }
}

/** A connected client that is disconnected when the test ends. */
export async function connectClient(port: number, clientId: number, options: { maxReqPerSec?: number } = {}): Promise<IbTestClient> {
  const client = new IbTestClient(port, options);
  onTestFinished(() => client.disconnect());
  await client.connect(clientId);
  return client;
}
