// The share server: HTTPS + WSS (TLS 1.3 only) on its own port, for remote viewers. `/stream` is the
// stream (a viewer token required, verified at every connect), `/` the viewer page, `/viewer.json`
// tells the page it is a viewer. No command API here: nothing a viewer sends reaches a command.
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import sirv from 'sirv';
import { WebSocketServer, type WebSocket } from 'ws';
import { VIEWER_TOKEN_PROTOCOL_PREFIX, type ShareStatus, type ViewerConnection, type ViewerScope } from '../../shared';
import { UI_CSP } from '../../shared/csp';
import { CLOSE, STREAM_PROTOCOL, encodeFrame } from '../../shared/stream';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import { StreamServer, WebSocketPeer, type StreamFeed, type StreamPeerEvents } from '../transport';
import { AddressGate, addressKey, remoteAddress } from './address-gate';
import type { ShareCertificate } from './certificate';
import type { ViewerAuthority, ViewerGrant, ViewerRefusal } from './grant';
import { viewerLink } from './link';
import { viewOf, type ViewerView } from './view';

/** The share server's limits (config `share.*`); every one has a default. */
export interface ShareLimits {
  /** Viewers connected at once at most; one more is closed with 4009 (share.maxViewers, 1,000). */
  readonly maxViewers: number;
  /**
   * Open TCP connections from one address at most, viewers and page fetches alike (share.maxConnectionsPerAddress,
   * 100). An office behind one NAT is one address: its viewers share this.
   */
  readonly maxConnectionsPerAddress: number;
  /** New TCP connections from one address per second at most, page assets included (share.connectionsPerSecond, 30). */
  readonly connectionsPerSecond: number;
  /** New TCP connections per second at most from all addresses together (200, and never below connectionsPerSecond). */
  readonly totalConnectionsPerSecond: number;
  /** Viewers (stream connections) from one address at most; one more is closed with 4009 (maxConnectionsPerAddress). */
  readonly maxViewersPerAddress: number;
  /** A viewer frame larger than this is refused (share.maxFrameBytes, 4 KiB). */
  readonly maxFrameBytes: number;
  /** TLS and HTTP upgrade must complete within this (share.handshakeTimeoutMs, 5 s). */
  readonly handshakeTimeoutMs: number;
  /** A viewer that has not said hello within this is closed with 4010 (share.idleTimeoutMs, 10 s). */
  readonly idleTimeoutMs: number;
  /** A viewer behind the stream for longer than this is closed with 4008 (share.maxBehindMs, 30 s). */
  readonly maxBehindMs: number;
  /** Bytes queued on a viewer's socket above which live frames stop for it (share.highWaterBytes, 1 MiB). */
  readonly highWaterBytes: number;
}

export const DEFAULT_SHARE_LIMITS: ShareLimits = {
  maxViewers: 1_000,
  maxConnectionsPerAddress: 100,
  connectionsPerSecond: 30,
  totalConnectionsPerSecond: 200,
  maxViewersPerAddress: 100,
  maxFrameBytes: 4 * 1024,
  handshakeTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
  maxBehindMs: 30_000,
  highWaterBytes: 1024 * 1024,
};

export interface ShareServerOptions {
  readonly host: string;
  readonly port: number;
  readonly certificate: ShareCertificate;
  readonly authority: ViewerAuthority;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock: Clock;
  readonly limits?: Partial<ShareLimits>;
  /** The built web UI (out/renderer), served at `/` as the viewer page. */
  readonly uiDir?: string;
  /** Metric names start with this (default dualdesk_share; a relay's are dualdesk_relay_*). */
  readonly metricPrefix?: string;
  /** How viewers' messages are batched (defaults: VIEWER_WINDOW); the benchmark compares settings with it. */
  readonly viewerWindow?: ViewerWindow;
  /** Viewers' messages go out in pieces of at most this (default VIEWER_FRAGMENT_BYTES; Infinity: whole). */
  readonly viewerFragmentBytes?: number;
}

