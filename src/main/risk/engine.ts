// The risk concern assembled: the pre-trade gate, the trading state, the account limits monitor and the
// trader's limits, over the mode's database and the core's bus. One RiskEngine per trading mode.
import {
  defaultRiskLimits,
  parseRiskLimits,
  type ChallengeStatus,
  type ChallengeStatusChange,
  type EquitySnapshot,
  type RiskAlert,
  type RiskDecision,
  type RiskLimits,
  type RiskStatus,
  type TradingMode,
  type TradingState,
} from '../../shared';
import type { CoreTopics, MessageBus, Priority } from '../bus';
import { tradingDayOf, type Clock } from '../clock';
import type { Database } from '../store';
import { RiskGate } from './gate';
import { AccountMonitor } from './monitor';
import { RiskRepository, type StateLogEntry } from './repository';
import { STATE_PRIORITY, TradingStateKeeper } from './state';
import type { OrderIntent, RearmResult, RiskContext, StateOptions, TradingStateSource } from './types';

export class RiskLimitsError extends Error {
  override readonly name = 'RiskLimitsError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid risk limits: ${problems.join('; ')}`);
  }
}

/** Where risk publishes: the core's bus (or anything with its publish). */
export type RiskBus = Pick<MessageBus<CoreTopics>, 'publish' | 'subscribe'>;

export interface RiskEngineOptions {
  /** The mode's database (migration 3 applied). */
  readonly db: Database;
  readonly mode: TradingMode;
  readonly bus: RiskBus;
  readonly clock: Clock;
  /** The challenge passed, failed or was reset (the seed's CHALLENGE_STATUS_CHANGED); proposed topic 'risk.challenge'. */
  readonly onChallenge?: (change: ChallengeStatusChange) => void;
  /**
   * The key of the trading day an instant falls in; keys must sort in time order. It must be the day the
   * portfolio anchors dailyStartEquity to; default the portfolio's default rule (17:00 New York, the
   * weekend belongs to Monday). Pass `(ms) => tradingDayOf(ms, rule).key` when the portfolio's rule is configured.
   */
  readonly tradingDayOf?: (ms: number) => string;
  /** A database write failed or stored limits were unusable; risk keeps working (fails safe) and reports here. */
  readonly onError?: (err: unknown, what: string) => void;
}

const ALERT_PRIORITY: Readonly<Record<RiskAlert['severity'], Priority>> = { CRITICAL: 'URGENT', HIGH: 'HIGH', MEDIUM: 'NORMAL', LOW: 'NORMAL' };

