import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import sirv from 'sirv';
import type { CommandResult, DeskInfo } from '../../shared';
import { UI_CSP } from '../../shared/csp';
import { answerOps, CORRELATION_ID_PATTERN, currentCorrelationId, newCorrelationId, OPS_PATHS, sendResponse, withCorrelation, type Logger, type ReadinessReport } from '../ops';
import { STREAM_PROTOCOL, STREAM_TICKET_PATH, TICKET_PROTOCOL_PREFIX } from '../../shared/stream';
import { bearerToken, requestToken, tokenMatches } from './auth';
import { StreamTickets } from './stream-tickets';

export interface LocalServerOptions {
  readonly host: string;
  readonly port: number;
  /** The control token every non-ops route requires. */
  readonly token: string;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly readiness: () => Promise<ReadinessReport>;
  readonly info: () => DeskInfo;
  /** The built web UI, served at `/`. */
  readonly uiDir?: string;
  /** How long open requests may take to finish on stop before their sockets are closed. */
  readonly drainMs?: number;
  /** How long a stream ticket (POST /api/stream-ticket) may wait to be used (default 30 s). */
  readonly streamTicketMs?: number;
  /** Takes WebSocket upgrades for /stream (it authorizes the token itself). */
  readonly stream?: {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, token: string | undefined): void;
    /** Closes the upgraded connections, which the HTTP server's own close does not end. */
    closeConnections(): Promise<void>;
  };
  /** The trader's commands (POST /api/commands/<name>). */
  readonly commands?: CommandEndpoint;
}

/** Runs a named command; never throws (a failure is a result). */
export interface CommandEndpoint {
  has(name: string): boolean;
  run(name: string, args: unknown): Promise<CommandResult<unknown>>;
}

export interface LocalServer {
  readonly name: 'local-server';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The bound address; the port differs from the configured one when that was 0. */
  address(): { host: string; port: number };
  /** The URL a trader opens, token included. */
  url(): string;
}

/** Applied to every response: nothing here may be framed, sniffed, cached or leak its URL (which may hold the token). */
const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const API_CSP = "default-src 'none'; frame-ancestors 'none'";

const CORRELATION_HEADER = 'x-correlation-id';

/** The request's own correlation id: undefined when it has none, null when the one it has is not acceptable. */
function clientCorrelationId(req: IncomingMessage): string | undefined | null {
  const value = req.headers[CORRELATION_HEADER];
  if (value === undefined) return undefined;
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value) ? value : null;
}
const MAX_COMMAND_BYTES = 64 * 1024;

