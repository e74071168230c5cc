// The stream's channel to subscribers: WebSockets upgraded through the local server (path /stream)
// and any other transport given as a StreamPeer (the Electron window over IPC). Each committed batch
// is encoded once and sent to every unfiltered subscriber as the same bytes; a subscriber whose peer
// backs up past a byte bound stops receiving live frames and is caught up from the journal when it
// drains, or is closed (4008) if it stays behind — memory stays bounded and the publisher never
// slows down for anyone. Replays take the same path: one per connection at a time, read from the
// journal a chunk per turn of the event loop while the socket has room. Deferred subscribers (remote
// viewers) share one row budget per turn, a few at a time, so a crowd of them reads no more than the trader.
// Its parts: stream-connection.ts (writing to a connection), stream-reading.ts (replays, catch-ups, the
// viewers' row budget), stream-rounds.ts (live frames, viewers' rounds); carriers: carrier-ws.ts, electron/ipc.ts.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE, ClientFrameSchema, MAX_CLIENT_FRAMES, STREAM_PROTOCOL, decodeFrames, encodeFrame, topicMatcher, type HelloFrame } from '../../shared/stream';
import type { TimerHandle } from '../clock';
import { WebSocketPeer } from './carrier-ws';
import type { Connection, ConnectionState } from './stream-connection';
import { StreamRounds } from './stream-rounds';
import type { StreamFeed, StreamHead, StreamPeer, StreamScope, StreamServerOptions } from './stream-types';

/** The WebSocket close code "try again later": a peer offered before the stream exists. */
const TRY_AGAIN_LATER = 1013;
/** How long a hello ahead of a source that can advance (a relay behind) waits for it before a reset. */
const AWAIT_HEAD_MS = 5_000;

let nextConnectionId = 1;

/** Snapshots kept encoded at most (one per view in use; a desk's is ~30 KB). */
const MAX_SNAPSHOT_MEMOS = 8;

interface EncodedSnapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly bytes: Uint8Array;
}

export class StreamServer extends StreamRounds {
  private readonly wss: WebSocketServer;
  private unsubscribe: (() => void) | undefined;
  /** Runs while there are connections: an idle server holds no timer, so a desk that failed to start can exit. */
  private heartbeat: TimerHandle | undefined;
  private closing = false;
  /** Each view's last snapshot, encoded (a desk's is ~30 KB: a thousand viewers joining at one head share one). */
  private readonly snapshots = new Map<string, EncodedSnapshot>();

  constructor(options: StreamServerOptions) {
    super(options);
    // ws closes frames beyond maxPayload itself (1009); below that, our own limit answers with an error frame first.
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.settings.maxClientFrameBytes * 4,
      // Only the stream's own protocol is echoed: never a `ticket.<t>` a browser offered next to it.
      handleProtocols: (offered) => (offered.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
    });
    options.faults?.attach({ disconnectAll: () => this.cutAll(), stallEnded: () => this.catchUpAll() });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The trading mode's stream. A new source is a new epoch: every subscriber is told (but a hello still waiting) and disconnected. */
  setSource(source: StreamFeed | undefined): void {
    const previous = this.source;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.source = source;
    this.generation++;
    this.snapshots.clear();
    this.pendingFrames = [];
    this.round = undefined;
    this.roundScheduled = false;
    this.readersScheduled = false;
    for (const c of this.deferredReaders) c.pumpScheduled = false;
    this.deferredReaders.clear();
    this.options.clock.clearTimer(this.roundTimer);
    this.roundTimer = undefined;
    if (previous) {
      for (const c of this.connections) {
        // A hello still waiting for the source (a relay behind the viewer's) was given nothing: it says hello again, to the new source.
        if (source && c.awaiting === undefined) this.send(c, { op: 'reset', epoch: source.publisher.epoch, reason: 'the stream changed (trading mode switched)' });
        // With a grace timer, as every close: a peer still sending a message in fragments closes after it, or is cut.
        this.closeConnection(c, 1012, 'stream changed');
      }
    }
    if (source) this.unsubscribe = source.publisher.onCommitted((batch) => this.onCommitted(batch));
  }

