import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { DeskApi, DeskInfo } from '../../shared';
import { AccountRisk } from './components/AccountRisk';
import { Blotter } from './components/Blotter';
import { Chart } from './components/Chart';
import { Dialog } from './components/Dialog';
import { loadHotkeys, useHotkeys } from './components/Hotkeys';
import { OutageBanner } from './components/OutageBanner';
import { OrderTicket, type TicketHandle } from './components/OrderTicket';
import { Splitter } from './components/Splitter';
import { Toasts } from './components/Toasts';
import { TopBar } from './components/TopBar';
import { Transport } from './components/Transport';
import { Watchlist } from './components/Watchlist';
import { DeskContext, useSlices } from './desk/hooks';
import { applyLayout, clampSize, fitSizes, loadSizes, measureRoom, PANEL_LIMITS, saveSizes, type Panel } from './desk/layout';
import { DeskStore } from './desk/store';

type CoreState = { kind: 'connecting' } | { kind: 'ready'; info: DeskInfo } | { kind: 'error'; message: string };

export function App({ desk }: { desk: DeskApi }) {
  const [core, setCore] = useState<CoreState>({ kind: 'connecting' });
  const [store, setStore] = useState<DeskStore | undefined>();

  useEffect(() => {
    let live = true;
    let started: DeskStore | undefined;
    desk.getInfo().then(
      (info) => {
        if (!live) return;
        started = new DeskStore(desk, info.mode);
        setStore(started);
        setCore({ kind: 'ready', info });
        void started.start();
      },
      (err: unknown) => live && setCore({ kind: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
      void started?.stop();
    };
  }, [desk]);

  return (
    <DeskContext.Provider value={store}>
      <div className="app">
        {core.kind === 'ready' && store ? (
          <Workstation />
        ) : (
          <header className="topbar" data-testid="topbar">
            <span className="brand">DualDesk</span>
            <span className="spacer" />
          </header>
        )}
        <span className={`core-status core-${core.kind}`} data-testid="core-status">
          {core.kind === 'connecting' && 'connecting to core…'}
          {core.kind === 'ready' && `core ${core.info.version}`}
          {core.kind === 'error' && core.message}
        </span>
      </div>
    </DeskContext.Provider>
  );
}

function Workstation() {
  const store = useSlices('watchlist', 'venue');
  const mode = store.mode;
  // The charted instrument is the desk's: every window and viewer charts the same.
  const chart = store.workspace?.chart;
  const [killing, setKilling] = useState<'confirm' | 'running' | undefined>();
  const [killResult, setKillResult] = useState<string | undefined>();
  const ticket = useRef<TicketHandle | undefined>(undefined);
  const workspace = useRef<HTMLElement>(null);
  const [sizes, setSizes] = useState(loadSizes);
  // What is shown: the saved sizes fitted to this window (a layout saved on a larger screen gives way).
  const [shown, setShown] = useState(sizes);
  // Bumped when the window, the ticket or the watchlist's columns change size: the fit is measured again.
  const [roomChanged, setRoomChanged] = useState(0);
  useLayoutEffect(() => saveSizes(sizes), [sizes]);
  // Before paint (no jump on load); on the document so what floats over the workspace (toasts) follows it too.
  useLayoutEffect(() => {
    const el = workspace.current;
    const fitted = el ? fitSizes(sizes, measureRoom(el)) : sizes;
    applyLayout(document.documentElement, fitted);
    setShown(fitted);
  }, [sizes, roomChanged]);
  useEffect(() => {
    const el = workspace.current;
    if (!el) return;
    let frame = 0;
    // Next frame, not inside the observer's callback: a layout change there would loop the observer.
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setRoomChanged((n) => n + 1));
    });
    observer.observe(el);
    for (const part of el.querySelectorAll('.right > :first-child, .watchlist table')) observer.observe(part);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, []);
  const resize = useCallback((panel: Panel) => (px: number) => setSizes((s) => ({ ...s, [panel]: clampSize(panel, px) })), []);
  const panelSize = (selector: string, side: 'width' | 'height') => workspace.current?.querySelector(selector)?.getBoundingClientRect()[side] ?? 0;

  const item = [...store.watchlist.values()].find((i) => i.instrument.conId === chart) ?? store.watchlist.values().next().value;

  const kill = useCallback(async () => {
    setKilling('running');
    const r = await store.command('killSwitch', {});
    setKilling(undefined);
    if (!r.ok) setKillResult(r.error.message);
    else
      setKillResult(
        r.value.flat
          ? `Flat and halted: ${r.value.cancelled} order(s) cancelled, ${r.value.exits.length} exit(s). Re-arm to trade again.`
          : `NOT flat: ${r.value.remaining.map((p) => `${p.quantity} ${p.symbol}`).join(', ')} still held. ${r.value.problems.join('; ')}${r.value.continuing ? '. It carries on by itself when the venue is back (progress under Account & risk).' : ''}`,
      );
  }, [store]);

  // Each hotkey goes to the activity log (its chord and what it does) before it acts.
  const actions = useMemo(() => {
    const log = (action: keyof ReturnType<typeof loadHotkeys>, what: string) => store.hotkey(loadHotkeys()[action], what);
    return {
      buy: () => {
        log('buy', 'Buy (the ticket as set)');
        ticket.current?.send('BUY');
      },
      sell: () => {
        log('sell', 'Sell (the ticket as set)');
        ticket.current?.send('SELL');
      },
      cancelAll: () => {
        log('cancelAll', 'Cancel all orders');
        void store
          .command('cancelAll', {})
          .then((r) =>
            r.ok
              ? store.alert('hotkey', 'INFO', 'Cancel all', `${r.value.cancelled} order(s) cancelled`)
              : store.alert('command', 'WARNING', 'Cancel all refused', r.error.message),
          );
      },
      flatten: () => {
        log('flatten', 'Flatten every position');
        void store
          .command('flatten', {})
          .then((r) =>
            r.ok
              ? store.alert('hotkey', 'INFO', 'Flatten', r.value.length === 0 ? 'Nothing to flatten' : `Exit order(s) ${r.value.map((o) => o.id).join(', ')}`)
              : store.alert('command', 'WARNING', 'Flatten refused', r.error.message),
          );
      },
      killSwitch: () => {
        log('killSwitch', 'Kill switch');
        void kill();
      },
    };
  }, [store, kill]);
  useHotkeys(actions);

  return (
    <>
      <TopBar mode={mode} onModeSwitched={(m) => void store.modeSwitched(m)} />
      <OutageBanner />
      <main className="workspace" data-testid="workspace" ref={workspace}>
        <Watchlist selected={item?.word} onSelect={(word) => void store.showChart(word)} />
        <Splitter
          testId="split-watch"
          label="Watchlist width"
          axis="x"
          grows={1}
          size={shown.watch}
          limits={PANEL_LIMITS.watch}
          measure={() => panelSize('.watchlist', 'width')}
          onResize={resize('watch')}
        />
        <Chart item={item} />
        <Splitter
          testId="split-right"
          label="Order ticket width"
          axis="x"
          grows={-1}
          size={shown.right}
          limits={PANEL_LIMITS.right}
          measure={() => panelSize('.right', 'width')}
          onResize={resize('right')}
        />
        <div className="right">
          <OrderTicket item={item} mode={mode} bindSend={(h) => (ticket.current = h)} />
          <AccountRisk onKill={() => setKilling('confirm')} />
        </div>
        <Splitter
          testId="split-bottom"
          label="Blotter height"
          axis="y"
          grows={-1}
          size={shown.bottom}
          limits={PANEL_LIMITS.bottom}
          measure={() => panelSize('.blotter', 'height')}
          onResize={resize('bottom')}
        />
        <Blotter />
        <Transport />
      </main>
      {killing && (
        <Dialog testId="kill-dialog" label="Kill switch" busy={killing === 'running'} onCancel={() => setKilling(undefined)}>
          <h2>Kill switch</h2>
          <p>Halts trading, cancels every working order, flattens every position with reduce-only orders and checks flat with the venue. Trading stays halted until you re-arm.</p>
          <div className="modal-actions">
            <button className="btn" onClick={() => setKilling(undefined)} disabled={killing === 'running'} data-autofocus data-testid="kill-cancel">
              Cancel
            </button>
            <button className="btn kill" onClick={() => void kill()} disabled={killing === 'running'} data-testid="kill-confirm">
              {killing === 'running' ? 'Flattening…' : 'KILL'}
            </button>
          </div>
        </Dialog>
      )}
      {killResult && (
        <div className="banner" data-testid="kill-result" onClick={() => setKillResult(undefined)}>
          {killResult}
        </div>
      )}
      <Toasts />
    </>
  );
}
