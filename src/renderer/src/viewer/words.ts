// What the viewer says about its link to the desk, in the viewer's words: the connection state, why
// the desk refused or closed it, and what the token lets it see. Pure: the unit tests drive it.
import { SCOPE_TOPICS, VIEWER_SCOPES, type ViewerScope } from '../../../shared';
import { CLOSE, type SubscriberState } from '../../../shared/stream';

/** The four states the viewer shows; `ended` is disconnected for good (the token cannot be used again). */
export type ViewerLinkState = 'connecting' | 'catching-up' | 'live' | 'disconnected' | 'ended';

export const STATE_WORDS: { readonly [S in ViewerLinkState]: string } = {
  connecting: 'Connecting…',
  'catching-up': 'Catching up…',
  live: 'Live',
  disconnected: 'Disconnected',
  ended: 'Disconnected',
};

/** WebSocket's "try again later": the share server is up but the desk's stream is not (yet). */
const TRY_AGAIN_LATER = 1013;

/** Why the desk closed the stream: what to tell the viewer, and whether trying again can help. */
export interface Refusal {
  readonly code: number;
  readonly kind: 'unauthorized' | 'expired' | 'revoked' | 'limit' | 'idle' | 'slow' | 'going-away' | 'lost';
  readonly message: string;
  /** False: the link is dead (a new one from the trader is needed), so the viewer stops retrying. */
  readonly retry: boolean;
}

/** A close code (and the server's reason) as the viewer reads it. */
export function refusalOf(code: number, reason = ''): Refusal {
  switch (code) {
    case CLOSE.UNAUTHORIZED:
      return { code, kind: 'unauthorized', retry: false, message: 'The desk refused this link: it is not a valid viewer link for this desk. Ask the trader for a new one.' };
    case CLOSE.TOKEN_EXPIRED:
      return { code, kind: 'expired', retry: false, message: 'This viewer link has expired. Ask the trader for a new one.' };
    case CLOSE.TOKEN_REVOKED:
      return { code, kind: 'revoked', retry: false, message: 'The trader revoked this viewer link. Ask the trader for a new one.' };
    case CLOSE.LIMIT:
      return { code, kind: 'limit', retry: true, message: `Too many viewers on this desk right now${reason ? ` (${reason})` : ''}; retrying later.` };
    case CLOSE.IDLE:
      return { code, kind: 'idle', retry: true, message: 'The desk closed an idle connection; reconnecting.' };
    case CLOSE.TOO_SLOW:
      return { code, kind: 'slow', retry: true, message: 'This viewer fell too far behind the stream; reconnecting.' };
    case TRY_AGAIN_LATER:
      return { code, kind: 'going-away', retry: true, message: 'The desk’s stream is not ready yet; retrying.' };
    case CLOSE.GOING_AWAY:
      return { code, kind: 'going-away', retry: true, message: 'The desk is restarting or stopped sharing; reconnecting.' };
    default:
      return { code, kind: 'lost', retry: true, message: 'The connection to the desk was lost; reconnecting.' };
  }
}

/** The state to show, from the subscriber's state and the last refusal (if the link ended, that wins). */
export function linkState(s: SubscriberState | undefined, refusal: Refusal | undefined): ViewerLinkState {
  if (refusal && !refusal.retry) return 'ended';
  if (s?.websocket === 'open' && s.epoch !== undefined) return s.lastSeq < s.head ? 'catching-up' : 'live';
  // Refused for now (too many viewers), or lost after having joined: disconnected until back, even while the next attempt runs.
  if (refusal || s?.epoch !== undefined) return 'disconnected';
  return 'connecting';
}

/** One line under the state: why, and what happens next (a countdown to the next attempt while disconnected). */
export function linkDetail(state: ViewerLinkState, s: SubscriberState | undefined, refusal: Refusal | undefined, now: number): string {
  switch (state) {
    case 'ended':
      return refusal?.message ?? '';
    case 'disconnected':
    case 'connecting': {
      const next = s?.nextReconnectAt;
      const wait = next !== undefined && next > now ? ` Next attempt in ${Math.ceil((next - now) / 1000)} s.` : '';
      if (refusal) return `${refusal.message}${wait}`;
      return state === 'connecting' ? 'Connecting to the desk.' : `The connection to the desk was lost; reconnecting.${wait}`;
    }
    case 'catching-up':
      return s ? `${s.head - s.lastSeq} message(s) behind the desk.` : '';
    case 'live':
      return '';
  }
}

export const SCOPE_WORDS: { readonly [S in ViewerScope]: string } = {
  market: 'Market data',
  positions: 'Positions',
  orders: 'Orders & fills',
  pnl: 'P&L',
  alerts: 'Risk alerts',
  account: 'Account id',
};

/** What each scope shows, for the share dialog's checkboxes. */
export const SCOPE_HINTS: { readonly [S in ViewerScope]: string } = {
  market: 'quotes, charts and the watchlist',
  positions: 'open positions and their P&L',
  orders: 'orders and fills',
  pnl: 'equity and daily P&L',
  alerts: 'risk alerts and venue warnings',
  account: 'the account id (hidden otherwise)',
};

/** Scopes in their canonical order, unknown words dropped. */
export function orderedScopes(scope: readonly string[]): ViewerScope[] {
  return VIEWER_SCOPES.filter((s) => scope.includes(s));
}

/** The scope as one line: 'Market data, Positions'. */
export function scopeWords(scope: readonly string[]): string {
  const known = orderedScopes(scope);
  return known.length === 0 ? 'nothing' : known.map((s) => SCOPE_WORDS[s]).join(', ');
}

/** Whether the scope lets this kind of view through (a panel outside the scope is not shown at all). */
export function inScope(scope: readonly string[], wanted: Exclude<ViewerScope, 'account'>): boolean {
  return scope.includes(wanted) && SCOPE_TOPICS[wanted].length > 0;
}

/** 'in 7 h 59 min' / 'in 3 d 4 h' / 'expired', for a token's expiry. */
export function expiresIn(expiresAt: number, now: number): string {
  const ms = expiresAt - now;
  if (ms <= 0) return 'expired';
  const min = Math.floor(ms / 60_000);
  if (min < 1) return 'in less than a minute';
  if (min < 60) return `in ${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `in ${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  return `in ${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}
