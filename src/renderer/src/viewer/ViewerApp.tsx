// The viewer page: a remote viewer's read-only window on the trader's desk, over the share server.
// The top line says plainly whether it is connecting, catching up, live or disconnected (and why),
// and what this link lets it see.
import { useEffect, useState, useSyncExternalStore } from 'react';
import type { ViewerScope } from '../../../shared';
import { viewerConnect } from './connect';
import { forgetViewerToken } from './detect';
import { readClaims } from './link';
import { ViewerStore } from './store';
import { ViewOnly } from './ViewOnly';
import { expiresIn, linkDetail, scopeWords, STATE_WORDS } from './words';

export function ViewerApp({ token }: { token: string | undefined }) {
  // One store for the page's life (the token never changes without a new page).
  const [store] = useState(() => (token === undefined ? undefined : new ViewerStore((onClose) => viewerConnect(token, onClose), forgetViewerToken)));
  useEffect(() => {
    if (!store) return;
    void store.start();
    return () => void store.stop();
  }, [store]);

  if (token === undefined || !store) {
    return (
      <div className="app viewer">
        <header className="topbar" data-testid="topbar">
          <span className="brand">DualDesk</span>
          <span className="mode-badge view-badge">VIEW ONLY</span>
          <span className="spacer" />
        </header>
        <p className="banner viewer-no-link" data-testid="viewer-no-link">
          This page needs a viewer link: open the link the trader sent you (it ends in #token=…).
        </p>
      </div>
    );
  }
  return <Viewer store={store} token={token} />;
}

function Viewer({ store, token }: { store: ViewerStore; token: string }) {
  useSyncExternalStore(store.subscribe, store.getVersion);
  const claims = readClaims(token);
  const scope: readonly ViewerScope[] = claims?.scope ?? [];
  const state = store.state();
  const now = store.polledAt;
  const detail = linkDetail(state, store.link, store.refusal, now);
  const venue = store.venue;
  const venueDot = !venue ? 'off' : venue.state === 'connected' && venue.synced ? 'ok' : venue.state === 'degraded-data' || venue.state === 'connecting' ? 'warn' : 'bad';

  return (
    <div className="app viewer">
      <header className="topbar" data-testid="topbar">
        <span className="brand">DualDesk</span>
        <span className="mode-badge view-badge" data-testid="view-badge">
          VIEW ONLY
        </span>
        {venue && (
          <span className={`mode-badge mode-${venue.mode}`} data-testid="mode-badge">
            {venue.mode.toUpperCase()}
          </span>
        )}
        {venue?.account && (
          <span className="account" data-testid="account-id">
            {venue.account}
          </span>
        )}
        <span className="view-scope" data-testid="view-scope" title={claims?.label ? `Link: ${claims.label}` : undefined}>
          Sees: {scopeWords(scope)}
          {claims?.expiresAt !== undefined && <span className="muted"> · link expires {expiresIn(claims.expiresAt, now)}</span>}
        </span>
        <span className="spacer" />
        <span
          className={`status status-${venueDot}`}
          data-testid="status-venue"
          data-state={venueDot}
          title={venue ? `${venue.state}${venue.synced ? ', in sync' : ''}` : 'not known yet'}
        >
          <span className="dot" />
          venue
        </span>
        <span
          className={`view-link view-${state}`}
          data-testid="view-state"
          data-state={state}
          data-epoch={store.link?.epoch ?? ''}
          data-seq={store.link?.lastSeq ?? 0}
          data-snapshots={store.snapshots}
          data-reconnects={store.link?.reconnects ?? 0}
          data-attempts={store.attempts}
          data-polls={store.polls}
          data-retry={store.refusal && !store.refusal.retry ? 'no' : 'yes'}
          role="status"
        >
          {STATE_WORDS[state]}
        </span>
      </header>
      {detail && (
        <div className={`view-detail view-${state}`} data-testid="view-detail" data-kind={store.refusal?.kind ?? ''}>
          {detail}
        </div>
      )}
      <ViewOnly store={store} scope={scope} />
    </div>
  );
}
