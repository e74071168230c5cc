// The trading state: ACTIVE → REDUCING → HALTED, persisted before it is published, escalating only
// (a halt is never softened into reduce-only by a later event); back to ACTIVE only by the trader's
// re-arm, or by resume() when nothing latched it.
import type { TradingState, TradingStateChange } from '../../shared';
import type { Priority } from '../bus';
import type { RiskRepository, StoredTradingState } from './repository';
import type { TradingStateSource } from './types';

const RANK: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** A halt overtakes everything on the bus; reduce-only nearly so. */
export const STATE_PRIORITY: Readonly<Record<TradingState, Priority>> = { HALTED: 'FLASH_CRASH', REDUCING: 'URGENT', ACTIVE: 'HIGH' };

export const INITIAL_REASON = 'new trading database: trading is active';

export class TradingStateKeeper implements TradingStateSource {
  private current: StoredTradingState;

  constructor(
    private readonly repo: RiskRepository,
    private readonly publish: (change: TradingStateChange) => void,
    private readonly onError: (err: unknown, what: string) => void,
    now: number,
  ) {
    const stored = repo.loadState();
    if (stored) {
      this.current = stored;
    } else {
      this.current = { state: 'ACTIVE', reason: INITIAL_REASON, latched: false, since: now };
      repo.saveState(this.current, 'ACTIVE');
    }
  }

  get state(): TradingState {
    return this.current.state;
  }

  get reason(): string {
    return this.current.reason;
  }

  get latched(): boolean {
    return this.current.latched;
  }

  get since(): number {
    return this.current.since;
  }

  /** The current state as a change from itself (what a late subscriber needs to see). */
  snapshot(): TradingStateChange {
    const c = this.current;
    return { state: c.state, previous: c.state, reason: c.reason, latched: c.latched, at: c.since };
  }

  /**
   * Moves up to `target` (never down): true when the state or its latch changed. The change takes
   * effect even if the database cannot be written (a halt must never be lost to a disk error); the
   * error is reported.
   */
  escalate(target: Exclude<TradingState, 'ACTIVE'>, reason: string, latched: boolean, now: number): boolean {
    const c = this.current;
    const up = RANK[target] > RANK[c.state];
    const latching = RANK[target] === RANK[c.state] && latched && !c.latched;
    if (!up && !latching) return false;
    this.apply({ state: target, reason, latched: latched || c.latched, since: now }, false);
    return true;
  }

  /** Back to ACTIVE; the caller has decided it may. Throws when the database cannot be written (nothing changes). */
  activate(reason: string, now: number): boolean {
    if (this.current.state === 'ACTIVE' && !this.current.latched) return false;
    this.apply({ state: 'ACTIVE', reason, latched: false, since: now }, true);
    return true;
  }

  private apply(next: StoredTradingState, strict: boolean): void {
    const previous = this.current.state;
    try {
      this.repo.saveState(next, previous);
    } catch (err) {
      if (strict) throw err;
      this.onError(err, `persisting trading state ${next.state}`);
    }
    this.current = next;
    this.publish({ state: next.state, previous, reason: next.reason, latched: next.latched, at: next.since });
  }
}
