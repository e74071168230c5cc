// Which page this is: the trader's desk (Electron, or `dualdesk serve` with a control token) or a
// remote viewer's (the share server answers GET /viewer.json with `{viewer: true}`). The same bundle
// serves both; only a page with no desk and no control token asks. A viewer link's token is taken
// out of the address bar at once (not bookmarked, not shared by copying the address) and kept in
// this tab's session storage, so a reload still works.
import { fragmentHasToken, tokenFromFragment } from './link';

const CONTROL_TOKEN_KEY = 'dualdesk.control-token';
const VIEWER_TOKEN_KEY = 'dualdesk.viewer-token';
const VIEWER_PROBE_MS = 5_000;

export type PageKind = 'desk' | 'viewer';

/** Whether this page has the trader's desk to talk to: the preload's, or a control token (in the URL or kept for the tab). */
export function hasDesk(): boolean {
  if (window.desk) return true;
  if (new URL(window.location.href).searchParams.has('token')) return true;
  return sessionStorage.getItem(CONTROL_TOKEN_KEY) !== null;
}

/** 'viewer' only when the server says so; anything else (no answer, 404, not JSON) is the desk as before. */
export async function pageKind(): Promise<PageKind> {
  if (hasDesk()) return 'desk';
  try {
    const res = await fetch('/viewer.json', { cache: 'no-store', signal: AbortSignal.timeout(VIEWER_PROBE_MS) });
    if (!res.ok) return 'desk';
    const body = (await res.json()) as unknown;
    return typeof body === 'object' && body !== null && (body as { viewer?: unknown }).viewer === true ? 'viewer' : 'desk';
  } catch {
    return 'desk';
  }
}

/**
 * The viewer's token: from the link's fragment (then removed from the address bar with
 * history.replaceState and kept for this tab), else the one this tab kept. Undefined: no link was opened.
 */
export function takeViewerToken(): string | undefined {
  const hash = window.location.hash;
  if (fragmentHasToken(hash)) {
    const { token, rest } = tokenFromFragment(hash);
    const url = new URL(window.location.href);
    url.hash = rest;
    window.history.replaceState(null, '', url);
    if (token !== undefined) sessionStorage.setItem(VIEWER_TOKEN_KEY, token);
    else sessionStorage.removeItem(VIEWER_TOKEN_KEY);
    return token;
  }
  return sessionStorage.getItem(VIEWER_TOKEN_KEY) ?? undefined;
}

/** A dead link (expired, revoked): this tab forgets its token, so a reload does not try it again. */
export function forgetViewerToken(): void {
  sessionStorage.removeItem(VIEWER_TOKEN_KEY);
}
