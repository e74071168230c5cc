// The account limits monitor, in the prop-trading style of seed 003: the daily loss against the
// start-of-day equity and the drawdown from the equity high, warned at each fraction of the limit
// once per trading day, the limit itself escalating the trading state; and the challenge's profit target.
import type { ChallengeReason, ChallengeStatusChange, EquitySnapshot, RiskAlert, RiskLimits } from '../../shared';
import { amount, finePct, pct } from './format';
import type { AccountMemory } from './repository';

const EPSILON = 1e-9;

export type AccountLimitKind = 'DAILY_LOSS' | 'MAX_DRAWDOWN';

export interface MonitorEffects {
  /** The limit is reached (on every snapshot while it is): escalate the trading state (idempotent). */
  limitReached(kind: AccountLimitKind, reason: string): void;
  alert(alert: RiskAlert): void;
  challenge(change: ChallengeStatusChange): void;
  /** The memory changed: keep it across restarts. */
  persist(memory: AccountMemory): void;
}

type Memory = { -readonly [K in keyof AccountMemory]: AccountMemory[K] };

export const EMPTY_MEMORY: AccountMemory = {
  day: '',
  dailyWarned: 0,
  dailyLimitHit: false,
  drawdownWarned: 0,
  drawdownLimitHit: false,
  drawdownBreached: false,
  challenge: 'ACTIVE',
  challengeStartEquity: undefined,
  challengeChangedAt: 0,
};

interface Measure {
  /** Fraction of the limit used (1 = at the limit). */
  readonly ratio: number;
  readonly value: number;
  readonly limit: number;
  /** Money first, then the percent: '4,500.00 = 4.50% (limit: 5,000.00 = 5.00%)'; a tiny limit still reads 0.00063%. */
  readonly text: string;
}

export class AccountMonitor {
  private mem: Memory;
  private last: EquitySnapshot | undefined;

  constructor(
    initial: AccountMemory | undefined,
    private readonly tradingDayOf: (ms: number) => string,
    private readonly effects: MonitorEffects,
  ) {
    this.mem = { ...(initial ?? EMPTY_MEMORY) };
  }

  get memory(): AccountMemory {
    return { ...this.mem };
  }

  get lastEquity(): EquitySnapshot | undefined {
    return this.last;
  }

  /** The daily loss limit was reached on the trading day of `now`. */
  dailyLocked(now: number): boolean {
    return this.mem.dailyLimitHit && this.mem.day === this.tradingDayOf(now);
  }

  get drawdownBreached(): boolean {
    return this.mem.drawdownBreached;
  }

  dailyLoss(limits: RiskLimits): Measure {
    return dailyMeasure(this.last, limits);
  }

  drawdown(limits: RiskLimits): Measure {
    return drawdownMeasure(this.last, limits);
  }

  onEquity(s: EquitySnapshot, limits: RiskLimits): void {
    if (!Number.isFinite(s.equity) || !Number.isFinite(s.dailyStartEquity) || !Number.isFinite(s.maxEquityEver)) return;
    this.last = s;
    this.evaluate(s, limits);
  }

  /** Limits changed: judge the latest equity against them at once. */
  reevaluate(limits: RiskLimits): void {
    if (this.last) this.evaluate(this.last, limits);
  }

  /** A new challenge, measured from the current equity (or the next snapshot's, before the first). */
  resetChallenge(now: number): void {
    const previous = this.mem.challenge;
    const equity = this.last !== undefined && this.last.equity > 0 ? this.last.equity : undefined;
    this.mem.challenge = 'ACTIVE';
    this.mem.challengeStartEquity = equity;
    this.mem.challengeChangedAt = now;
    this.effects.persist(this.memory);
    this.effects.challenge({ previous, status: 'ACTIVE', reason: 'RESET', at: now, ...(equity !== undefined ? { startEquity: equity, equity } : {}) });
  }