export class RiskEngine implements TradingStateSource {
  private readonly repo: RiskRepository;
  private readonly keeper: TradingStateKeeper;
  private readonly gate: RiskGate;
  private readonly monitor: AccountMonitor;
  private readonly tradingDayOf: (ms: number) => string;
  private readonly guards = new Set<() => string | undefined>();
  private readonly onError: (err: unknown, what: string) => void;
  private limits: RiskLimits;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: RiskEngineOptions) {
    this.onError = options.onError ?? (() => undefined);
    this.repo = new RiskRepository(options.db);
    this.tradingDayOf = options.tradingDayOf ?? ((ms) => tradingDayOf(ms).key);
    this.limits = this.loadLimits();
    this.keeper = new TradingStateKeeper(this.repo, (c) => options.bus.publish('risk.state', c, STATE_PRIORITY[c.state]), this.onError, options.clock.now());
    this.gate = new RiskGate(this.limits, this.keeper);
    this.monitor = new AccountMonitor(this.repo.loadAccount(), this.tradingDayOf, {
      limitReached: (_kind, reason) => this.limitReached(reason),
      alert: (a) => options.bus.publish('risk.alert', a, ALERT_PRIORITY[a.severity]),
      challenge: (c) => options.onChallenge?.(c),
      persist: (m) => {
        try {
          this.repo.saveAccount(m);
        } catch (err) {
          this.onError(err, 'persisting the account monitor');
        }
      },
    });
  }

  // --- trading state ---------------------------------------------------------------------------

  get state(): TradingState {
    return this.keeper.state;
  }

  get reason(): string {
    return this.keeper.reason;
  }

  get latched(): boolean {
    return this.keeper.latched;
  }

  /** Subscribes to `equity` on the bus and publishes the restored trading state (late subscribers see it too). */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.options.bus.subscribe('equity', (s) => this.onEquity(s));
    const now = this.keeper.snapshot();
    this.options.bus.publish('risk.state', now, STATE_PRIORITY[now.state]);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** HALTED: nothing but cancels. Latched by default (the kill switch, the trader). True when the state changed. */
  halt(reason: string, options: StateOptions = {}): boolean {
    return this.keeper.escalate('HALTED', reason, options.latched ?? true, this.options.clock.now());
  }

  /** REDUCING: only orders that reduce a position without reversing it. Never softens a halt. */
  reduce(reason: string, options: StateOptions = {}): boolean {
    return this.keeper.escalate('REDUCING', reason, options.latched ?? true, this.options.clock.now());
  }

  /** The core lifts a state it set unlatched (e.g. reconciliation done); a latched state needs the trader's re-arm. */
  resume(reason: string): RearmResult {
    if (this.keeper.latched) return refuse(`trading was stopped by '${this.keeper.reason}' and stays ${this.keeper.state} until you re-arm`);
    return this.activate(reason);
  }

  /**
   * The trader's re-arm: back to ACTIVE unless a limit is still breached (the daily loss limit for the
   * rest of the trading day it was reached in; the drawdown while it is at or over its limit) or a
   * guard refuses (e.g. execution: reconciliation not clean, positions not flat after a kill switch).
   */
  rearm(): RearmResult {
    if (this.keeper.state === 'ACTIVE') return { ok: true };
    const now = this.options.clock.now();
    const limits = this.limits;
    if (this.monitor.dailyLocked(now)) {
      return refuse(`the daily loss limit (${limitText(limits)}) was reached this trading day (${this.tradingDayOf(now)}); re-arming is possible from the next trading day`);
    }
    if (this.monitor.drawdownBreached) {
      return refuse(
        this.monitor.lastEquity
          ? `the drawdown is at ${this.monitor.drawdown(limits).text} from the equity high; re-arming waits until it is back under the limit`
          : `the drawdown was at or over its limit (${limits.maxDrawdownPct.toFixed(2)}%) at the last equity seen; re-arming waits for equity showing it back under the limit`,
      );
    }
    for (const guard of this.guards) {
      const why = guard();
      if (why !== undefined) return refuse(why);
    }
    return this.activate('re-armed by the trader');
  }

  /** A condition that refuses re-arming while it returns a reason; returns the removal. */
  addRearmGuard(guard: () => string | undefined): () => void {
    this.guards.add(guard);
    return () => this.guards.delete(guard);
  }

  /** State transitions, newest first (the audit trail). */
  stateLog(limit = 100): StateLogEntry[] {
    return this.repo.stateLog(limit);
  }

  // --- pre-trade checks ------------------------------------------------------------------------

  /** Every order passes here before it is journaled and sent; an accepted order is recorded for the rate limit and duplicate guard. */
  check(intent: OrderIntent, ctx: RiskContext): RiskDecision {
    return this.gate.check(intent, ctx);
  }

  /** The same checks without recording (the order ticket's live preview). */
  preview(intent: OrderIntent, ctx: RiskContext): RiskDecision {
    return this.gate.preview(intent, ctx);
  }

  // --- account limits --------------------------------------------------------------------------

  /** Each equity snapshot from the portfolio (start() subscribes to the bus's `equity`). */
  onEquity(snapshot: EquitySnapshot): void {
    this.monitor.onEquity(snapshot, this.limits);
  }

  get challenge(): ChallengeStatus {
    return this.monitor.memory.challenge;
  }

  /** Starts a new challenge, measured from the current equity (the next snapshot's before the first). */
  resetChallenge(): void {
    this.monitor.resetChallenge(this.options.clock.now());
  }

  // --- limits ----------------------------------------------------------------------------------

  getLimits(): RiskLimits {
    return this.limits;
  }

  /**
   * Applies the trader's edit: `patch` holds the fields to change (nested objects merge one level,
   * lists are replaced, null clears an optional limit), the result is validated whole and stored
   * before it applies. Throws RiskLimitsError naming every bad field; nothing changes then.
   */
  setLimits(patch: unknown): RiskLimits {
    if (!isPlainObject(patch)) throw new RiskLimitsError(['limits: must be an object of the limits to change']);
    const parsed = parseRiskLimits(merge(this.limits, patch));
    if (!parsed.ok) throw new RiskLimitsError(parsed.problems);
    const next = parsed.limits;
    this.repo.saveLimits(next, this.options.clock.now());
    const startsChallenge = this.limits.profitTargetPct === null && next.profitTargetPct !== null;
    this.limits = next;
    this.gate.setLimits(next);
    if (startsChallenge) this.monitor.resetChallenge(this.options.clock.now());
    this.monitor.reevaluate(next);
    return next;
  }

  /** What the UI shows. */
  status(): RiskStatus {
    const memory = this.monitor.memory;
    const now = this.options.clock.now();
    return {
      state: this.keeper.state,
      reason: this.keeper.reason,
      latched: this.keeper.latched,
      since: this.keeper.since,
      ...(memory.day !== '' ? { tradingDay: memory.day } : {}),
      dailyLossPct: dailyPct(this.monitor.lastEquity),
      drawdownPct: this.monitor.drawdown(this.limits).value,
      dailyLimitReached: this.monitor.dailyLocked(now),
      drawdownLimitReached: memory.drawdownBreached,
      challenge: memory.challenge,
      ...(memory.challengeStartEquity !== undefined ? { challengeStartEquity: memory.challengeStartEquity } : {}),
      limits: this.limits,
    };
  }

  private limitReached(reason: string): void {
    if (this.limits.onLimit === 'HALTED') this.halt(reason);
    else this.reduce(reason);
  }

  private activate(reason: string): RearmResult {
    try {
      this.keeper.activate(reason, this.options.clock.now());
      return { ok: true };
    } catch (err) {
      this.onError(err, 'persisting trading state ACTIVE');
      return refuse(`the trading state could not be saved (${(err as Error).message}); trading stays ${this.keeper.state}`);
    }
  }

  private loadLimits(): RiskLimits {
    const defaults = defaultRiskLimits(this.options.mode);
    const stored = this.repo.loadLimits();
    if (stored === undefined) return defaults;
    // Stored over the defaults: a limit added by a newer DualDesk takes its default.
    const parsed = parseRiskLimits(isPlainObject(stored) ? merge(defaults, stored) : stored);
    if (parsed.ok) return parsed.limits;
    this.onError(new RiskLimitsError(parsed.problems), `stored ${this.options.mode} risk limits are unusable; using the defaults`);
    return defaults;
  }
}

function refuse(reason: string): RearmResult {
  return { ok: false, code: 'rearm-refused', reason: `Cannot re-arm: ${reason}` };
}

function limitText(limits: RiskLimits): string {
  const p = `${limits.dailyLossPct.toFixed(2)}%`;
  return limits.dailyLossAmount === null ? p : `${p} or ${limits.dailyLossAmount.toFixed(2)}`;
}

function dailyPct(s: EquitySnapshot | undefined): number {
  if (!s || !(s.dailyStartEquity > 0) || s.equity >= s.dailyStartEquity) return 0;
  return ((s.dailyStartEquity - s.equity) / s.dailyStartEquity) * 100;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The trader's edits are data from outside: never let a key reach an object's prototype.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `over` on `base`: plain objects merge one level down, anything else replaces. */
function merge(base: object, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (UNSAFE_KEYS.has(key)) continue;
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? { ...prev, ...value } : value;
  }
  return out;
}
