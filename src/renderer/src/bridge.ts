import type { CommandResult, DeskApi, DeskInfo } from '../../shared';
import { STREAM_PROTOCOL, STREAM_TICKET_PATH, TICKET_PROTOCOL_PREFIX, type StreamSocket, type StreamSocketEvents, type StreamTicketGrant } from '../../shared/stream';

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
 * with the control token as a bearer header. The stream is its WebSocket (/stream), where a browser
 * cannot set headers: each connect first buys a single-use ticket (POST, bearer header) and offers it
 * as a subprotocol, so the token is in no URL (nor in the console errors of a failing socket).
 * The token arrives once in the page's URL (`?token=`); it is moved to this tab's session storage and
 * removed from the address bar so it is not bookmarked or shared.
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

    async command(name, args, options) {
      // Aborted: the request is cancelled and its connection freed (the caller has stopped waiting).
      const abort = new AbortController();
      if (options?.signal?.aborted) abort.abort();
      else options?.signal?.addEventListener('abort', () => abort.abort(), { once: true });
      try {
        const { status, body } = await request<CommandResult<never>>(`/api/commands/${name}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(args),
          signal: abort.signal,
        });
        if (body && typeof body === 'object' && 'ok' in body) return body;
        return { ok: false, error: { code: 'http', message: `The DualDesk core answered ${status}.` } };
      } catch (err) {
        // The core is down or restarting: a result in the trader's words, like any refusal.
        if (err instanceof NoTokenError) return { ok: false, error: { code: 'no-token', message: err.message } };
        if (abort.signal.aborted) return { ok: false, error: { code: 'aborted', message: 'The request to the DualDesk core was given up.' } };
        return { ok: false, error: { code: 'unreachable', message: 'The DualDesk core is not reachable; it may be restarting.' } };
      }
    },

    connectStream(events: StreamSocketEvents): StreamSocket {
      let ws: WebSocket | undefined;
      // Closed (or aborted) by the subscriber before the ticket came: no socket is opened then.
      let ended = false;
      const fail = (reason: string) => {
        if (ended) return;
        ended = true;
        events.error(reason);
        events.close(1006, reason);
      };
      void request<StreamTicketGrant>(STREAM_TICKET_PATH, { method: 'POST' }).then(
        ({ status, body }) => {
          if (ended) return;
          if (status !== 200 || typeof body?.ticket !== 'string') return fail(`no stream ticket (the core answered ${status})`);
          const url = new URL('/stream', window.location.href);
          url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
          const socket = new WebSocket(url, [STREAM_PROTOCOL, `${TICKET_PROTOCOL_PREFIX}${body.ticket}`]);
          socket.binaryType = 'arraybuffer';
          socket.onopen = () => events.open();
          socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
            if (typeof e.data !== 'string') events.message(new Uint8Array(e.data));
          };
          socket.onclose = (e) => events.close(e.code, e.reason);
          socket.onerror = () => events.error('WebSocket error');
          ws = socket;
        },
        () => fail('the DualDesk core is not reachable'),
      );
      const end = (code: number, reason: string) => {
        if (ws) return ws.close(code, reason);
        if (ended) return;
        ended = true;
        queueMicrotask(() => events.close(code, reason));
      };
      return {
        send: (bytes) => {
          if (ws?.readyState === WebSocket.OPEN) ws.send(bytes);
        },
        close: end,
        // A browser cannot drop a socket without the close handshake; 4000 marks it ours.
        abort: () => end(4000, 'abort'),
      };
    },
  };
}
