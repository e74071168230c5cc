import { useEffect, useState } from 'react';
import type { DeskApi, DeskInfo } from '../../shared';

type CoreState = { kind: 'connecting' } | { kind: 'ready'; info: DeskInfo } | { kind: 'error'; message: string };

export function App({ desk }: { desk: DeskApi }) {
  const [core, setCore] = useState<CoreState>({ kind: 'connecting' });

  useEffect(() => {
    let live = true;
    desk.getInfo().then(
      (info) => live && setCore({ kind: 'ready', info }),
      (err: unknown) => live && setCore({ kind: 'error', message: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
  }, [desk]);

  const mode = core.kind === 'ready' ? core.info.mode : undefined;
  return (
    <div className="app">
      <header className="topbar" data-testid="topbar">
        <span className="brand">DualDesk</span>
        {mode && (
          <span className={`mode-badge mode-${mode}`} data-testid="mode-badge">
            {mode.toUpperCase()}
          </span>
        )}
        <span className="spacer" />
        <span className={`core-status core-${core.kind}`} data-testid="core-status">
          {core.kind === 'connecting' && 'connecting to core…'}
          {core.kind === 'ready' && `core ${core.info.version}`}
          {core.kind === 'error' && core.message}
        </span>
      </header>
      <main className="workspace" data-testid="workspace" />
    </div>
  );
}
