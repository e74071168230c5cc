// A watchlist this browser kept before the desk kept it: moved to a desk never edited yet, once, then deleted.
import type { DeskApi, Instrument, Workspace } from '../../../shared';

/** Where this browser kept its own watchlist before the desk kept it. */
const WATCHLIST_KEY = 'dualdesk.watchlist';

/** A watchlist kept in this browser before the desk kept it goes to a desk never edited yet, then the key goes. */
export async function moveOldWatchlist(api: DeskApi, workspace: Workspace | undefined, setWorkspace: (w: Workspace) => void): Promise<void> {
  const raw = localStorage.getItem(WATCHLIST_KEY);
  if (raw === null || !workspace) return;
  if (workspace.edited !== 0) {
    localStorage.removeItem(WATCHLIST_KEY);
    return;
  }
  let saved: SavedSymbol[] = [];
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed)) saved = parsed.filter(isSavedSymbol);
  } catch {
    // Unreadable: nothing to move.
  }
  for (const x of saved) {
    const r = await api.command('addToWatchlist', { instrument: { symbol: x.symbol, secType: x.secType } });
    if (r.ok) setWorkspace(r.value);
    // Another window moving the same list, or a symbol the venue no longer knows: nothing more to do for it.
    else if (r.error.code !== 'already-on-watchlist' && r.error.code !== 'unknown-instrument' && r.error.code !== 'watchlist-full') return;
  }
  localStorage.removeItem(WATCHLIST_KEY);
}

interface SavedSymbol {
  readonly symbol: string;
  readonly secType: Instrument['secType'];
}

function isSavedSymbol(x: unknown): x is SavedSymbol {
  const o = x as { symbol?: unknown; secType?: unknown } | null;
  return typeof o?.symbol === 'string' && (o.secType === 'STK' || o.secType === 'CASH' || o.secType === 'FUT');
}
