// What a viewer's scopes let it see: the topics (its scopes' and those every viewer gets) and its payloads
// cut to what those scopes cover: venue.status to whether the data is live, account ids masked without
// `account`, and the fields another scope owns (positions, equity, orders) left out or the message withheld.
// Viewers with the same scopes share one view, so the stream server encodes each batch once for all of them.
import { ALWAYS_SHARED_TOPICS, REDACTED_ACCOUNT, SCOPE_TOPICS, VIEWER_SCOPES, type VenueStatus, type ViewerScope } from '../../shared';

export interface ViewerView {
  /** The same for every viewer with the same scopes (order and repeats do not matter). */
  readonly key: string;
  /** Topic patterns the viewer may see. */
  readonly topics: readonly string[];
  /** The payload as this view shows it (a copy; null when the whole message is withheld). */
  readonly redact?: (topic: string, data: unknown) => unknown;
}

/** venue.status as a viewer sees it: is the data live, and may the trader trade (never why: free text names accounts). */
export interface ViewerVenueStatus {
  readonly state: VenueStatus['state'];
  readonly since: number;
  readonly mode: VenueStatus['mode'];
  readonly synced: boolean;
  readonly trading: { readonly allowed: boolean };
  /** The account orders go to, masked without the `account` scope. */
  readonly account?: string;
}

/** Payload fields that hold an account id (a string) or a list of them, wherever they appear. */
const ACCOUNT_FIELDS = new Set(['account', 'accounts', 'accountId', 'acctCode', 'acctNumber']);

/** The view of a set of scopes. */
export function viewOf(scope: readonly ViewerScope[]): ViewerView {
  const scopes = VIEWER_SCOPES.filter((s) => scope.includes(s));
  const topics = new Set<string>(ALWAYS_SHARED_TOPICS);
  for (const s of scopes) if (s !== 'account') for (const t of SCOPE_TOPICS[s]) topics.add(t);
  const granted = new Set<ViewerScope>(scopes);
  return { key: scopes.join('+'), topics: [...topics], redact: (topic, data) => viewPayload(granted, topic, data) };
}

function viewPayload(granted: ReadonlySet<ViewerScope>, topic: string, data: unknown): unknown {
  const shown = ownedFieldsCut(granted, topic, data);
  return granted.has('account') || shown === null ? shown : redactAccounts(shown);
}

/** The payload without what a scope the viewer lacks owns; null when nothing of it may be shown. */
function ownedFieldsCut(granted: ReadonlySet<ViewerScope>, topic: string, data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const d = data as Record<string, unknown>;
  switch (topic) {
    case 'venue.status':
      return viewerVenueStatus(d as unknown as VenueStatus, granted.has('account'));
    case 'risk.killswitch': {
      if (granted.has('positions')) return data;
      // The message names the positions still held.
      const { remaining: _remaining, message: _message, ...rest } = d;
      return { ...rest, message: `kill switch: ${String(d.phase)}` };
    }
    case 'risk.challenge': {
      if (granted.has('pnl')) return data;
      const { equity: _equity, startEquity: _startEquity, ...rest } = d;
      return rest;
    }
    case 'venue.alert':
      return d.kind === 'order-warning' && !granted.has('orders') ? null : data;
    case 'portfolio.discrepancy':
      return granted.has(d.kind === 'position' ? 'positions' : 'pnl') ? data : null;
    default:
      return data;
  }
}

function viewerVenueStatus(s: VenueStatus, withAccount: boolean): ViewerVenueStatus {
  return {
    state: s.state,
    since: s.since,
    mode: s.mode,
    synced: s.synced,
    trading: { allowed: s.trading?.allowed === true },
    ...(typeof s.account === 'string' ? { account: withAccount ? s.account : REDACTED_ACCOUNT } : {}),
  };
}

/** A copy of `data` with every account id replaced by REDACTED_ACCOUNT (the original is untouched). */
export function redactAccounts(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(redactAccounts);
  if (data === null || typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (ACCOUNT_FIELDS.has(k)) out[k] = Array.isArray(v) ? v.map(() => REDACTED_ACCOUNT) : typeof v === 'string' ? REDACTED_ACCOUNT : redactAccounts(v);
    else out[k] = redactAccounts(v);
  }
  return out;
}