/** The window between rounds to viewers: at least minMs, and long enough that rounds take at most busyShare of the time. */
export interface ViewerWindow {
  readonly minMs: number;
  readonly busyShare: number;
}

/**
 * A TLS write per viewer costs more than the frames in it (about 9 µs here), so viewers' messages are batched
 * by what the last round cost: 100 viewers wait about 2 ms, 1,000 about 20, and the fan-out keeps to half a core.
 */
export const VIEWER_WINDOW: ViewerWindow = { minMs: 0, busyShare: 0.5 };

type RefusalReason = ViewerRefusal['code'] | 'revocation-unknown' | 'limit' | 'address-limit' | 'rate-limit' | 'idle' | 'not-ready';

interface Viewer {
  readonly connection: number;
  readonly grant: ViewerGrant;
  readonly address: string;
  readonly since: number;
  readonly ws: WebSocket;
  /** Its stream peer: what the server sends a viewer goes through it, after a message still going out in fragments. */
  peer: WebSocketPeer | undefined;
  readonly who: string;
  saidHello: boolean;
  expiryTimer: TimerHandle | undefined;
  idleTimer: TimerHandle | undefined;
}

const BASE_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // No HSTS: it binds the whole host, and would force HTTPS on the trader's local UI on the same host.
};
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
/** A refused viewer that does not complete the close handshake is cut after this. */
const CLOSE_GRACE_MS = 2_000;
/**
 * A viewer's messages go out in pieces of at most this, each once the last has left: a TLS socket keeps resident about
 * what its largest write took, for as long as it lives (a snapshot in one write: ~20 KiB more per viewer, bench/lib/tls-floor-probe.ts).
 */
export const VIEWER_FRAGMENT_BYTES = 1024;
/** Connections beyond maxViewers the port keeps open (page fetches, handshakes); past that the OS-level accept drops them. */
const CONNECTION_MARGIN = 100;
/** Longer timers fire at once in Node. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Each token refusal's close code: a viewer told 4001/4003/4004 stops retrying, one told 1013 comes back. */
const REFUSAL_CLOSE: { readonly [C in ViewerRefusal['code']]: number } = {
  unauthorized: CLOSE.UNAUTHORIZED,
  expired: CLOSE.TOKEN_EXPIRED,
  revoked: CLOSE.TOKEN_REVOKED,
  'catching-up': CLOSE.TRY_AGAIN_LATER,
};

let nextViewer = 1;

interface ViewerEvents {
  /** The viewer's first message (its hello). */
  hello(viewer: Viewer): void;
  /** The viewer's connection closed. */
  gone(viewer: Viewer): void;
}

/** A viewer's socket as a stream peer, telling the server of its first message (the hello) and its close. */
class ViewerPeer extends WebSocketPeer {
  /** Whether the stream took the peer over (a refused one never hears its close). */
  listening = false;

  constructor(
    private readonly viewer: Viewer,
    private readonly server: ViewerEvents,
    fragmentBytes: number,
  ) {
    super(viewer.ws, { fragmentBytes });
  }

  override listen(events: StreamPeerEvents): void {
    this.listening = true;
    super.listen(new ViewerPeerEvents(this.viewer, this.server, events));
  }
}

/** The stream's events for a viewer, passed on after the server has seen them. */
class ViewerPeerEvents implements StreamPeerEvents {
  constructor(
    private readonly viewer: Viewer,
    private readonly server: ViewerEvents,
    private readonly stream: StreamPeerEvents,
  ) {}

  message(bytes: Uint8Array, binary: boolean): void {
    if (!this.viewer.saidHello) this.server.hello(this.viewer);
    this.stream.message(bytes, binary);
  }

  close(): void {
    this.server.gone(this.viewer);
    this.stream.close();
  }

  error(message: string): void {
    this.stream.error(message);
  }
}

