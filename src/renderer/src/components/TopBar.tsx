import { useState } from 'react';
import type { TradingMode } from '../../../shared';
import { useSlices } from '../desk/hooks';
import { Dialog } from './Dialog';
import { ShareDialog } from './ShareDialog';

type Dot = 'ok' | 'warn' | 'bad' | 'off';

function Status({ name, dot, title, testId }: { name: string; dot: Dot; title: string; testId: string }) {
  return (
    <span className={`status status-${dot}`} title={title} data-testid={testId} data-state={dot}>
      <span className="dot" />
      {name}
    </span>
  );
}

/** The mode, each connection at a glance, the trading state, and the guarded PAPER/LIVE switch. */
export function TopBar({ mode, onModeSwitched }: { mode: TradingMode; onModeSwitched: (mode: TradingMode) => void }) {
  const store = useSlices('venue', 'transport', 'account');
  const { venue, health, stream, risk } = store;
  const [dialog, setDialogState] = useState<'live' | 'arm' | undefined>();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [sharing, setSharing] = useState(false);
  // Every opening starts empty: nothing typed or refused before carries over.
  const setDialog = (d: 'live' | 'arm' | undefined) => {
    setDialogState(d);
    setTyped('');
    setError(undefined);
  };

  // With the core unreachable nothing behind it is known: grey, not the last answer's green.
  const blind = store.coreReachable === false;
  const venueDot: Dot =
    blind || !venue ? 'off' : venue.state === 'connected' && venue.synced ? 'ok' : venue.state === 'degraded-data' || venue.state === 'connecting' ? 'warn' : 'bad';
  const wsDot: Dot = stream.state?.channel === 'kafka' ? 'warn' : stream.connected ? 'ok' : 'bad';
  const kafkaDot: Dot = blind || !health?.kafka ? 'off' : health.kafka.state === 'up' ? 'ok' : health.kafka.state === 'starting' ? 'warn' : 'bad';
  const journalDot: Dot = blind || !health ? 'off' : health.checks.journal.ok && health.checks.stream.ok ? 'ok' : 'bad';
  // Refused by the venue (LIVE on a paper account, not armed ...): the badge must not read ACTIVE next to it.
  const refusal = !blind && venue && !venue.trading.allowed ? venue.trading.reason : undefined;
  const tradingState = blind ? 'UNKNOWN' : risk && risk.state !== 'ACTIVE' ? risk.state : refusal !== undefined ? 'NOT TRADING' : (risk?.state ?? '');
  // The account orders go to; several and none chosen shows as such (trading is refused, the bar says why).
  const account = venue?.account ?? (venue && venue.accounts.length > 1 ? `${venue.accounts.length} accounts, none chosen` : undefined);

  async function switchTo(target: TradingMode) {
    setBusy(true);
    setError(undefined);
    const r = await store.command('switchMode', target === 'live' ? { mode: 'live', confirm: true } : { mode: 'paper' });
    setBusy(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    setDialog(undefined);
    setTyped('');
    onModeSwitched(r.value.mode);
  }

  async function arm() {
    setBusy(true);
    setError(undefined);
    const r = await store.command('armLive', { confirm: true });
    setBusy(false);
    if (!r.ok) setError(r.error.message);
    else setDialog(undefined);
  }

  return (
    <header className="topbar" data-testid="topbar">
      <span className="brand">DualDesk</span>
      <span className={`mode-badge mode-${mode}`} data-testid="mode-badge">
        {mode.toUpperCase()}
      </span>
      {account && (
        <span className="account" data-testid="account-id">
          {account}
        </span>
      )}
      {mode === 'live' && venue && (
        <span className={`armed ${venue.armed ? 'armed-on' : ''}`} data-testid="armed">
          {venue.armed ? 'ARMED' : 'NOT ARMED'}
        </span>
      )}
      {(risk || refusal) && (
        <span
          className={`trading-state ts-${blind ? 'unknown' : tradingState.replace(' ', '-')}`}
          data-testid="trading-state"
          data-state={blind ? 'unknown' : tradingState}
          title={blind ? 'Unknown while the core is not reachable' : (refusal ?? risk?.reason)}
        >
          {tradingState}
        </span>
      )}
      {refusal && (
        <div className="trading-refused" data-testid="trading-refused" role="status">
          <b>Trading refused:</b> {refusal}
        </div>
      )}
      <span className="spacer" />
      <Status
        name="venue"
        dot={venueDot}
        testId="status-venue"
        title={
          blind
            ? 'unknown: the core is not reachable'
            : venue
              ? `${venue.state}${venue.synced ? ', in sync' : ''} ${venue.host}:${venue.port}${venue.trading.reason ? ` — ${venue.trading.reason}` : ''}`
              : 'no venue'
        }
      />
      <Status name="ws" dot={wsDot} testId="status-ws" title={stream.state ? `channel ${stream.state.channel}, seq ${stream.state.lastSeq}` : 'connecting'} />
      <Status name="kafka" dot={kafkaDot} testId="status-kafka" title={blind ? 'unknown: the core is not reachable' : (health?.checks.kafka.detail ?? '')} />
      <Status name="journal" dot={journalDot} testId="status-journal" title={blind ? 'unknown: the core is not reachable' : (health?.checks.journal.detail ?? '')} />
      <button className="btn" data-testid="share-open" title="Share the live stream with remote viewers (read-only)" onClick={() => setSharing(true)}>
        Share…
      </button>
      {mode === 'paper' ? (
        <button className="btn btn-live" data-testid="switch-live" onClick={() => setDialog('live')}>
          Switch to LIVE…
        </button>
      ) : (
        <>
          {venue && !venue.armed && (
            <button className="btn btn-live" data-testid="arm-live" onClick={() => setDialog('arm')}>
              Arm LIVE…
            </button>
          )}
          <button className="btn" data-testid="switch-paper" disabled={busy} onClick={() => void switchTo('paper')}>
            Back to PAPER
          </button>
        </>
      )}
      {dialog === 'live' && (
        <Dialog testId="live-dialog" label="Switch to LIVE trading" busy={busy} onCancel={() => setDialog(undefined)}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (typed === 'LIVE' && !busy) void switchTo('live');
            }}
          >
            <h2>Switch to LIVE trading</h2>
            <p>LIVE trading uses real money. DualDesk disconnects from paper, connects to the live endpoint, and trades nothing until you arm it.</p>
            <label>
              Type <b>LIVE</b> to continue
              <input data-autofocus value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="live-confirm-input" />
            </label>
            {error && (
              <p className="error" data-testid="mode-error">
                {error}
              </p>
            )}
            <div className="modal-actions">
              <button type="button" className="btn" onClick={() => setDialog(undefined)} disabled={busy}>
                Cancel
              </button>
              <button type="submit" className="btn btn-live" disabled={typed !== 'LIVE' || busy} data-testid="live-confirm">
                Switch to LIVE
              </button>
            </div>
          </form>
        </Dialog>
      )}
      {dialog === 'arm' && (
        <Dialog testId="arm-dialog" label="Arm LIVE trading" busy={busy} onCancel={() => setDialog(undefined)}>
          <h2>Arm LIVE trading</h2>
          <p>Orders will go to the live account {account ?? ''} with real money.</p>
          {error && (
            <p className="error" data-testid="arm-error">
              {error}
            </p>
          )}
          <div className="modal-actions">
            <button className="btn" onClick={() => setDialog(undefined)} disabled={busy} data-autofocus>
              Cancel
            </button>
            <button className="btn btn-live" disabled={busy} onClick={() => void arm()} data-testid="arm-confirm">
              Arm
            </button>
          </div>
        </Dialog>
      )}
      {sharing && <ShareDialog onClose={() => setSharing(false)} />}
    </header>
  );
}