  /** Takes over an HTTP upgrade for /stream (the caller has checked the path and host). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, token: string | undefined): void {
    const scope = this.options.authorize(token);
    if (!scope) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!this.source) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(new WebSocketPeer(ws), scope));
  }

  /**
   * Serves a subscriber over another transport (the Electron window over IPC); the caller has
   * authorized it. Without a stream yet (starting, switching mode) the peer is closed with 1013 (try
   * again later), as a WebSocket is refused with 503; once the server is closing, with 1001.
   */
  acceptPeer(peer: StreamPeer, scope: StreamScope): void {
    if (this.closing) {
      peer.close(CLOSE.GOING_AWAY, 'shutting down');
      return;
    }
    if (!this.source) {
      peer.close(TRY_AGAIN_LATER, 'the stream is not ready');
      return;
    }
    this.accept(peer, scope);
  }

  /** Per connection: its state, position and bytes queued on its socket (what bounds memory). */
  stats(): { id: number; who: string; state: ConnectionState; sent: number; replaying: boolean; bufferedBytes: number }[] {
    return [...this.connections].map((c) => ({
      id: c.id,
      who: c.scope.who,
      state: c.state,
      sent: c.sent,
      replaying: c.replay !== undefined,
      bufferedBytes: c.peer.bufferedAmount,
    }));
  }

  /** A fault drill's dropped network: every connection reset at once (no close frame). */
  private cutAll(): void {
    for (const c of this.connections) c.peer.terminate();
  }

  /** A fault drill's stall has ended: the connections catch up with what they missed. */
  private catchUpAll(): void {
    const head = this.source?.publisher.head ?? 0;
    if (this.pendingFrames.length > 0) this.scheduleDeferred();
    for (const c of this.connections) {
      if (c.state === 'live' && c.sent < head) this.startCatchUp(c);
      this.schedulePump(c);
    }
  }

