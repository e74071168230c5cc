// The viewer link: `https://desk:8443/#token=<jwt>`. The token is in the fragment, which browsers
// never send. Pure (no DOM): the unit tests drive it; the page's side is in detect.ts.
import { VIEWER_LINK_FRAGMENT_KEY, VIEWER_SCOPES, type ViewerScope } from '../../../shared';

/** A JWT is three base64url parts; anything else in the fragment is not a token. */
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Far above a real token, far below what could hurt a subprotocol header. */
const MAX_TOKEN_LENGTH = 4_096;

/** The token in a fragment (`#token=…`, other keys kept), and the fragment without it. */
export function tokenFromFragment(hash: string): { token: string | undefined; rest: string } {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const raw = params.get(VIEWER_LINK_FRAGMENT_KEY);
  params.delete(VIEWER_LINK_FRAGMENT_KEY);
  const rest = params.toString();
  const token = raw?.trim();
  return { token: token && token.length <= MAX_TOKEN_LENGTH && JWT.test(token) ? token : undefined, rest: rest ? `#${rest}` : '' };
}

/** Whether the fragment carries a token at all (valid or not): it is removed from the address bar either way. */
export function fragmentHasToken(hash: string): boolean {
  return new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash).has(VIEWER_LINK_FRAGMENT_KEY);
}

/** What a token says it grants (read, not verified: the desk checks the signature and refuses what is not valid). */
export interface TokenClaims {
  readonly label: string | undefined;
  readonly scope: readonly ViewerScope[];
  /** Epoch ms, when the token says. */
  readonly expiresAt: number | undefined;
}

/** The claims of a viewer token (the scope is space-separated, OAuth style), or undefined for something that is not a JWT. */
export function readClaims(token: string): TokenClaims | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined || !JWT.test(token)) return undefined;
  let claims: unknown;
  try {
    const b64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    claims = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { label, scope, exp } = claims as { label?: unknown; scope?: unknown; exp?: unknown };
  const words = typeof scope === 'string' ? scope.split(' ') : [];
  return {
    label: typeof label === 'string' ? label : undefined,
    scope: VIEWER_SCOPES.filter((s) => words.includes(s)),
    expiresAt: typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined,
  };
}

/** `wss://<this host>/stream` (ws: only when the page itself is plain http, as in development). */
export function streamUrl(page: string): URL {
  const url = new URL('/stream', page);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  url.search = '';
  return url;
}
