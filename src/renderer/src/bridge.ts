import type { DeskApi, DeskInfo } from '../../shared';

const TOKEN_KEY = 'dualdesk.control-token';

/** The desk the UI talks to: the Electron preload's, or the local server's when running in a browser. */
export function getDeskApi(): DeskApi {
  return window.desk ?? createWebDeskApi();
}

/**
 * The browser implementation. The control token arrives once in the URL (`?token=`); it is moved
 * to this tab's session storage and removed from the address bar so it is not bookmarked or shared.
 */
export function createWebDeskApi(): DeskApi {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url);
  }
  const token = sessionStorage.getItem(TOKEN_KEY);

  async function get<T>(path: string): Promise<T> {
    if (token === null) throw new Error('No control token: open the URL that `dualdesk serve` printed.');
    const res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const message = (body as { error?: { message?: string } } | undefined)?.error?.message;
      throw new Error(message ?? `The DualDesk core answered ${res.status}.`);
    }
    return body as T;
  }

  return {
    getInfo: () => get<DeskInfo>('/api/info'),
  };
}
