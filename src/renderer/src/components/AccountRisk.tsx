import { useState } from 'react';
import { percentDecimals, type RiskLimits } from '../../../shared';
import { useDesk, useSlices } from '../desk/hooks';
import { money, signed, tone } from '../desk/format';
import { dailyMeasure, drawdownMeasure, type LossMeasure } from '../desk/loss-limits';

/** 0.00063% — enough decimals that a small loss or limit does not read 0.00%. */
const percent = (v: number) => `${v.toFixed(percentDecimals(v))}%`;

/** How close a loss is to its limit, amber and red at the warning fractions; money first, the percent beside it. */
function LimitBar({ label, m, warnings, testId }: { label: string; m: LossMeasure; warnings: readonly number[]; testId: string }) {
  const inMoney = m.usedMoney !== undefined && m.limitMoney !== undefined;
  const used = inMoney ? m.usedMoney : m.usedPct;
  const limit = inMoney ? m.limitMoney : m.limitPct;
  const fraction = limit > 0 ? Math.min(1, Math.max(0, used / limit)) : 0;
  const [amber = 0.8, red = 0.9] = warnings;
  const level = fraction >= 1 ? 'breach' : fraction >= red ? 'red' : fraction >= amber ? 'amber' : 'ok';
  return (
    <div className="limit" data-testid={testId} data-level={level}>
      <div className="limit-label">
        <span>{label}</span>
        <span data-testid={`${testId}-text`}>
          {inMoney
            ? `${money(m.usedMoney)} (${percent(m.usedPct)}) of ${money(m.limitMoney)} (${percent(m.limitPct)}) · ${money(Math.max(0, m.limitMoney - m.usedMoney))} left`
            : `${percent(m.usedPct)} of ${percent(m.limitPct)} · ${percent(Math.max(0, m.limitPct - m.usedPct))} left`}
        </span>
      </div>
      <div className="limit-track">
        <div className={`limit-fill lvl-${level}`} style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
    </div>
  );
}

type NumericLimit = 'maxOrderNotional' | 'maxGrossExposure' | 'priceBandPct' | 'dailyLossPct' | 'maxDrawdownPct' | 'duplicateWindowMs';

const EDITABLE: { key: NumericLimit; label: string }[] = [
  { key: 'maxOrderNotional', label: 'Max notional per order' },
  { key: 'maxGrossExposure', label: 'Max gross exposure' },
  { key: 'priceBandPct', label: 'Price band %' },
  { key: 'dailyLossPct', label: 'Daily loss limit %' },
  { key: 'maxDrawdownPct', label: 'Max drawdown %' },
  { key: 'duplicateWindowMs', label: 'Duplicate window ms' },
];