  private evaluate(s: EquitySnapshot, limits: RiskLimits): void {
    const m = this.mem;
    let dirty = false;
    const at = s.at;

    // A new trading day: warnings and the daily lock start over (a snapshot from an earlier day is judged in the current one).
    const day = this.tradingDayOf(at);
    if (day > m.day) {
      m.day = day;
      m.dailyWarned = 0;
      m.dailyLimitHit = false;
      m.drawdownWarned = 0;
      m.drawdownLimitHit = false;
      dirty = true;
    }
    if (m.challengeStartEquity === undefined && m.challenge === 'ACTIVE' && s.equity > 0) {
      m.challengeStartEquity = s.equity;
      m.challengeChangedAt = at;
      dirty = true;
    }

    const alerts: RiskAlert[] = [];
    const tracking = limits.profitTargetPct !== null && m.challenge === 'ACTIVE';
    let outcome: { status: 'PASSED' | 'FAILED'; reason: ChallengeReason } | undefined;
    const verb = limits.onLimit === 'HALTED' ? 'trading halted' : 'trading is reduce-only';

    // Daily loss against the start-of-day equity.
    const daily = dailyMeasure(s, limits);
    if (daily.ratio >= 1 - EPSILON) {
      this.effects.limitReached('DAILY_LOSS', `Daily loss limit reached: ${daily.text}`);
      if (!m.dailyLimitHit) {
        m.dailyLimitHit = true;
        m.dailyWarned = 1;
        dirty = true;
        alerts.push(alert('DAILY_LOSS', 'CRITICAL', 'Daily loss limit reached', `Daily loss at ${daily.text}: ${verb} for the rest of the trading day`, daily, at));
        if (tracking) outcome = { status: 'FAILED', reason: 'DAILY_LOSS_LIMIT' };
      }
    } else {
      const i = crossed(limits.warningFractions, daily.ratio);
      const f = i < 0 ? 0 : (limits.warningFractions[i] as number);
      if (f > m.dailyWarned) {
        m.dailyWarned = f;
        dirty = true;
        alerts.push(alert('DAILY_LOSS', severityOf(i, limits), 'Daily loss warning', `Daily loss at ${daily.text}`, daily, at));
      }
    }

    // Drawdown from the equity high.
    const dd = drawdownMeasure(s, limits);
    const breached = dd.ratio >= 1 - EPSILON;
    if (breached !== m.drawdownBreached) {
      m.drawdownBreached = breached;
      dirty = true;
    }
    if (breached) {
      this.effects.limitReached('MAX_DRAWDOWN', `Maximum drawdown reached: ${dd.text}`);
      if (!m.drawdownLimitHit) {
        m.drawdownLimitHit = true;
        m.drawdownWarned = 1;
        dirty = true;
        alerts.push(alert('MAX_DRAWDOWN', 'CRITICAL', 'Maximum drawdown reached', `Drawdown at ${dd.text} from the equity high: ${verb} until you re-arm`, dd, at));
        if (tracking && outcome === undefined) outcome = { status: 'FAILED', reason: 'MAX_DRAWDOWN' };
      }
    } else {
      const i = crossed(limits.warningFractions, dd.ratio);
      const f = i < 0 ? 0 : (limits.warningFractions[i] as number);
      if (f > m.drawdownWarned) {
        m.drawdownWarned = f;
        dirty = true;
        alerts.push(alert('MAX_DRAWDOWN', severityOf(i, limits), 'Drawdown warning', `Drawdown at ${dd.text} from the equity high`, dd, at));
      }
    }

    // Profit target: the challenge passes (once; a later loss does not undo it).
    const start = m.challengeStartEquity;
    const target = limits.profitTargetPct;
    if (tracking && outcome === undefined && start !== undefined && start > 0 && target !== null) {
      const gainPct = ((s.equity - start) / start) * 100;
      if (gainPct >= target * (1 - EPSILON)) {
        outcome = { status: 'PASSED', reason: 'PROFIT_TARGET' };
        alerts.push({
          type: 'PROFIT_TARGET',
          severity: 'LOW',
          title: 'Profit target reached',
          message: `Profit at ${pct(gainPct)} (target: ${pct(target)}): challenge passed`,
          value: gainPct,
          limit: target,
          at,
        });
      }
    }

    let change: ChallengeStatusChange | undefined;
    if (outcome) {
      change = { previous: m.challenge, status: outcome.status, reason: outcome.reason, equity: s.equity, at, ...(start !== undefined ? { startEquity: start } : {}) };
      m.challenge = outcome.status;
      m.challengeChangedAt = at;
      dirty = true;
    }
    // Remembered before they are told: a crash in between loses an alert rather than repeating it.
    if (dirty) this.effects.persist(this.memory);
    for (const a of alerts) this.effects.alert(a);
    if (change) this.effects.challenge(change);
  }
}

