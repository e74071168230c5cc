// Request correlation: each request to IB goes out through the pacer, and its answer events (keyed by
// request id, or by event names for answers IB sends without one) are routed back to it until its end
// marker, an error or the timeout.
import type { IBApi } from '@stoqey/ib';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import { VenueError } from '../venue';
import { PacerClosedError, type Pacer, type Priority } from './pacer';

const FIRST_REQUEST_ID = 10_000_000; // far above order ids: IB's errors carry either, in one field

/** 'done' ends the request; 'ignore' is an event of the same name for another request. */
export type AnswerVerdict = 'done' | 'more' | 'ignore';
export type OnAnswer = (name: string, args: readonly unknown[]) => AnswerVerdict;

interface Pending {
  readonly onEvent: OnAnswer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export interface RequestsOptions {
  readonly clock: Clock;
  readonly pacer: Pacer;
  readonly logger: Logger;
  readonly timeoutMs: number;
  /** The connection: its IBApi (set from the first connection attempt) and whether it is ready. */
  readonly connection: { readonly ib: IBApi | undefined; readonly ready: boolean };
}

export class Requests {
  private nextId = FIRST_REQUEST_ID;
  private readonly pending = new Map<number | string, Pending>();

  constructor(private readonly options: RequestsOptions) {}

  /** A request id never used before (market data subscriptions take theirs here too). */
  nextRequestId(): number {
    return this.nextId++;
  }

  /** Whether requests can go out now. */
  canSend(): boolean {
    return this.options.connection.ib !== undefined && this.options.connection.ready;
  }

  /**
   * Sends a request and collects its answer events (keyed by request id, or by the answer's event
   * names for requests IB answers without one) until its end marker, an error or the timeout.
   */
  request(key: number | readonly string[], priority: Priority, write: (ib: IBApi) => void, onEvent: OnAnswer): Promise<void> {
    const ib = this.options.connection.ib;
    if (!ib || !this.options.connection.ready) return Promise.reject(new VenueError('venue-disconnected', 'Venue disconnected: the request was not sent.'));
    const keys = typeof key === 'number' ? [key] : key;
    return new Promise<void>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let finished = false;
      const finish = (err?: Error) => {
        if (finished) return;
        finished = true;
        this.options.clock.clearTimer(timer);
        for (const k of keys) this.pending.delete(k);
        if (err) reject(err);
        else resolve();
      };
      for (const k of keys) this.pending.set(k, { onEvent, resolve: () => finish(), reject: (e) => finish(e) });
      // The answer is awaited from when the request goes out, not while it waits for a pacing slot.
      const send = () => {
        write(ib);
        timer = this.options.clock.setTimeout(() => finish(new VenueError('timeout', `IB did not answer within ${this.options.timeoutMs} ms.`)), this.options.timeoutMs);
      };
      this.options.pacer.send(priority, send).catch((err: unknown) => finish(err instanceof PacerClosedError ? new VenueError('venue-disconnected', err.message) : (err as Error)));
    });
  }

  /** Sends one message through the pacer on the current connection; dropped silently if it is gone. */
  fireAndForget(priority: Priority, write: (ib: IBApi) => void): void {
    const ib = this.options.connection.ib;
    if (!ib) return;
    this.options.pacer
      .send(priority, () => write(ib))
      .catch((err: unknown) => {
        if (!(err instanceof PacerClosedError)) this.options.logger.error({ err }, 'venue send failed');
      });
  }

  /** Routes an answer event to the request waiting for it. */
  deliver(key: number | string, args: readonly unknown[], marker?: 'end'): void {
    const p = this.pending.get(key);
    if (!p) return;
    const verdict = marker === 'end' ? 'done' : p.onEvent(typeof key === 'string' ? key : 'answer', args);
    if (verdict === 'done') this.settle(key, p);
  }

  /** An IB error for this request id: the request waiting for it fails. False when none waits. */
  fail(reqId: number, error: Error): boolean {
    const p = this.pending.get(reqId);
    if (!p) return false;
    this.settle(reqId, p, error);
    return true;
  }

  /** The connection is gone: every request waiting for an answer fails. */
  failAll(error: Error): void {
    for (const [key, p] of this.pending) {
      p.reject(error);
      this.pending.delete(key);
    }
  }

  private settle(key: number | string, p: Pending, error?: Error): void {
    this.pending.delete(key);
    if (error) p.reject(error);
    else p.resolve();
  }
}