function LimitsEditor({ limits, onDone }: { limits: RiskLimits; onDone: () => void }) {
  const store = useDesk();
  const [values, setValues] = useState<Record<string, string>>(() => ({
    ...Object.fromEntries(EDITABLE.map((e) => [e.key, String(limits[e.key])])),
    stk: String(limits.maxOrderQuantity.STK),
    stkPos: String(limits.maxPosition.STK),
  }));
  const [error, setError] = useState<string | undefined>();
  async function save() {
    const next: Record<string, unknown> = { ...limits };
    for (const e of EDITABLE) next[e.key] = Number(values[e.key]);
    next['maxOrderQuantity'] = { ...limits.maxOrderQuantity, STK: Number(values['stk']) };
    next['maxPosition'] = { ...limits.maxPosition, STK: Number(values['stkPos']) };
    const r = await store.command('setRiskLimits', { limits: next });
    if (!r.ok) setError(r.error.message);
    else {
      await store.refreshRisk();
      onDone();
    }
  }
  const field = (key: string, label: string) => (
    <label key={key}>
      {label}
      <input value={values[key] ?? ''} onChange={(e) => setValues({ ...values, [key]: e.target.value })} data-testid={`limit-${key}`} />
    </label>
  );
  return (
    <form
      className="limits-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {field('stk', 'Max order qty (shares)')}
      {field('stkPos', 'Max position (shares)')}
      {EDITABLE.map((e) => field(e.key, e.label))}
      {error && (
        <p className="error" data-testid="limits-error">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
        <button className="btn" data-testid="limits-save">
          Save limits
        </button>
      </div>
    </form>
  );
}

/** Equity and P&L, the distance to the loss limits, the trading state, the kill switch and re-arm. */
export function AccountRisk({ onKill }: { onKill: () => void }) {
  const store = useSlices('account', 'venue');
  const { equity, risk } = store;
  // The gate ACTIVE while the venue refuses every order (LIVE on a paper account, ...) is not trading: said as the top bar says it.
  const refusal = store.venue && !store.venue.trading.allowed ? store.venue.trading.reason : undefined;
  const badge =
    store.coreReachable === false ? 'UNKNOWN' : risk?.state === 'ACTIVE' && refusal !== undefined ? 'NOT TRADING' : `${risk?.state ?? ''}${risk?.latched ? ' (latched)' : ''}`;
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const daily = equity ? equity.equity - equity.dailyStartEquity : undefined;

  return (
    <section className="panel account" data-testid="account">
      <h3>
        Account &amp; risk
        <span className="spacer" />
        {risk && (
          // Not known while the core is unreachable (the last answer is not the state now).
          <span
            className={`trading-state ts-${store.coreReachable === false ? 'unknown' : badge === 'NOT TRADING' ? 'NOT-TRADING' : risk.state}`}
            data-testid="risk-state"
            title={refusal ?? risk.reason}
          >
            {badge}
          </span>
        )}
      </h3>
      <dl className="figures">
        <dt>Equity</dt>
        <dd data-testid="equity">{money(equity?.equity)}</dd>
        <dt>Daily P&amp;L</dt>
        <dd className={tone(daily)} data-testid="daily-pnl">
          {signed(daily)}
        </dd>
        <dt>Realized</dt>
        <dd className={tone(equity?.realizedPnl)}>{signed(equity?.realizedPnl)}</dd>
        <dt>Unrealized</dt>
        <dd className={tone(equity?.unrealizedPnl)}>{signed(equity?.unrealizedPnl)}</dd>
        <dt>Commissions</dt>
        <dd>{money(equity?.commissions)}</dd>
        <dt>Challenge</dt>
        <dd>{risk?.challenge ?? '—'}</dd>
      </dl>
      {risk && (
        <>
          <LimitBar label="Daily loss" m={dailyMeasure(risk, equity)} warnings={risk.limits.warningFractions} testId="limit-daily" />
          <LimitBar label="Drawdown" m={drawdownMeasure(risk, equity)} warnings={risk.limits.warningFractions} testId="limit-drawdown" />
          {risk.state !== 'ACTIVE' && (
            <p className="muted risk-reason" data-testid="risk-reason">
              {risk.reason}
            </p>
          )}
        </>
      )}
      {/* While the desk says one is pending (the stream's last message may be from before a restart); then, while still halted, that it was flat. */}
      {store.killSwitch && (risk?.killSwitchPending === true || (store.killSwitch.phase === 'flat' && risk?.state === 'HALTED')) && (
        <p className={`kill-progress ks-${store.killSwitch.phase}`} data-testid="kill-progress" data-phase={store.killSwitch.phase}>
          {store.killSwitch.message}
        </p>
      )}
      {(store.mismatches.length > 0 || store.cashMismatch) && (
        <div className="mismatches" data-testid="mismatches">
          <p className="error">DualDesk&apos;s books differ from the venue; trading is held:</p>
          <ul>
            {store.mismatches.map((m) => (
              <li key={m.conId}>
                {m.symbol}: DualDesk {m.desk}, venue {m.venue}
              </li>
            ))}
            {store.cashMismatch && (
              <li key="cash">
                cash: DualDesk {store.cashMismatch.currency} {money(store.cashMismatch.desk)}, venue {store.cashMismatch.currency} {money(store.cashMismatch.venue)}
              </li>
            )}
          </ul>
          <button
            className="btn"
            data-testid="adopt-venue"
            onClick={() => void store.command('adoptVenuePositions', {}).then((r) => (r.ok ? (setError(undefined), void store.refreshRisk()) : setError(r.error.message)))}
          >
            Adopt the venue&apos;s figures
          </button>
        </div>
      )}
      <div className="risk-actions">
        <button className="btn kill" onClick={onKill} data-testid="kill-switch">
          KILL SWITCH
        </button>
        {risk && risk.state !== 'ACTIVE' && (
          <button
            className="btn"
            onClick={() => void store.command('rearm', {}).then((r) => (r.ok ? (setError(undefined), void store.refreshRisk()) : setError(r.error.message)))}
            data-testid="rearm"
          >
            Re-arm
          </button>
        )}
        {risk && !editing && (
          <button className="btn" onClick={() => setEditing(true)} data-testid="edit-limits">
            Limits…
          </button>
        )}
      </div>
      {error && (
        <p className="error" data-testid="rearm-error">
          {error}
        </p>
      )}
      {editing && risk && <LimitsEditor limits={risk.limits} onDone={() => setEditing(false)} />}
    </section>
  );
}