function dailyMeasure(s: EquitySnapshot | undefined, limits: RiskLimits): Measure {
  const loss = s ? s.dailyStartEquity - s.equity : 0;
  const lossPct = s && s.dailyStartEquity > 0 && loss > 0 ? (loss / s.dailyStartEquity) * 100 : 0;
  const lossAmount = loss > 0 ? loss : 0;
  const byPct = lossPct / limits.dailyLossPct;
  const byAmount = limits.dailyLossAmount !== null ? lossAmount / limits.dailyLossAmount : 0;
  const now = `${amount(lossAmount)} = ${finePct(lossPct)}`;
  if (limits.dailyLossAmount !== null && byAmount > byPct) {
    // Money and percent, as every limit reads: the absolute limit's share of the start-of-day equity.
    const limitPct = s && s.dailyStartEquity > 0 ? ` = ${finePct((limits.dailyLossAmount / s.dailyStartEquity) * 100)}` : '';
    return { ratio: byAmount, value: lossAmount, limit: limits.dailyLossAmount, text: `${now} (limit: ${amount(limits.dailyLossAmount)}${limitPct})` };
  }
  const limitAmount = s ? (s.dailyStartEquity * limits.dailyLossPct) / 100 : undefined;
  const limitText = limitAmount !== undefined ? `${amount(limitAmount)} = ${finePct(limits.dailyLossPct)}` : finePct(limits.dailyLossPct);
  return { ratio: byPct, value: lossPct, limit: limits.dailyLossPct, text: `${now} (limit: ${limitText})` };
}

function drawdownMeasure(s: EquitySnapshot | undefined, limits: RiskLimits): Measure {
  const high = s ? Math.max(s.maxEquityEver, s.equity) : 0;
  const ddPct = s && high > 0 && s.equity < high ? ((high - s.equity) / high) * 100 : 0;
  const fall = s && s.equity < high ? high - s.equity : 0;
  const text = `${amount(fall)} = ${finePct(ddPct)} (limit: ${amount((high * limits.maxDrawdownPct) / 100)} = ${finePct(limits.maxDrawdownPct)})`;
  return { ratio: ddPct / limits.maxDrawdownPct, value: ddPct, limit: limits.maxDrawdownPct, text };
}

/** Index of the highest warning fraction `ratio` has reached, or -1. */
function crossed(fractions: readonly number[], ratio: number): number {
  for (let i = fractions.length - 1; i >= 0; i--) if (ratio >= (fractions[i] as number) - EPSILON) return i;
  return -1;
}

/** The warning nearest the limit is HIGH; those before it MEDIUM. */
function severityOf(i: number, limits: RiskLimits): 'MEDIUM' | 'HIGH' {
  return i === limits.warningFractions.length - 1 ? 'HIGH' : 'MEDIUM';
}

function alert(type: AccountLimitKind, severity: RiskAlert['severity'], title: string, message: string, m: Measure, at: number): RiskAlert {
  return { type, severity, title, message, value: m.value, limit: m.limit, at };
}