  /** Says goodbye (1001) to every subscriber; resolves when all are closed (a peer that does not answer is cut). */
  async closeConnections(): Promise<void> {
    const closing = [...this.connections].map((c) => {
      if (c.peer.readyState === 'closed') return Promise.resolve();
      this.send(c, { op: 'error', code: 'shutting-down', message: 'DualDesk is shutting down' });
      this.closeConnection(c, CLOSE.GOING_AWAY, 'shutting down');
      return c.closed;
    });
    await Promise.all(closing);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.options.clock.clearTimer(this.heartbeat);
    this.heartbeat = undefined;
    this.options.clock.clearTimer(this.roundTimer);
    this.roundTimer = undefined;
    this.unsubscribe?.();
    await this.closeConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(peer: StreamPeer, scope: StreamScope): void {
    let closed: () => void = () => undefined;
    const c: Connection = {
      peer,
      scope,
      id: nextConnectionId++,
      state: 'hello',
      filter: this.matcherOf(scope),
      sent: 0,
      lastSent: 0,
      behindSince: undefined,
      replay: undefined,
      wroteAt: Number.NEGATIVE_INFINITY,
      heartbeatAt: Number.NEGATIVE_INFINITY,
      pumpScheduled: false,
      replaysAt: [],
      handshakeTimer: undefined,
      viewKey: undefined,
      closeTimer: undefined,
      closed: new Promise<void>((resolve) => (closed = resolve)),
      recalling: false,
      recalled: undefined,
      awaitedHead: false,
      awaiting: undefined,
    };
    this.connections.add(c);
    this.metrics.connections.set(this.connections.size);
    this.heartbeat ??= this.options.clock.setInterval(() => this.tick(), this.settings.heartbeatMs);
    c.handshakeTimer = this.options.clock.setTimeout(() => {
      if (c.state === 'hello') this.refuse(c, CLOSE.HANDSHAKE_TIMEOUT, 'handshake-timeout', `no hello within ${this.settings.handshakeTimeoutMs} ms`);
    }, this.settings.handshakeTimeoutMs);
    peer.listen({
      message: (bytes, isBinary) => this.onMessage(c, bytes, isBinary),
      close: () => {
        this.options.clock.clearTimer(c.handshakeTimer);
        this.options.clock.clearTimer(c.closeTimer);
        this.connections.delete(c);
        this.deferredReaders.delete(c);
        this.metrics.connections.set(this.connections.size);
        if (this.connections.size === 0) {
          this.options.clock.clearTimer(this.heartbeat);
          this.heartbeat = undefined;
          this.metrics.behind.set(0);
        }
        closed();
      },
      error: (message) => this.options.logger.debug({ connection: c.id, err: message }, 'stream socket error'),
    });
  }

  private onMessage(c: Connection, bytes: Uint8Array, isBinary: boolean): void {
    if (this.stalled) return;
    if (bytes.length > this.settings.maxClientFrameBytes) {
      this.refuse(c, CLOSE.TOO_BIG, 'too-big', `client frames are limited to ${this.settings.maxClientFrameBytes} bytes`);
      return;
    }
    if (!isBinary) {
      this.refuse(c, CLOSE.BAD_FRAME, 'bad-frame', 'frames are binary msgpack, not text');
      return;
    }
    let frames: unknown[];
    try {
      frames = decodeFrames(bytes);
    } catch {
      this.refuse(c, CLOSE.BAD_FRAME, 'bad-frame', 'the frame is not valid msgpack');
      return;
    }
    if (frames.length > MAX_CLIENT_FRAMES) {
      this.refuse(c, CLOSE.BAD_FRAME, 'too-many-frames', `a message holds at most ${MAX_CLIENT_FRAMES} frames, not ${frames.length}`);
      return;
    }
    for (const raw of frames) {
      const parsed = ClientFrameSchema.safeParse(raw);
      if (!parsed.success) {
        this.refuse(c, CLOSE.BAD_FRAME, 'bad-frame', `not a valid hello or replay: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; ')}`);
        return;
      }
      const frame = parsed.data;
      if (frame.op === 'hello') {
        if (c.state !== 'hello' || c.recalling) {
          this.refuse(c, CLOSE.BAD_FRAME, 'unexpected', 'hello was already received');
          return;
        }
        this.hello(c, frame);
      } else {
        if (c.state === 'hello' && c.recalling) {
          this.send(c, { op: 'error', code: 'replay-busy', message: 'the resume is being read from older history: ask again once welcomed' });
          continue;
        }
        if (c.state === 'hello') {
          this.refuse(c, CLOSE.BAD_FRAME, 'unexpected', 'replay before hello');
          return;
        }
        if (!this.options.faults?.replaysIgnored) this.replay(c, frame.from, frame.to);
      }
    }
  }

  private refuse(c: Connection, code: number, errorCode: string, message: string): void {
    this.metrics.badFrames.inc();
    this.options.logger.info({ connection: c.id, who: c.scope.who, code: errorCode, message }, 'stream client refused');
    this.send(c, { op: 'error', code: errorCode, message });
    this.closeConnection(c, code, errorCode);
  }

  private hello(c: Connection, hello: HelloFrame): void {
    this.options.clock.clearTimer(c.handshakeTimer);
    const source = this.source;
    if (!source) return;
    const own = topicMatcher(hello.topics);
    const scoped = c.filter;
    c.filter = own && scoped ? (t) => own(t) && scoped(t) : (own ?? scoped);
    if (c.scope.view !== undefined) c.viewKey = `${c.scope.view}|${hello.topics?.join(',') ?? ''}`;
    this.welcome(c, source, hello.resume);
  }

  /** Answers a hello: resumed from its position when the history holds it (recalled first if need be), else a snapshot. */
  private welcome(c: Connection, source: StreamFeed, resume: HelloFrame['resume']): void {
    const { publisher } = source;
    const epoch = publisher.epoch;
    const head = publisher.head;
    // A source behind the stream (a relay another viewer's relay is ahead of, maybe in a later epoch) is waited for before a reset.
    if (resume && (resume.epoch !== epoch || resume.seq > head) && publisher.awaitHead && !c.awaitedHead) {
      this.awaitHead(c, source, resume);
      return;
    }
    let servable = resume !== undefined && resume.epoch === epoch && resume.seq <= head;
    if (resume && servable && resume.seq < head) {
      const reach = this.reach(c, source, resume.seq + 1, () => this.welcome(c, source, resume));
      if (reach === 'wait') return;
      servable = reach === 'held';
    }
    if (resume && servable) {
      c.sent = resume.seq;
      c.lastSent = resume.seq;
      this.send(c, { op: 'welcome', epoch, head, resumed: true });
      this.startCatchUp(c);
      this.pumpNow(c);
      return;
    }
    if (resume) {
      const reason =
        resume.epoch !== epoch ? 'the stream was recreated: new epoch' : resume.seq > head ? 'that position is ahead of the stream' : 'that position is no longer in the journal';
      this.send(c, { op: 'reset', epoch, reason });
    }
    const snapshot = this.snapshotOf(c, publisher);
    this.send(c, { op: 'welcome', epoch, head, resumed: false });
    if (c.peer.readyState === 'open') c.peer.send(snapshot.bytes);
    c.sent = snapshot.seq;
    c.lastSent = snapshot.seq;
    c.state = 'live';
  }

  /** The snapshot frame for a connection: one encoding per view and head, shared by the viewers that join at it. */
  private snapshotOf(c: Connection, publisher: StreamHead): EncodedSnapshot {
    const key = c.viewKey;
    const memo = key === undefined ? undefined : this.snapshots.get(key);
    if (memo && memo.epoch === publisher.epoch && memo.seq === publisher.head) return memo;
    const { seq, state } = redactSnapshot(publisher.snapshot(c.filter), c.scope.redact);
    const made = { epoch: publisher.epoch, seq, bytes: encodeFrame({ op: 'snapshot', epoch: publisher.epoch, seq, state }) };
    if (key !== undefined) {
      // Keys carry a viewer's own topic list: a bounded handful, not one per list a viewer can make up.
      // The oldest goes first (a Map keeps insertion order; a key set again moves to the end).
      this.snapshots.delete(key);
      if (this.snapshots.size >= MAX_SNAPSHOT_MEMOS) this.snapshots.delete(this.snapshots.keys().next().value as string);
      this.snapshots.set(key, made);
    }
    return made;
  }

  /** Waits (nothing sent but heartbeats) up to AWAIT_HEAD_MS for the source to reach the hello's position, then answers it. */
  private awaitHead(c: Connection, source: StreamFeed, resume: NonNullable<HelloFrame['resume']>): void {
    c.awaitedHead = true;
    c.awaiting = resume.epoch;
    c.recalling = true;
    c.lastSent = resume.seq;
    const generation = this.generation;
    void (source.publisher.awaitHead as NonNullable<StreamHead['awaitHead']>)(resume.epoch, resume.seq, AWAIT_HEAD_MS)
      .catch(() => false)
      .then(() => {
        c.recalling = false;
        c.awaiting = undefined;
        if (generation !== this.generation || this.source !== source || c.peer.readyState !== 'open') return;
        this.welcome(c, source, resume);
      });
  }

  private tick(): void {
    const source = this.source;
    if (!source || this.stalled) return;
    const now = this.options.clock.now();
    let behind = 0;
    for (const c of this.connections) {
      if (c.state === 'catching-up') behind++;
      // A hello waiting on a recall or the head gets heartbeats (at its own position) so its link is known to live.
      if ((c.state === 'hello' && !c.recalling) || c.peer.readyState !== 'open') continue;
      // Behind is a full socket as much as a catch-up: one large batch can fill it with nothing published after.
      if (c.peer.bufferedAmount > this.settings.highWaterBytes) c.behindSince ??= now;
      else if (c.state === 'live') c.behindSince = undefined;
      if (c.behindSince !== undefined && !c.recalling && now - c.behindSince > this.settings.maxBehindMs) {
        this.closeSlow(c, `behind the stream for over ${this.settings.maxBehindMs / 1000} s`);
        continue;
      }
      if (c.peer.bufferedAmount < this.settings.lowWaterBytes) this.schedulePump(c);
      // A viewer sent data since the last tick knows the head and that the link lives: a heartbeat would
      // only add a TLS write per viewer per tick (4,000 a second at 1,000 viewers).
      // Still one every four ticks: a viewer under a steady flow of data is told the head all the same.
      const heard = c.scope.deferred === true && c.state === 'live' && c.wroteAt > now - this.settings.heartbeatMs && c.heartbeatAt > now - 4 * this.settings.heartbeatMs;
      if (!heard && c.peer.bufferedAmount < this.settings.highWaterBytes) {
        // A hello waiting for an epoch the relay has not read hears its own position, not a mix of two epochs.
        this.send(c, { op: 'hb', epoch: c.awaiting ?? source.publisher.epoch, head: c.lastSent, ts: now });
        c.heartbeatAt = now;
      }
    }
    this.metrics.behind.set(behind);
  }
}

function redactSnapshot(snapshot: { seq: number; state: Record<string, unknown> }, redact: StreamScope['redact']): { seq: number; state: Record<string, unknown> } {
  if (!redact) return snapshot;
  const state: Record<string, unknown> = {};
  for (const [topic, data] of Object.entries(snapshot.state)) state[topic] = redact(topic, data);
  return { seq: snapshot.seq, state };
}