class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        reject(new BodyTooLargeError(`the body is over ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The loopback HTTP server of `dualdesk serve`: `/health`, `/ready` and `/metrics` for operators,
 * `/api/*` for the web UI (control token required), and the web UI itself at `/`.
 * Requests naming another host are refused, which defeats DNS-rebinding pages in the trader's browser.
 */
export function createLocalServer(options: LocalServerOptions): LocalServer {
  const { logger, metrics, token } = options;
  const drainMs = options.drainMs ?? 2_000;
  const requests = new Counter({
    name: 'dualdesk_http_requests_total',
    help: 'Requests to the local server, by route and status code.',
    labelNames: ['route', 'status'] as const,
    registers: [metrics],
  });
  const tickets = new StreamTickets(options.streamTicketMs);
  const uiIndexed = options.uiDir !== undefined && existsSync(join(options.uiDir, 'index.html'));
  const ui = uiIndexed && options.uiDir !== undefined ? sirv(options.uiDir, { etag: true, dotfiles: false }) : undefined;

  let server: Server | undefined;
  let bound: { host: string; port: number } | undefined;

  function allowedHosts(port: number): Set<string> {
    return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  }

  function fail(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
    sendResponse(req, res, status, { error: { code, message } });
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    const path = url.pathname;
    if (OPS_PATHS.has(path) || path.startsWith('/api/')) res.setHeader('content-security-policy', API_CSP);
    else res.setHeader('content-security-policy', UI_CSP);

    if (path.startsWith('/api/commands/')) {
      if (req.method === 'POST') return command(req, res, url);
      res.setHeader('allow', 'POST');
      fail(req, res, 405, 'method_not_allowed', `${req.method ?? '?'} is not allowed here; commands are POSTed`);
      return 'command';
    }
    if (path === STREAM_TICKET_PATH) {
      if (req.method === 'POST') return streamTicket(req, res, url);
      res.setHeader('allow', 'POST');
      fail(req, res, 405, 'method_not_allowed', `${req.method ?? '?'} is not allowed here; a stream ticket is POSTed for`);
      return 'api';
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      fail(req, res, 405, 'method_not_allowed', `${req.method ?? '?'} is not allowed here; use GET`);
      return 'other';
    }
    const ops = await answerOps(req, res, path, { metrics, readiness: options.readiness });
    if (ops) return ops;
    if (path.startsWith('/api/')) {
      if (!tokenMatches(requestToken(req, url), token)) {
        res.setHeader('www-authenticate', 'Bearer');
        fail(req, res, 401, 'unauthorized', 'a valid control token is required (see <data-dir>/control-token)');
        return 'api';
      }
      if (path === '/api/info') {
        sendResponse(req, res, 200, options.info());
        return 'api';
      }
      fail(req, res, 404, 'not_found', `no such endpoint: ${path}`);
      return 'api';
    }
    if (!ui) {
      fail(req, res, 404, 'not_found', uiIndexed ? `not found: ${path}` : 'the web UI is not built here; run npm run build');
      return 'other';
    }
    await new Promise<void>((resolve) => {
      ui(req, res, () => {
        fail(req, res, 404, 'not_found', `not found: ${path}`);
        resolve();
      });
      res.once('finish', resolve);
      res.once('close', resolve);
    });
    return 'ui';
  }

  /**
   * POST /api/commands/<name> with a JSON body: the trader's commands for the web UI and headless use.
   * The token must come as a bearer header or `?token=`, and the body as application/json (which a
   * cross-site form cannot send without a preflight this server never allows).
   */
  async function command(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    if (!tokenMatches(requestToken(req, url), token)) {
      res.setHeader('www-authenticate', 'Bearer');
      fail(req, res, 401, 'unauthorized', 'a valid control token is required (see <data-dir>/control-token)');
      return 'command';
    }
    const name = url.pathname.slice('/api/commands/'.length);
    if (!options.commands || !options.commands.has(name)) {
      fail(req, res, 404, 'not_found', `no such command: ${name}`);
      return 'command';
    }
    if (!/^application\/json(;|$)/i.test(req.headers['content-type'] ?? '')) {
      fail(req, res, 415, 'unsupported_media_type', 'send the command arguments as application/json');
      return 'command';
    }
    let args: unknown;
    try {
      const body = await readBody(req, MAX_COMMAND_BYTES);
      args = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        // Answer at once and close: the rest of an oversized body is never read.
        res.setHeader('connection', 'close');
        res.once('finish', () => req.socket.destroy());
        fail(req, res, 413, 'payload_too_large', err.message);
        return 'command';
      }
      fail(req, res, 400, 'bad_request', 'the body is not valid JSON');
      return 'command';
    }
    const result = await options.commands.run(name, args);
    const status = result.ok ? 200 : result.error.code === 'invalid-arguments' ? 400 : result.error.code === 'internal' ? 500 : 409;
    sendResponse(req, res, status, result);
    return 'command';
  }

  /** POST /api/stream-ticket: a single-use ticket for /stream, for a browser (which cannot set headers on a WebSocket). */
  function streamTicket(req: IncomingMessage, res: ServerResponse, url: URL): string {
    // The browser's way in takes the token in the header only: a URL ends up in histories and logs.
    if (url.searchParams.has('token')) {
      res.setHeader('www-authenticate', 'Bearer');
      fail(req, res, 401, 'unauthorized', 'a stream ticket is bought with the control token in an Authorization: Bearer header, never in the URL');
      return 'api';
    }
    if (!tokenMatches(bearerToken(req), token)) {
      res.setHeader('www-authenticate', 'Bearer');
      fail(req, res, 401, 'unauthorized', 'a valid control token is required in an Authorization: Bearer header (see <data-dir>/control-token)');
      return 'api';
    }
    sendResponse(req, res, 200, tickets.issue());
    return 'api';
  }

  /**
   * Who opens /stream: a ticket offered as the `ticket.<t>` subprotocol (a browser) or the control
   * token as a bearer header (Node). A token in the URL is refused outright, so it is never sent there.
   */
  function upgradeStream(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, stream: NonNullable<LocalServerOptions['stream']>): void {
    if (url.searchParams.has('token')) {
      const body =
        'The control token is never accepted in a URL. Authenticate the stream with a ticket (POST /api/stream-ticket, then the WebSocket subprotocols dualdesk.v1 and ticket.<ticket>) or an Authorization: Bearer header.';
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const ticket = offered.find((p) => p.startsWith(TICKET_PROTOCOL_PREFIX));
    if (ticket !== undefined) {
      // A ticket is spent by any try; redeemed, it stands for the control token it was bought with (with the stream's protocol to echo).
      const redeemed = tickets.redeem(ticket.slice(TICKET_PROTOCOL_PREFIX.length));
      const ok = redeemed && offered.includes(STREAM_PROTOCOL);
      stream.handleUpgrade(req, socket, head, ok ? token : undefined);
      return;
    }
    stream.handleUpgrade(req, socket, head, bearerToken(req));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    for (const [k, v] of Object.entries(BASE_HEADERS)) res.setHeader(k, v);
    let routeName = 'other';
    // The client may name the request (to find it in the log); it is told the id either way.
    res.setHeader(CORRELATION_HEADER, currentCorrelationId() ?? '');
    try {
      if (!bound || !allowedHosts(bound.port).has(req.headers.host ?? '')) {
        fail(req, res, 403, 'host_not_allowed', 'requests must address this server by its loopback host and port');
      } else if (clientCorrelationId(req) === null) {
        fail(req, res, 400, 'bad_request', `${CORRELATION_HEADER} must be 1 to 64 letters, digits or . _ : -`);
      } else {
        routeName = await route(req, res, new URL(req.url ?? '/', 'http://localhost'));
      }
    } catch (err) {
      logger.error({ err }, 'request failed');
      if (!res.headersSent) fail(req, res, 500, 'internal', 'internal error; see the DualDesk log');
      else res.destroy();
    }
    requests.inc({ route: routeName, status: String(res.statusCode) });
    // The path only: the query string may carry the token.
    logger.debug({ method: req.method, path: (req.url ?? '').split('?')[0], status: res.statusCode, ms: +(performance.now() - started).toFixed(2) }, 'http request');
  }

  return {
    name: 'local-server',
    async start() {
      const s = createServer((req, res) => {
        void withCorrelation(clientCorrelationId(req) ?? newCorrelationId(), () => handle(req, res));
      });
      s.headersTimeout = 10_000;
      s.requestTimeout = 30_000;
      s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on('error', () => undefined);
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (!bound || !allowedHosts(bound.port).has(req.headers.host ?? '')) {
          socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return;
        }
        if (url.pathname !== '/stream' || !options.stream) {
          socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return;
        }
        upgradeStream(req, socket, head, url, options.stream);
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(options.port, options.host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      s.on('error', (err) => logger.error({ err }, 'local server error'));
      const addr = s.address() as AddressInfo;
      server = s;
      bound = { host: options.host, port: addr.port };
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = undefined;
      // Stop intake first; in-flight requests get `drainMs` to finish.
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeIdleConnections();
      const timer = setTimeout(() => s.closeAllConnections(), drainMs);
      await options.stream?.closeConnections();
      await closed;
      clearTimeout(timer);
    },
    address() {
      if (!bound) throw new Error('local server is not started');
      return bound;
    },
    url() {
      const { host, port } = this.address();
      const h = host.includes(':') ? `[${host}]` : host;
      return `http://${h}:${port}/?token=${token}`;
    },
  };
}
