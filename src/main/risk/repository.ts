// What risk keeps across restarts, in the mode's database (migration 3): the trading state and its
// history, the trader's limits, and the account monitor's memory of the trading day (warnings given,
// limits reached) and of the challenge. Paper and live have separate databases, so each mode has its own.
import type { ChallengeStatus, TradingState } from '../../shared';
import type { Database } from '../store';

export interface StoredTradingState {
  readonly state: TradingState;
  readonly reason: string;
  readonly latched: boolean;
  readonly since: number;
}

/** The account monitor's memory; `day` is '' until the first equity snapshot. */
export interface AccountMemory {
  readonly day: string;
  /** The highest warning fraction of the daily loss limit already reported this trading day (0: none). */
  readonly dailyWarned: number;
  /** The daily loss limit was reached this trading day. */
  readonly dailyLimitHit: boolean;
  readonly drawdownWarned: number;
  /** The drawdown limit was reported this trading day. */
  readonly drawdownLimitHit: boolean;
  /** The latest equity had the drawdown at or over its limit. */
  readonly drawdownBreached: boolean;
  readonly challenge: ChallengeStatus;
  readonly challengeStartEquity: number | undefined;
  readonly challengeChangedAt: number;
}

export interface StateLogEntry {
  readonly state: TradingState;
  readonly previous: TradingState;
  readonly reason: string;
  readonly latched: boolean;
  readonly at: number;
}

interface StateRow {
  state: TradingState;
  reason: string;
  latched: number;
  changed_at: number;
}

interface AccountRow {
  trading_day: string;
  daily_warned: number;
  daily_limit_hit: number;
  drawdown_warned: number;
  drawdown_limit_hit: number;
  drawdown_breached: number;
  challenge_status: ChallengeStatus;
  challenge_start_equity: number | null;
  challenge_changed_at: number;
}

export class RiskRepository {
  private readonly getState;
  private readonly putState;
  private readonly logState;
  private readonly readLog;
  private readonly getLimits;
  private readonly putLimits;
  private readonly getAccount;
  private readonly putAccount;
  private readonly transition;

  constructor(db: Database) {
    this.getState = db.prepare<[], StateRow>('SELECT state, reason, latched, changed_at FROM risk_state WHERE id = 1');
    this.putState = db.prepare(
      `INSERT INTO risk_state (id, state, reason, latched, changed_at) VALUES (1, @state, @reason, @latched, @at)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, reason = excluded.reason, latched = excluded.latched, changed_at = excluded.changed_at`,
    );
    this.logState = db.prepare('INSERT INTO risk_state_log (state, previous, reason, latched, at) VALUES (@state, @previous, @reason, @latched, @at)');
    this.readLog = db.prepare<[number], { state: TradingState; previous: TradingState; reason: string; latched: number; at: number }>(
      'SELECT state, previous, reason, latched, at FROM risk_state_log ORDER BY seq DESC LIMIT ?',
    );
    this.getLimits = db.prepare<[], { limits: string }>('SELECT limits FROM risk_limits WHERE id = 1');
    this.putLimits = db.prepare(
      `INSERT INTO risk_limits (id, limits, updated_at) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET limits = excluded.limits, updated_at = excluded.updated_at`,
    );
    this.getAccount = db.prepare<[], AccountRow>(
      `SELECT trading_day, daily_warned, daily_limit_hit, drawdown_warned, drawdown_limit_hit, drawdown_breached,
              challenge_status, challenge_start_equity, challenge_changed_at
       FROM risk_account WHERE id = 1`,
    );
    this.putAccount = db.prepare(
      `INSERT INTO risk_account (id, trading_day, daily_warned, daily_limit_hit, drawdown_warned, drawdown_limit_hit,
                                 drawdown_breached, challenge_status, challenge_start_equity, challenge_changed_at)
       VALUES (1, @day, @dailyWarned, @dailyLimitHit, @drawdownWarned, @drawdownLimitHit, @drawdownBreached,
               @challenge, @challengeStartEquity, @challengeChangedAt)
       ON CONFLICT (id) DO UPDATE SET
         trading_day = excluded.trading_day, daily_warned = excluded.daily_warned, daily_limit_hit = excluded.daily_limit_hit,
         drawdown_warned = excluded.drawdown_warned, drawdown_limit_hit = excluded.drawdown_limit_hit,
         drawdown_breached = excluded.drawdown_breached, challenge_status = excluded.challenge_status,
         challenge_start_equity = excluded.challenge_start_equity, challenge_changed_at = excluded.challenge_changed_at`,
    );
    this.transition = db.transaction((s: StoredTradingState, previous: TradingState) => {
      const latched = s.latched ? 1 : 0;
      this.putState.run({ state: s.state, reason: s.reason, latched, at: s.since });
      this.logState.run({ state: s.state, previous, reason: s.reason, latched, at: s.since });
    });
  }

  loadState(): StoredTradingState | undefined {
    const row = this.getState.get();
    return row && { state: row.state, reason: row.reason, latched: row.latched === 1, since: row.changed_at };
  }

  /** The new state and its log entry, in one transaction, durable before it returns. */
  saveState(state: StoredTradingState, previous: TradingState): void {
    this.transition(state, previous);
  }

  /** The newest transitions first. */
  stateLog(limit = 100): StateLogEntry[] {
    return this.readLog.all(limit).map((r) => ({ state: r.state, previous: r.previous, reason: r.reason, latched: r.latched === 1, at: r.at }));
  }

  /** The stored limits as JSON-parsed data (validated by the caller), or undefined when never saved. */
  loadLimits(): unknown {
    const row = this.getLimits.get();
    if (!row) return undefined;
    try {
      return JSON.parse(row.limits) as unknown;
    } catch {
      return null;
    }
  }

  saveLimits(limits: unknown, at: number): void {
    this.putLimits.run(JSON.stringify(limits), at);
  }

  loadAccount(): AccountMemory | undefined {
    const r = this.getAccount.get();
    if (!r) return undefined;
    return {
      day: r.trading_day,
      dailyWarned: r.daily_warned,
      dailyLimitHit: r.daily_limit_hit === 1,
      drawdownWarned: r.drawdown_warned,
      drawdownLimitHit: r.drawdown_limit_hit === 1,
      drawdownBreached: r.drawdown_breached === 1,
      challenge: r.challenge_status,
      challengeStartEquity: r.challenge_start_equity ?? undefined,
      challengeChangedAt: r.challenge_changed_at,
    };
  }

  saveAccount(m: AccountMemory): void {
    this.putAccount.run({
      day: m.day,
      dailyWarned: m.dailyWarned,
      dailyLimitHit: m.dailyLimitHit ? 1 : 0,
      drawdownWarned: m.drawdownWarned,
      drawdownLimitHit: m.drawdownLimitHit ? 1 : 0,
      drawdownBreached: m.drawdownBreached ? 1 : 0,
      challenge: m.challenge,
      challengeStartEquity: m.challengeStartEquity ?? null,
      challengeChangedAt: m.challengeChangedAt,
    });
  }
}
