import type { CommandResult, DeskApi, DeskInfo } from '../../shared';
import type { StreamSocket, StreamSocketEvents } from '../../shared/stream';

const TOKEN_KEY = 'dualdesk.control-token';

/** The desk the UI talks to: the Electron preload's, or the local server's when running in a browser. */
export function getDeskApi(): DeskApi {
  return window.desk ?? createWebDeskApi();
}

class NoTokenError extends Error {
  constructor() {
    super('No control token: open the URL that `dualdesk serve` printed.');
  }
}

/**
 * The browser implementation, over `dualdesk serve`'s loopback server: commands are POSTed as JSON
 * with the control token as a bearer header; the stream is its WebSocket (/stream), where a browser
 * cannot set headers, so the token goes in the query. The token arrives once in the URL (`?token=`);
 * it is moved to this tab's session storage and removed from the address bar so it is not bookmarked or shared.
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

  async function request<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T | undefined }> {
    if (token === null) throw new NoTokenError();
    const res = await fetch(path, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` }, cache: 'no-store' });
    const body = (await res.json().catch(() => undefined)) as T | undefined;
    return { status: res.status, body };
  }

  return {
    async getInfo() {
      const { status, body } = await request<DeskInfo & { error?: { message?: string } }>('/api/info');
      if (status !== 200 || !body) throw new Error(body?.error?.message ?? `The DualDesk core answered ${status}.`);
      return body;
    },

    async command(name, args) {
      try {
        const { status, body } = await request<CommandResult<never>>(`/api/commands/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(args),
        });
        if (body && typeof body === 'object' && 'ok' in body) return body;
        return { ok: false, error: { code: 'http', message: `The DualDesk core answered ${status}.` } };
      } catch (err) {
        // The core is down or restarting: a result in the trader's words, like any refusal.
        if (err instanceof NoTokenError) return { ok: false, error: { code: 'no-token', message: err.message } };
        return { ok: false, error: { code: 'unreachable', message: 'The DualDesk core is not reachable; it may be restarting.' } };
      }
    },

    connectStream(events: StreamSocketEvents): StreamSocket {
      const wsUrl = new URL('/stream', window.location.href);
      wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
      wsUrl.searchParams.set('token', token ?? '');
      const ws = new WebSocket(wsUrl);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => events.open();
      ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
        if (typeof e.data !== 'string') events.message(new Uint8Array(e.data));
      };
      ws.onclose = (e) => events.close(e.code, e.reason);
      ws.onerror = () => events.error('WebSocket error');
      return {
        send: (bytes) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(bytes);
        },
        close: (code, reason) => ws.close(code, reason),
        // A browser cannot drop a socket without the close handshake; 4000 marks it ours.
        abort: () => ws.close(4000, 'abort'),
      };
    },
  };
}