export class ShareServer {
  private readonly limits: ShareLimits;
  private readonly stream: StreamServer;
  private readonly wss: WebSocketServer;
  private readonly gate: AddressGate;
  private readonly viewers = new Map<number, Viewer>();
  private readonly views = new Map<string, ViewerView>();
  /** Every TCP connection let in, upgraded or not (one still in its TLS handshake keeps the port open on stop). */
  private readonly sockets = new Set<Socket>();
  /** Each let-in socket's address, normalised once (what the gate counts and the share dialog shows). */
  private readonly addresses = new WeakMap<object, string>();
  /** What a viewer's peer tells the server: one object for all viewers (no closures per viewer). */
  private readonly viewerEvents: ViewerEvents = {
    hello: (viewer) => {
      viewer.saidHello = true;
      this.options.clock.clearTimer(viewer.idleTimer);
      viewer.idleTimer = undefined;
    },
    gone: (viewer) => this.forget(viewer),
  };
  private server: Server | undefined;
  private bound: { host: string; port: number } | undefined;
  private source: StreamFeed | undefined;
  private stopRevocations: (() => void) | undefined;
  private stopping = false;
  private readonly metrics;

  constructor(private readonly options: ShareServerOptions) {
    const given = Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined)) as Partial<ShareLimits>;
    const limits = { ...DEFAULT_SHARE_LIMITS, ...given };
    const fragment = options.viewerFragmentBytes;
    if (fragment !== undefined && !(fragment >= 1)) throw new RangeError(`viewerFragmentBytes must be at least 1, not ${fragment}`);
    // Unless set, the derived limits follow the per-address ones they must not undercut.
    this.limits = {
      ...limits,
      totalConnectionsPerSecond: given.totalConnectionsPerSecond ?? Math.max(limits.totalConnectionsPerSecond, limits.connectionsPerSecond),
      maxViewersPerAddress: given.maxViewersPerAddress ?? limits.maxConnectionsPerAddress,
    };
    this.gate = new AddressGate(
      { perAddress: this.limits.maxConnectionsPerAddress, perSecond: this.limits.connectionsPerSecond, totalPerSecond: this.limits.totalConnectionsPerSecond },
      options.clock,
    );
    this.stream = new StreamServer({
      logger: options.logger,
      metrics: options.metrics,
      clock: options.clock,
      // Viewers come in through acceptPeer only, after their token was verified here.
      authorize: () => undefined,
      // The idle timer (4010) ends a silent viewer first; this is the stream's backstop.
      handshakeTimeoutMs: this.limits.idleTimeoutMs + 1_000,
      maxBehindMs: this.limits.maxBehindMs,
      highWaterBytes: this.limits.highWaterBytes,
      lowWaterBytes: Math.max(1, Math.floor(this.limits.highWaterBytes / 8)),
      maxClientFrameBytes: this.limits.maxFrameBytes,
      metricPrefix: `${options.metricPrefix ?? 'dualdesk_share'}_stream`,
      coalesceMs: (options.viewerWindow ?? VIEWER_WINDOW).minMs,
      deferredBusyShare: (options.viewerWindow ?? VIEWER_WINDOW).busyShare,
    });
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.limits.maxFrameBytes * 4,
      // Only the stream's protocol is echoed, never the `bearer.<token>` offered beside it.
      handleProtocols: (offered) => (offered.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
    });
    const registers = [options.metrics];
    const reuse = <T>(name: string, make: () => T): T => (options.metrics.getSingleMetric(name) as T | undefined) ?? make();
    const p = options.metricPrefix ?? 'dualdesk_share';
    this.metrics = {
      viewers: reuse(`${p}_viewers`, () => new Gauge({ name: `${p}_viewers`, help: 'Viewers connected to the share server.', registers })),
      refusals: reuse(
        `${p}_refusals_total`,
        () => new Counter({ name: `${p}_refusals_total`, help: 'Share connections refused or closed by the server, by reason.', labelNames: ['reason'] as const, registers }),
      ),
      connects: reuse(`${p}_connections_total`, () => new Counter({ name: `${p}_connections_total`, help: 'Viewers admitted to the stream.', registers })),
    };
  }

  /** The trading mode's stream; a new one disconnects every viewer (they reconnect to the new epoch). */
  setSource(source: StreamFeed | undefined): void {
    this.source = source;
    this.stream.setSource(source);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { certificate, logger } = this.options;
    const server = createServer(
      {
        cert: certificate.cert,
        key: certificate.key,
        minVersion: 'TLSv1.3',
        handshakeTimeout: this.limits.handshakeTimeoutMs,
        // Node checks the headers and request timeouts only this often (30 s by default): a slowloris lives that long.
        connectionsCheckingInterval: 1_000,
      },
      (req, res) => this.handle(req, res),
    );
    server.headersTimeout = this.limits.handshakeTimeoutMs;
    server.requestTimeout = 30_000;
    server.maxConnections = this.limits.maxViewers + CONNECTION_MARGIN;
    // Before any TLS work: a flood from one address is dropped at the TCP connection.
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('tlsClientError', (err, socket) => {
      logger.debug({ err: err.message, address: socket.remoteAddress }, 'share TLS handshake failed');
      socket.destroy();
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => logger.error({ err }, 'share server error'));
    this.server = server;
    this.bound = { host: this.options.host, port: (server.address() as AddressInfo).port };
    this.stopRevocations = this.options.authority.onRevocation(() => this.closeRevoked());
    this.stopping = false;
  }

  address(): { host: string; port: number } {
    if (!this.bound) throw new Error('the share server is not started');
    return this.bound;
  }

  /** The viewer page's base URL (no token). */
  url(): string {
    return viewerLink(this.address());
  }

  status(): ShareStatus {
    const enabled = this.server !== undefined;
    const head = this.source?.publisher.head ?? 0;
    const streams = new Map(this.stream.stats().map((s) => [s.who, s]));
    const viewers: ViewerConnection[] = [...this.viewers.values()].map((v) => {
      const s = streams.get(v.who);
      return {
        connection: v.connection,
        tokenId: v.grant.id,
        label: v.grant.label,
        scope: v.grant.scope,
        address: v.address,
        since: v.since,
        lagMessages: s ? Math.max(0, head - s.sent) : 0,
        state: s?.state ?? 'hello',
      };
    });
    return {
      enabled,
      ...(enabled && this.bound ? { host: this.bound.host, port: this.bound.port, url: this.url() } : {}),
      fingerprint: this.options.certificate.fingerprint,
      viewers,
      maxViewers: this.limits.maxViewers,
    };
  }

  /** Closes every viewer (1001) and the port. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    this.server = undefined;
    this.stopRevocations?.();
    this.stopRevocations = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const v of this.viewers.values()) this.clearTimers(v);
    await this.stream.close();
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private admit(socket: Socket): void {
    const address = remoteAddress(socket.remoteAddress);
    const verdict = this.gate.admit(address);
    if (!verdict.ok) {
      this.metrics.refusals.inc({ reason: verdict.reason });
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.addresses.set(socket, address);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.gate.release(address);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    for (const [k, v] of Object.entries(BASE_HEADERS)) res.setHeader(k, v);
    const path = new URL(req.url ?? '/', 'https://share.invalid').pathname;
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.statusCode = status;
      res.setHeader('content-security-policy', API_CSP);
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('content-length', Buffer.byteLength(text));
      res.setHeader('cache-control', 'no-store');
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(405, { error: { code: 'method_not_allowed', message: 'the share server only serves the viewer page and the stream' } });
      return;
    }
    if (path === '/viewer.json') {
      send(200, { viewer: true, stream: '/stream' });
      return;
    }
    // No command API on the share port, whatever the path.
    if (path === '/api' || path.startsWith('/api/')) {
      send(404, { error: { code: 'not_found', message: 'there is no command API on the share server' } });
      return;
    }
    const ui = this.ui();
    if (!ui) {
      send(404, { error: { code: 'not_found', message: 'the viewer page is not built here; run npm run build' } });
      return;
    }
    res.setHeader('content-security-policy', UI_CSP);
    ui(req, res, () => send(404, { error: { code: 'not_found', message: `not found: ${path}` } }));
  }

  private uiHandler: ReturnType<typeof sirv> | null | undefined;

  private ui(): ReturnType<typeof sirv> | undefined {
    if (this.uiHandler === undefined) {
      const dir = this.options.uiDir;
      this.uiHandler = dir !== undefined && existsSync(join(dir, 'index.html')) ? sirv(dir, { etag: true, dotfiles: false }) : null;
    }
    return this.uiHandler ?? undefined;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A closure made here would share this call's context (the request, its headers, the token) and keep it as long as the socket.
    socket.on('error', ignoreError);
    const path = new URL(req.url ?? '/', 'https://share.invalid').pathname;
    if (path !== '/stream' || this.stopping) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const address = this.addresses.get(req.socket) ?? remoteAddress(req.socket.remoteAddress);
    const token = viewerToken(req);
    const verified = token === undefined ? Promise.resolve(undefined) : this.options.authority.verify(token).catch(() => undefined);
    void verified.then((result) => {
      if (this.stopping || socket.destroyed) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        // Refusals are made after the upgrade so a browser sees the close code (a failed upgrade shows nothing).
        if (!result) return this.refuse(ws, 'unauthorized', CLOSE.UNAUTHORIZED, token === undefined ? 'a viewer token is required' : 'the viewer token is not valid');
        if (!result.ok) {
          return this.refuse(ws, result.code, REFUSAL_CLOSE[result.code], result.message);
        }
        if (this.viewers.size >= this.limits.maxViewers) return this.refuse(ws, 'limit', CLOSE.LIMIT, `the share server takes at most ${this.limits.maxViewers} viewers`);
        if (this.viewersFrom(address) >= this.limits.maxViewersPerAddress)
          return this.refuse(ws, 'address-limit', CLOSE.LIMIT, `the share server takes at most ${this.limits.maxViewersPerAddress} viewers from one address`);
        if (!this.source) return this.refuse(ws, 'not-ready', CLOSE.TRY_AGAIN_LATER, 'the stream is not ready; try again shortly');
        this.serve(ws, result, address);
      });
    });
  }

  private serve(ws: WebSocket, grant: ViewerGrant, address: string): void {
    const { clock, logger } = this.options;
    const connection = nextViewer++;
    const viewer: Viewer = {
      connection,
      grant,
      address,
      since: clock.now(),
      ws,
      peer: undefined,
      who: `viewer#${connection}`,
      saidHello: false,
      expiryTimer: undefined,
      idleTimer: undefined,
    };
    this.viewers.set(connection, viewer);
    this.metrics.viewers.set(this.viewers.size);
    this.metrics.connects.inc();
    // Expiry is enforced on open connections too, not only at connect.
    this.armExpiry(viewer);
    viewer.idleTimer = clock.setTimeout(() => {
      if (!viewer.saidHello) this.close(viewer, 'idle', CLOSE.IDLE, `no hello within ${this.limits.idleTimeoutMs} ms`);
    }, this.limits.idleTimeoutMs);
    logger.info({ connection, tokenId: grant.id, scope: grant.scope, address }, 'viewer connected');
    const view = this.viewFor(grant.scope);
    const peer = new ViewerPeer(viewer, this.viewerEvents, this.options.viewerFragmentBytes ?? VIEWER_FRAGMENT_BYTES);
    viewer.peer = peer;
    this.stream.acceptPeer(peer, {
      who: viewer.who,
      topics: view.topics,
      view: view.key,
      deferred: true,
      ...(view.redact ? { redact: view.redact } : {}),
    });
    // Refused by the stream (closing, no source): it never listened, so its close would not forget it.
    if (!peer.listening) this.forget(viewer);
  }

  /** Viewers from an address (its /64 for IPv6), as the gate counts it. */
  private viewersFrom(address: string): number {
    const key = addressKey(address);
    let n = 0;
    for (const v of this.viewers.values()) if (addressKey(v.address) === key) n++;
    return n;
  }

  private forget(viewer: Viewer): void {
    this.clearTimers(viewer);
    if (!this.viewers.delete(viewer.connection)) return;
    this.metrics.viewers.set(this.viewers.size);
    this.options.logger.info({ connection: viewer.connection, tokenId: viewer.grant.id }, 'viewer disconnected');
  }

  /** One view (topics, matcher, redaction) per set of scopes, shared by its viewers: 1,000 viewers, a handful of views. */
  private viewFor(scope: readonly ViewerScope[]): ViewerView {
    const key = [...scope].sort().join('+');
    let view = this.views.get(key);
    if (!view) {
      view = viewOf(scope);
      this.views.set(key, view);
    }
    return view;
  }

  /** Closes the viewer when its token expires (4003); a timer is good for 24 days, a token for 30: re-armed on the way. */
  private armExpiry(viewer: Viewer): void {
    const { clock } = this.options;
    const left = viewer.grant.expiresAt - clock.now();
    viewer.expiryTimer = clock.setTimeout(
      () => (left > MAX_TIMER_MS ? this.armExpiry(viewer) : this.close(viewer, 'expired', CLOSE.TOKEN_EXPIRED, 'the viewer token expired')),
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
  }

  /**
   * After any revocation: closes the viewers whose token it was (4004). Each token is checked once, however
   * many viewers share it; one that cannot be checked closes its viewers (1013: they reconnect and are verified).
   */
  private closeRevoked(): void {
    const verdicts = new Map<string, boolean | Error>();
    for (const id of new Set([...this.viewers.values()].map((v) => v.grant.id))) {
      try {
        verdicts.set(id, this.options.authority.isRevoked(id));
      } catch (err) {
        verdicts.set(id, err instanceof Error ? err : new Error(String(err)));
      }
    }
    for (const v of [...this.viewers.values()]) {
      const verdict = verdicts.get(v.grant.id);
      if (verdict === true) this.close(v, 'revoked', CLOSE.TOKEN_REVOKED, 'the viewer token was revoked');
      else if (verdict instanceof Error) {
        this.options.logger.warn({ err: verdict.message, tokenId: v.grant.id }, 'could not tell whether a viewer token is revoked: closing its viewer');
        this.close(v, 'revocation-unknown', CLOSE.TRY_AGAIN_LATER, 'could not check the viewer token; reconnect shortly');
      }
    }
  }

  private close(viewer: Viewer, reason: RefusalReason, code: number, message: string): void {
    this.clearTimers(viewer);
    // A close the peer holds until a fragmented message has gone leaves ws open: closed once is enough.
    if (viewer.ws.readyState !== viewer.ws.OPEN || viewer.peer?.readyState !== 'open') return;
    this.options.logger.info({ connection: viewer.connection, tokenId: viewer.grant.id, reason }, 'viewer closed');
    this.refuse(viewer.ws, reason, code, message, viewer.peer);
  }

  private refuse(ws: WebSocket, reason: RefusalReason, code: number, message: string, peer?: WebSocketPeer): void {
    this.metrics.refusals.inc({ reason });
    ws.on('error', () => undefined);
    if (ws.readyState === ws.OPEN) {
      const error = encodeFrame({ op: 'error', code: reason, message });
      // Through the peer when there is one: straight to ws, the error would land inside a message going out in fragments.
      if (peer) {
        peer.send(error);
        peer.close(code, message.slice(0, 120));
      } else {
        ws.send(error);
        ws.close(code, message.slice(0, 120));
      }
    }
    const { clock } = this.options;
    const cut = clock.setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    ws.once('close', () => clock.clearTimer(cut));
  }

  private clearTimers(viewer: Viewer): void {
    this.options.clock.clearTimer(viewer.expiryTimer);
    this.options.clock.clearTimer(viewer.idleTimer);
    viewer.expiryTimer = undefined;
    viewer.idleTimer = undefined;
  }
}

/** The viewer token from the `bearer.<token>` subprotocol or an Authorization: Bearer header; never from the URL. */
function ignoreError(): void {}

function viewerToken(req: IncomingMessage): string | undefined {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const bearer = offered.find((p) => p.startsWith(VIEWER_TOKEN_PROTOCOL_PREFIX));
  if (bearer !== undefined) return bearer.slice(VIEWER_TOKEN_PROTOCOL_PREFIX.length) || undefined;
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}
