// The stream's channel to subscribers: WebSockets upgraded through the local server (path /stream)
// and any other transport given as a StreamPeer (the Electron window over IPC). Each committed batch
// is encoded once and sent to every unfiltered subscriber as the same bytes; a subscriber whose peer
// backs up past a byte bound stops receiving live frames and is caught up from the journal when it
// drains, or is closed (4008) if it stays behind — memory stays bounded and the publisher never
// slows down for anyone. Replays take the same path: one per connection at a time, read from the
// journal a chunk per turn of the event loop while the socket has room. Deferred subscribers (remote
// viewers) share one row budget per turn, a few at a time, so a crowd of them reads no more than the trader.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import * as wsModule from 'ws';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  CLOSE,
  ClientFrameSchema,
  MAX_CLIENT_FRAMES,
  STREAM_PROTOCOL,
  decodeFrames,
  encodeBatch,
  encodeFrame,
  topicMatcher,
  type DataFrame,
  type HelloFrame,
  type ServerFrame,
  type TopicMatcher,
} from '../../shared/stream';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import type { JournalRow, StreamJournal } from './journal';
import type { CommittedBatch, StreamPublisher } from './publisher';

/** What an authorized subscriber may see: every topic, or those its patterns match. */
export interface StreamScope {
  /** Who it is, for the logs (never the token). */
  readonly who: string;
  readonly topics?: readonly string[];
  /**
   * Subscribers with the same view (scope set and redaction) get the same bytes: each batch is
   * encoded once per view and position, not once per connection (remote viewers).
   */
  readonly view?: string;
  /** Rewrites a frame's data for this subscriber (account ids hidden from a viewer). */
  readonly redact?: (topic: string, data: unknown) => unknown;
  /** Served after the undeferred subscribers, a chunk per turn of the event loop: the trader first, viewers after. */
  readonly deferred?: boolean;
}

/**
 * One subscriber's connection, whatever carries it: a `ws` WebSocket (see webSocketPeer) or the
 * Electron window's IPC. It behaves like a server-side WebSocket carrying binary messages.
 */
export interface StreamPeer {
  /** Only an open peer is sent frames. */
  readonly readyState: 'open' | 'closing' | 'closed';
  /**
   * Bytes sent and not yet taken by the subscriber (a WebSocket: queued on its socket). Above the
   * server's high-water mark live frames stop for it; it is caught up from the journal when this drains.
   */
  readonly bufferedAmount: number;
  /** Sends one binary message; `flushed` (optional) is called once it has left, when the buffer may have room again. */
  send(bytes: Uint8Array, flushed?: () => void): void;
  /**
   * Sends a message many peers are sent (a round for a view of viewers); a peer may keep its wire form
   * on it, so the message is framed once for all of them. Without this, `send` is used.
   */
  sendShared?(message: SharedMessage): void;
  /** A clean close; the subscriber is told the code and reason. `close` follows (later, never during the call). */
  close(code: number, reason: string): void;
  /** Drops the connection at once, without a close handshake. `close` follows. */
  terminate(): void;
  /** Called once by the server, as it takes the peer over; the events come later, never during the call. */
  listen(events: StreamPeerEvents): void;
}

export interface StreamPeerEvents {
  /** One message from the subscriber; `binary` false for a text message (refused: frames are msgpack). */
  message(bytes: Uint8Array, binary: boolean): void;
  /** The connection is closed (whichever side closed it); once. */
  close(): void;
  /** A transport error, for the logs; `close` follows. */
  error(message: string): void;
}

/** A message sent to many peers as the same bytes; `wire` caches its WebSocket frame. */
export interface SharedMessage {
  readonly bytes: Uint8Array;
  wire?: Buffer;
}

/** ws's framing (exported, not in its types). */
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] } };

/** The unmasked binary WebSocket frame of a message, as a server sends it. */
function binaryFrame(bytes: Uint8Array): Buffer {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts = Sender.frame(data, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true });
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** A `ws` WebSocket as a StreamPeer: the server's one code path serves WebSockets through this. */
export function webSocketPeer(ws: WebSocket): StreamPeer {
  // ws keeps the upgraded socket here; frames written to it directly share its write queue (and
  // bufferedAmount) with ws's own, in order. No compression is negotiated, so ws never holds frames back.
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  return {
    get readyState() {
      return ws.readyState === ws.OPEN ? 'open' : ws.readyState === ws.CLOSED ? 'closed' : 'closing';
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (bytes, flushed) => ws.send(bytes, { binary: true }, flushed),
    // One frame for every viewer of a round and one write each: through ws each send frames the message
    // again and writes header and payload corked, a writev, which cost 2x the CPU per viewer (profiled).
    sendShared: (message) => {
      if (!socket || ws.extensions !== '' || ws.readyState !== ws.OPEN) {
        ws.send(message.bytes, { binary: true });
        return;
      }
      message.wire ??= binaryFrame(message.bytes);
      socket.write(message.wire);
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    listen: (events) => {
      ws.on('message', (data: RawData, isBinary: boolean) => events.message(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), isBinary));
      ws.on('close', () => events.close());
      ws.on('error', (err) => events.error(err.message));
    },
  };
}

/** What the server reads of the sequencer: the desk's StreamPublisher, or a relay's stream read from Kafka. */
export interface StreamHead {
  readonly epoch: string;
  /** The last committed seq. */
  readonly head: number;
  /** Called with every committed batch, in seq order; returns the unsubscribe. */
  onCommitted(listener: (batch: CommittedBatch) => void): () => void;
  /** The latest data per topic as of the head, optionally only topics a filter lets through. */
  snapshot(filter?: (topic: string) => boolean): { seq: number; state: Record<string, unknown> };
}

/** What the server reads of the history: the desk's StreamJournal, or a relay's recent window. */
export interface StreamHistory {
  /** The oldest seq `read` serves without a recall. */
  readonly oldest: number;
  /** Rows from..to in seq order, at most `limit`. */
  read(from: number, to: number, limit: number): JournalRow[];
  /**
   * Brings older messages, from `from` on, within reach of `read` (a relay reads them back from Kafka).
   * Settles once done, held or not; `read` tells which. Absent: what is below `oldest` is gone.
   */
  recall?(from: number): Promise<void>;
}

/** What the server serves: a stream's head and its history. */
export interface StreamFeed {
  readonly publisher: StreamHead;
  readonly journal: StreamHistory;
}

/** The desk's own stream: its sequencer and journal. */
export interface StreamSource extends StreamFeed {
  readonly publisher: StreamPublisher;
  readonly journal: StreamJournal;
}

export interface StreamServerOptions {
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock: Clock;
  /** The scope of a bearer token, or undefined to refuse the connection (401). */
  readonly authorize: (token: string | undefined) => StreamScope | undefined;
  readonly heartbeatMs?: number;
  readonly handshakeTimeoutMs?: number;
  /** Above this many bytes queued on a socket, live frames stop for it (default 4 MiB). */
  readonly highWaterBytes?: number;
  /** It is caught up from the journal once below this (default 512 KiB). */
  readonly lowWaterBytes?: number;
  /** Behind for longer than this: closed with 4008 (default 30 s). */
  readonly maxBehindMs?: number;
  /** A client frame larger than this gets an error and a close (default 16 KiB). */
  readonly maxClientFrameBytes?: number;
  /** A socket that does not complete the close handshake within this is cut (default 2 s). */
  readonly closeTimeoutMs?: number;
  /** Metric names start with this (default dualdesk_stream), so a second server (sharing) has its own. */
  readonly metricPrefix?: string;
  /** Deferred subscribers served per turn of the event loop (default 100). */
  readonly deferredChunk?: number;
  /**
   * Deferred subscribers get at most one message per this window (default 0: each batch at once): a
   * batch after a quiet spell goes at once, those that follow within the window wait for its end and go
   * together. Over TLS each message is a write: coalescing is what lets 1,000 viewers keep up.
   */
  readonly coalesceMs?: number;
  /**
   * Journal rows read per turn of the event loop for all deferred subscribers together (default 2,000),
   * shared round-robin: a crowd of viewers replaying or catching up reads no more than one trader would.
   */
  readonly deferredRowBudget?: number;
  /** Deferred subscribers read from the journal at once at most (default 16); the rest wait their turn, catching up. */
  readonly maxDeferredReaders?: number;
  /** A deferred subscriber's replay spans at most this many messages (default 10,000); a larger one is refused with an error. */
  readonly maxViewerReplaySpan?: number;
  /** Replays a deferred subscriber may ask for per minute (default 30); more are refused with an error. */
  readonly viewerReplaysPerMinute?: number;
  /** Called after each turn of deferred journal reading: the rows it read and for how many subscribers (metrics, tests). */
  readonly onDeferredRead?: (turn: { readonly rows: number; readonly readers: number }) => void;
}

const CATCH_UP_CHUNK = 2_000;
/** The WebSocket close code "try again later": a peer offered before the stream exists. */
const TRY_AGAIN_LATER = 1013;

type ConnectionState = 'hello' | 'catching-up' | 'live';

interface Connection {
  readonly peer: StreamPeer;
  readonly scope: StreamScope;
  readonly id: number;
  state: ConnectionState;
  filter: TopicMatcher | undefined;
  /** Every seq up to here has been sent or was filtered out. */
  sent: number;
  /** The seq of the last data frame sent (the next frame's `prev`). */
  lastSent: number;
  behindSince: number | undefined;
  /** The replay being served: `next` is the next seq to read, `prev` the last replayed frame's seq. */
  replay: { next: number; readonly to: number; prev: number } | undefined;
  /** When a message was last written to it (clock ms). */
  wroteAt: number;
  /** When it was last sent a heartbeat (clock ms). */
  heartbeatAt: number;
  /** A turn of journal reading (replay or catch-up) is scheduled, or it waits in the deferred readers' queue. */
  pumpScheduled: boolean;
  /** When its recent replays were asked for (clock ms), for the viewers' replay rate. */
  replaysAt: number[];
  handshakeTimer: TimerHandle | undefined;
  /** Memo key of the encoded bytes it shares with its view (view + its own topics), once it said hello. */
  viewKey: string | undefined;
  /** Cuts a peer that does not complete a close the server started. */
  closeTimer: TimerHandle | undefined;
  /** Resolves once the peer is closed. */
  readonly closed: Promise<void>;
  /** Waiting for the source to recall older history: nothing is sent or read for it meanwhile. */
  recalling: boolean;
  /** The last seq a recall was asked for: not asked twice for the same position. */
  recalled: number | undefined;
}

let nextConnectionId = 1;

export class StreamServer {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private source: StreamFeed | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Runs while there are connections: an idle server holds no timer, so a desk that failed to start can exit. */
  private heartbeat: TimerHandle | undefined;
  /** Fault injection: live frames to lose (tests and drills of the subscriber's gap filling). */
  private framesToLose = 0;
  /** Fault injection: a stalled network (nothing goes out, nothing comes in, connections stay open). */
  private stalled = false;
  /** Fault injection: replay requests go unanswered. */
  private replaysIgnored = false;
  private readonly o: Required<Omit<StreamServerOptions, 'authorize' | 'logger' | 'metrics' | 'clock' | 'onDeferredRead'>>;
  /** Frames committed since the last round for deferred subscribers started, in seq order. */
  private pendingFrames: DataFrame[] = [];
  /** The round in progress: those frames, sent to the deferred subscribers a chunk per turn. */
  private round: { frames: readonly DataFrame[]; targets: Connection[]; next: number; memo: Map<string, Encoded>; readonly generation: number } | undefined;
  /** Bumped by setSource: a turn scheduled for the previous source does nothing. */
  private generation = 0;
  /** Deferred subscribers owed journal rows, in the order they asked; the first maxDeferredReaders read, round-robin. */
  private readonly deferredReaders = new Set<Connection>();
  private readersScheduled = false;
  /** Where the next readers' turn starts among those reading (round-robin when the budget runs out mid-way). */
  private readerCursor = 0;
  /** Rows read from the journal in the turn in progress. */
  private rowsRead = 0;
  private roundScheduled = false;
  private roundTimer: TimerHandle | undefined;
  /** When the last round for deferred subscribers started (the coalescing window runs from it). */
  private lastRoundAt = Number.NEGATIVE_INFINITY;
  private readonly matchers = new Map<string, TopicMatcher>();
  private readonly m;
  private closing = false;

  constructor(private readonly options: StreamServerOptions) {
    this.o = {
      heartbeatMs: options.heartbeatMs ?? 250,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5_000,
      highWaterBytes: options.highWaterBytes ?? 4 * 1024 * 1024,
      lowWaterBytes: options.lowWaterBytes ?? 512 * 1024,
      maxBehindMs: options.maxBehindMs ?? 30_000,
      maxClientFrameBytes: options.maxClientFrameBytes ?? 16 * 1024,
      closeTimeoutMs: options.closeTimeoutMs ?? 2_000,
      metricPrefix: options.metricPrefix ?? 'dualdesk_stream',
      deferredChunk: options.deferredChunk ?? 100,
      coalesceMs: options.coalesceMs ?? 0,
      deferredRowBudget: options.deferredRowBudget ?? CATCH_UP_CHUNK,
      maxDeferredReaders: options.maxDeferredReaders ?? 16,
      maxViewerReplaySpan: options.maxViewerReplaySpan ?? 10_000,
      viewerReplaysPerMinute: options.viewerReplaysPerMinute ?? 30,
    };
    const p = this.o.metricPrefix;
    // ws closes frames beyond maxPayload itself (1009); below that, our own limit answers with an error frame first.
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.o.maxClientFrameBytes * 4,
      // Only the stream's own protocol is echoed: never a `ticket.<t>` a browser offered next to it.
      handleProtocols: (offered) => (offered.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
    });
    const registers = [options.metrics];
    // A server made again (sharing turned off and on) takes over its metrics rather than registering them twice.
    const reuse = <T>(name: string, make: () => T): T => (options.metrics.getSingleMetric(name) as T | undefined) ?? make();
    this.m = {
      connections: reuse(`${p}_connections`, () => new Gauge({ name: `${p}_connections`, help: 'Open stream connections.', registers })),
      behind: reuse(`${p}_connections_behind`, () => new Gauge({ name: `${p}_connections_behind`, help: 'Connections being caught up from the journal.', registers })),
      frames: reuse(`${p}_ws_frames_total`, () => new Counter({ name: `${p}_ws_frames_total`, help: 'Data frames sent to stream connections.', registers })),
      bytes: reuse(`${p}_ws_bytes_total`, () => new Counter({ name: `${p}_ws_bytes_total`, help: 'Bytes sent to stream connections.', registers })),
      slowClosed: reuse(`${p}_slow_closed_total`, () => new Counter({ name: `${p}_slow_closed_total`, help: 'Connections closed for staying behind (4008).', registers })),
      badFrames: reuse(`${p}_bad_frames_total`, () => new Counter({ name: `${p}_bad_frames_total`, help: 'Client frames refused (malformed, oversized, unexpected).', registers })),
    };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The trading mode's stream. A new source is a new epoch: every subscriber is told and disconnected. */
  setSource(source: StreamFeed | undefined): void {
    const previous = this.source;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.source = source;
    this.generation++;
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
        if (source) this.send(c, { op: 'reset', epoch: source.publisher.epoch, reason: 'the stream changed (trading mode switched)' });
        c.peer.close(1012, 'stream changed');
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(webSocketPeer(ws), scope));
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
    return [...this.connections].map((c) => ({ id: c.id, who: c.scope.who, state: c.state, sent: c.sent, replaying: c.replay !== undefined, bufferedBytes: c.peer.bufferedAmount }));
  }

  readonly faults = {
    /** Drops every connection at once (TCP reset, no close frame). */
    disconnectAll: (): void => {
      for (const c of this.connections) c.peer.terminate();
    },
    /** Loses the next `n` live data frames on the way to every subscriber, as a lossy link would. */
    loseFrames: (n: number): void => {
      this.framesToLose = n;
    },
    /** Stalls every connection (no frames either way, no heartbeats) until called with false; then they catch up. */
    stall: (on: boolean): void => {
      this.stalled = on;
      const head = this.source?.publisher.head ?? 0;
      if (on) return;
      if (this.pendingFrames.length > 0) this.scheduleDeferred();
      for (const c of this.connections) {
        if (c.state === 'live' && c.sent < head) this.startCatchUp(c);
        this.schedulePump(c);
      }
    },
    /** Leaves replay requests unanswered until called with false. */
    ignoreReplays: (on: boolean): void => {
      this.replaysIgnored = on;
    },
  };

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
    };
    this.connections.add(c);
    this.m.connections.set(this.connections.size);
    this.heartbeat ??= this.options.clock.setInterval(() => this.tick(), this.o.heartbeatMs);
    c.handshakeTimer = this.options.clock.setTimeout(() => {
      if (c.state === 'hello') this.refuse(c, CLOSE.HANDSHAKE_TIMEOUT, 'handshake-timeout', `no hello within ${this.o.handshakeTimeoutMs} ms`);
    }, this.o.handshakeTimeoutMs);
    peer.listen({
      message: (bytes, isBinary) => this.onMessage(c, bytes, isBinary),
      close: () => {
        this.options.clock.clearTimer(c.handshakeTimer);
        this.options.clock.clearTimer(c.closeTimer);
        this.connections.delete(c);
        this.deferredReaders.delete(c);
        this.m.connections.set(this.connections.size);
        if (this.connections.size === 0) {
          this.options.clock.clearTimer(this.heartbeat);
          this.heartbeat = undefined;
          this.m.behind.set(0);
        }
        closed();
      },
      error: (message) => this.options.logger.debug({ connection: c.id, err: message }, 'stream socket error'),
    });
  }

  private onMessage(c: Connection, bytes: Uint8Array, isBinary: boolean): void {
    if (this.stalled) return;
    if (bytes.length > this.o.maxClientFrameBytes) {
      this.refuse(c, CLOSE.TOO_BIG, 'too-big', `client frames are limited to ${this.o.maxClientFrameBytes} bytes`);
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
        if (!this.replaysIgnored) this.replay(c, frame.from, frame.to);
      }
    }
  }

  private refuse(c: Connection, code: number, errorCode: string, message: string): void {
    this.m.badFrames.inc();
    this.options.logger.info({ connection: c.id, who: c.scope.who, code: errorCode, message }, 'stream client refused');
    this.send(c, { op: 'error', code: errorCode, message });
    this.closeConnection(c, code, errorCode);
  }

  /** Closes with a code; a peer that does not read (so never sees the close frame) is cut after a grace period. */
  private closeConnection(c: Connection, code: number, reason: string): void {
    c.peer.close(code, reason);
    c.closeTimer ??= this.options.clock.setTimeout(() => c.peer.terminate(), this.o.closeTimeoutMs);
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
      const reason = resume.epoch !== epoch ? 'the stream was recreated: new epoch' : resume.seq > head ? 'that position is ahead of the stream' : 'that position is no longer in the journal';
      this.send(c, { op: 'reset', epoch, reason });
    }
    const snapshot = redactSnapshot(publisher.snapshot(c.filter), c.scope.redact);
    this.send(c, { op: 'welcome', epoch, head, resumed: false });
    this.send(c, { op: 'snapshot', epoch, seq: snapshot.seq, state: snapshot.state });
    c.sent = snapshot.seq;
    c.lastSent = snapshot.seq;
    c.state = 'live';
  }

  /**
   * Whether the history holds `from` for this connection: 'held'; 'gone'; or 'wait' while the source
   * recalls it from older history (then `then` runs, unless the stream changed or the peer left). A
   * position is recalled once: still not held after that, it is gone.
   */
  private reach(c: Connection, source: StreamFeed, from: number, then: () => void): 'held' | 'wait' | 'gone' {
    const { journal } = source;
    if (journal.oldest <= from) return 'held';
    if (!journal.recall) return 'gone';
    if (journal.read(from, from, 1)[0]?.seq === from) return 'held';
    if (c.recalled === from) return 'gone';
    c.recalling = true;
    c.recalled = from;
    const generation = this.generation;
    void journal
      .recall(from)
      .catch((err: unknown) => this.options.logger.warn({ connection: c.id, from, err: (err as Error).message }, 'recalling older stream history failed'))
      .then(() => {
        c.recalling = false;
        if (generation !== this.generation || this.source !== source || c.peer.readyState !== 'open') return;
        then();
      });
    return 'wait';
  }

  /**
   * Starts sending [from, to] from the journal (those the subscriber may see), chained from from - 1.
   * One replay at a time: another is refused while one is in flight, and closes a subscriber that is
   * not even reading the one it has (4008).
   */
  private replay(c: Connection, from: number, to: number): void {
    const source = this.source;
    if (!source) return;
    const { journal, publisher } = source;
    if (c.replay) {
      if (c.peer.bufferedAmount > this.o.highWaterBytes) this.closeSlow(c, 'asked for another replay without reading the one in flight');
      else this.send(c, { op: 'error', code: 'replay-busy', message: `replay ${c.replay.next}-${c.replay.to} is in flight: ask again once it has arrived` });
      return;
    }
    const last = Math.min(to, publisher.head);
    if (from > last) return;
    if (c.scope.deferred && !this.viewerMayReplay(c, from, last)) return;
    c.replay = { next: from, to: last, prev: from - 1 };
    const reach = this.reach(c, source, from, () => this.pumpNow(c));
    if (reach === 'gone') {
      c.replay = undefined;
      this.send(c, { op: 'reset', epoch: publisher.epoch, reason: `messages ${from}-${journal.oldest - 1} are no longer in the journal` });
      return;
    }
    if (reach === 'held') this.pumpNow(c);
  }

  /** A viewer's replay within its span and rate caps; otherwise it is told why (an error, not a close). */
  private viewerMayReplay(c: Connection, from: number, to: number): boolean {
    if (to - from + 1 > this.o.maxViewerReplaySpan) {
      this.send(c, { op: 'error', code: 'replay-too-large', message: `a replay spans at most ${this.o.maxViewerReplaySpan} messages, not ${to - from + 1}` });
      return false;
    }
    const now = this.options.clock.now();
    c.replaysAt = c.replaysAt.filter((t) => t > now - 60_000);
    if (c.replaysAt.length >= this.o.viewerReplaysPerMinute) {
      this.send(c, { op: 'error', code: 'replay-rate', message: `at most ${this.o.viewerReplaysPerMinute} replays a minute: ask again later` });
      return false;
    }
    c.replaysAt.push(now);
    return true;
  }

  /** One chunk of the replay in flight; whether there is more to send. */
  private replayChunk(c: Connection, source: StreamFeed, limit: number): boolean {
    const { journal, publisher } = source;
    const r = c.replay;
    if (!r) return false;
    const reach = this.reach(c, source, r.next, () => this.schedulePump(c));
    if (reach === 'wait') return false;
    if (reach === 'gone') {
      c.replay = undefined;
      this.send(c, { op: 'reset', epoch: publisher.epoch, reason: `messages ${r.next}-${journal.oldest - 1} are no longer in the journal` });
      return false;
    }
    const rows = this.readJournal(journal, r.next, r.to, limit);
    const lastRow = rows[rows.length - 1];
    if (lastRow) {
      r.prev = this.sendRows(c, rows, r.prev);
      r.next = lastRow.seq + 1;
    }
    if (!lastRow || r.next > r.to) c.replay = undefined;
    return c.replay !== undefined;
  }

  private onCommitted(batch: CommittedBatch): void {
    if (this.stalled) return; // connections fall behind; they are caught up when the stall ends
    const lose = Math.min(this.framesToLose, batch.frames.length);
    this.framesToLose -= lose;
    const frames = lose > 0 ? batch.frames.slice(lose) : batch.frames;
    // Unfiltered subscribers get the publisher's bytes as they are (after a loss, the rest re-encoded: a drill).
    const shared = lose > 0 ? encodeBatch(frames.map((f) => encodeFrame(f))) : batch.message;
    const first = batch.frames[0];
    const last = batch.frames[batch.frames.length - 1];
    if (!first || !last) return;
    let deferred = false;
    for (const c of this.connections) {
      if (c.scope.deferred) {
        deferred = true;
        continue;
      }
      if (c.state !== 'live') continue;
      if (c.peer.bufferedAmount > this.o.highWaterBytes) {
        this.startCatchUp(c);
        continue;
      }
      if (c.sent !== first.seq - 1) continue; // not contiguous: it is being caught up
      if (!c.filter && !c.scope.redact) {
        if (frames.length > 0) this.write(c, shared, frames.length);
        c.sent = last.seq;
        c.lastSent = last.seq;
        continue;
      }
      // Lost frames count as sent (lost in transit), so the next frame's prev reveals the gap.
      const afterLoss = batch.frames.slice(0, lose).reduce((p, f) => (!c.filter || c.filter(f.topic) ? f.seq : p), c.lastSent);
      c.lastSent = this.sendFiltered(c, frames, afterLoss);
      c.sent = last.seq;
    }
    if (deferred) {
      for (const f of frames) this.pendingFrames.push(f);
      this.scheduleDeferred();
    }
  }

  /** Starts the next round for deferred subscribers after the coalescing window (none while one is in progress). */
  private scheduleDeferred(): void {
    if (this.round || this.roundScheduled || this.roundTimer !== undefined) return;
    const wait = this.lastRoundAt + this.o.coalesceMs - this.options.clock.now();
    if (wait > 0) {
      this.roundTimer = this.options.clock.setTimeout(() => {
        this.roundTimer = undefined;
        this.startRound();
      }, wait);
    } else {
      this.roundScheduled = true;
      const generation = this.generation;
      setImmediate(() => {
        if (generation !== this.generation) return; // scheduled for the previous source
        this.roundScheduled = false;
        this.startRound();
      });
    }
  }

  private startRound(): void {
    if (this.stalled || this.round || this.pendingFrames.length === 0) return;
    const targets = [...this.connections].filter((c) => c.scope.deferred);
    this.lastRoundAt = this.options.clock.now();
    const round = { frames: this.pendingFrames, targets, next: 0, memo: new Map<string, Encoded>(), generation: this.generation };
    this.round = round;
    this.pendingFrames = [];
    this.serveRound(round);
  }

  /**
   * One chunk of deferred subscribers for the round in progress. A subscriber takes the frames after
   * its position, if its position is within the round (one caught up from the journal meanwhile skips
   * what it already has; one behind it is being caught up).
   */
  private serveRound(round: NonNullable<StreamServer['round']>): void {
    // A turn of a round that setSource ended (or one superseded) must not run a second chain on the next round.
    if (this.round !== round || round.generation !== this.generation) return;
    if (this.stalled) {
      // The stall's end catches every connection up from the journal; the round is moot.
      this.round = undefined;
      return;
    }
    const { frames } = round;
    const first = frames[0];
    const last = frames[frames.length - 1];
    const end = Math.min(round.targets.length, round.next + this.o.deferredChunk);
    while (first && last && round.next < end) {
      const c = round.targets[round.next++] as Connection;
      if (c.state !== 'live' || c.peer.readyState !== 'open') continue;
      if (c.peer.bufferedAmount > this.o.highWaterBytes) {
        this.startCatchUp(c);
        continue;
      }
      if (c.sent >= last.seq) continue;
      if (c.sent < first.seq - 1) {
        // Behind the round (frames lost before it, or a loss drill): only the journal has what it lacks.
        this.startCatchUp(c);
        this.schedulePump(c);
        continue;
      }
      this.sendAsView(c, frames, round.memo);
      c.sent = last.seq;
    }
    if (round.next < round.targets.length) {
      setImmediate(() => this.serveRound(round));
      return;
    }
    this.round = undefined;
    if (this.pendingFrames.length > 0) this.scheduleDeferred();
  }

  /** Sends a deferred subscriber the round's frames after its position, encoded once per view and position. */
  private sendAsView(c: Connection, frames: readonly DataFrame[], memo: Map<string, Encoded>): void {
    const key = c.viewKey === undefined ? undefined : `${c.viewKey}|${c.sent}|${c.lastSent}`;
    let encoded = key === undefined ? undefined : memo.get(key);
    if (!encoded) {
      const after = c.sent;
      const owed = (frames[0]?.seq ?? 0) > after ? frames : frames.filter((f) => f.seq > after);
      encoded = this.encodeFiltered(c, owed, c.lastSent);
      if (key !== undefined) memo.set(key, encoded);
    }
    if (encoded.count > 0) this.writeShared(c, encoded);
    c.lastSent = encoded.prev;
  }

  /** Sends journal rows to a subscriber: as stored when unfiltered, re-chained when filtered. Returns the new prev. */
  private sendRows(c: Connection, rows: readonly JournalRow[], prev: number): number {
    if (!c.filter && !c.scope.redact) {
      this.write(c, encodeBatch(rows.map((r) => r.frame)), rows.length);
      return (rows[rows.length - 1] as JournalRow).seq;
    }
    const frames = rows.filter((r) => !c.filter || c.filter(r.topic)).map((r) => decodeFrames(r.frame)[0] as DataFrame);
    return this.sendFiltered(c, frames, prev);
  }

  private sendFiltered(c: Connection, frames: readonly DataFrame[], prev: number): number {
    const { bytes, count, prev: p } = this.encodeFiltered(c, frames, prev);
    if (count > 0) this.write(c, bytes, count);
    return p;
  }

  /** The frames a subscriber may see, re-chained from `prev` and redacted for it. */
  private encodeFiltered(c: Connection, frames: readonly DataFrame[], prev: number): Encoded {
    const out: Uint8Array[] = [];
    let p = prev;
    const redact = c.scope.redact;
    for (const f of frames) {
      if (c.filter && !c.filter(f.topic)) continue;
      out.push(encodeFrame(redact ? { ...f, prev: p, data: redact(f.topic, f.data) } : { ...f, prev: p }));
      p = f.seq;
    }
    return { bytes: out.length > 0 ? encodeBatch(out) : new Uint8Array(0), count: out.length, prev: p };
  }

  private startCatchUp(c: Connection): void {
    if (c.state === 'catching-up') return;
    c.state = 'catching-up';
    c.behindSince = this.options.clock.now();
  }

  /** One chunk of the catch-up; live again once at the head. Whether there is more to send. */
  private catchUpChunk(c: Connection, source: StreamFeed, limit: number): boolean {
    const { journal, publisher } = source;
    const reach = c.sent < publisher.head ? this.reach(c, source, c.sent + 1, () => this.schedulePump(c)) : 'held';
    if (reach === 'wait') return false;
    if (reach === 'gone') {
      this.send(c, { op: 'reset', epoch: publisher.epoch, reason: 'fell too far behind: the journal no longer holds the next messages' });
      this.m.slowClosed.inc();
      this.closeConnection(c, CLOSE.TOO_SLOW, 'too slow');
      return false;
    }
    const rows = c.sent < publisher.head ? this.readJournal(journal, c.sent + 1, publisher.head, limit) : [];
    const lastRow = rows[rows.length - 1];
    if (lastRow) {
      c.lastSent = this.sendRows(c, rows, c.lastSent);
      c.sent = lastRow.seq;
    }
    if (c.sent >= publisher.head) {
      c.state = 'live';
      if (c.peer.bufferedAmount < this.o.highWaterBytes) c.behindSince = undefined;
    }
    return lastRow !== undefined && c.state === 'catching-up';
  }

  /**
   * Sends what a connection is owed from the journal (its replay first, then its catch-up), one chunk
   * per turn of the event loop and only while its socket is under the high-water mark, so no
   * subscriber can hold the loop or grow the server's memory; a flush or the heartbeat resumes it.
   */
  private pump(c: Connection): void {
    c.pumpScheduled = false;
    if (this.readChunk(c, CATCH_UP_CHUNK)) this.schedulePump(c);
  }

  /** Reads a connection's next chunk (replay first, then catch-up) if it can take one; whether it is owed more. */
  private readChunk(c: Connection, limit: number): boolean {
    const source = this.source;
    if (!source || this.stalled || c.recalling || c.peer.readyState !== 'open' || c.peer.bufferedAmount >= this.o.highWaterBytes) return false;
    return c.replay ? this.replayChunk(c, source, limit) || c.state === 'catching-up' : c.state === 'catching-up' && this.catchUpChunk(c, source, limit);
  }

  /** The trader's subscribers read their first chunk at once (as ever); a viewer waits for the readers' turn. */
  private pumpNow(c: Connection): void {
    if (c.scope.deferred) this.schedulePump(c);
    else this.pump(c);
  }

  private schedulePump(c: Connection): void {
    if (c.pumpScheduled || (!c.replay && c.state !== 'catching-up')) return;
    c.pumpScheduled = true;
    if (c.scope.deferred) {
      this.deferredReaders.add(c);
      this.scheduleReaders();
      return;
    }
    setImmediate(() => this.pump(c));
  }

  private scheduleReaders(): void {
    if (this.readersScheduled || this.deferredReaders.size === 0) return;
    this.readersScheduled = true;
    const generation = this.generation;
    setImmediate(() => {
      if (generation !== this.generation) return; // scheduled for the previous source
      this.readersScheduled = false;
      this.serveReaders();
    });
  }

  /**
   * One turn of journal reading for the deferred subscribers: the first maxDeferredReaders in the queue
   * share one row budget, round-robin, so viewers' replays and catch-ups never read more per turn
   * than the trader's one chunk. One that cannot take rows now leaves the queue (a flush or the heartbeat brings it back).
   */
  private serveReaders(): void {
    const reading = [...this.deferredReaders].slice(0, this.o.maxDeferredReaders);
    const budget = this.o.deferredRowBudget;
    const share = Math.max(1, Math.floor(budget / Math.max(1, reading.length)));
    this.rowsRead = 0;
    const start = this.readerCursor % Math.max(1, reading.length);
    let served = 0;
    while (served < reading.length && this.rowsRead < budget) {
      const c = reading[(start + served) % reading.length] as Connection;
      served++;
      const more = this.readChunk(c, Math.min(share, budget - this.rowsRead));
      if (!more) {
        this.deferredReaders.delete(c);
        c.pumpScheduled = false;
      }
    }
    this.readerCursor = start + served;
    this.options.onDeferredRead?.({ rows: this.rowsRead, readers: reading.length });
    this.scheduleReaders();
  }

  private readJournal(journal: StreamHistory, from: number, to: number, limit: number): JournalRow[] {
    const rows = journal.read(from, to, limit);
    this.rowsRead += rows.length;
    return rows;
  }

  private onFlushed(c: Connection): void {
    if (c.peer.bufferedAmount < this.o.lowWaterBytes) this.schedulePump(c);
  }

  private tick(): void {
    const source = this.source;
    if (!source || this.stalled) return;
    const now = this.options.clock.now();
    let behind = 0;
    for (const c of this.connections) {
      if (c.state === 'catching-up') behind++;
      if (c.state === 'hello' || c.peer.readyState !== 'open') continue;
      // Behind is a full socket as much as a catch-up: one large batch can fill it with nothing published after.
      if (c.peer.bufferedAmount > this.o.highWaterBytes) c.behindSince ??= now;
      else if (c.state === 'live') c.behindSince = undefined;
      if (c.behindSince !== undefined && now - c.behindSince > this.o.maxBehindMs) {
        this.closeSlow(c, `behind the stream for over ${this.o.maxBehindMs / 1000} s`);
        continue;
      }
      if (c.peer.bufferedAmount < this.o.lowWaterBytes) this.schedulePump(c);
      // A viewer sent data since the last tick knows the head and that the link lives: a heartbeat would
      // only add a TLS write per viewer per tick (4,000 a second at 1,000 viewers).
      // Still one every four ticks: a viewer under a steady flow of data is told the head all the same.
      const heard = c.scope.deferred === true && c.state === 'live' && c.wroteAt > now - this.o.heartbeatMs && c.heartbeatAt > now - 4 * this.o.heartbeatMs;
      if (!heard && c.peer.bufferedAmount < this.o.highWaterBytes) {
        this.send(c, { op: 'hb', epoch: source.publisher.epoch, head: c.lastSent, ts: now });
        c.heartbeatAt = now;
      }
    }
    this.m.behind.set(behind);
  }

  /** Closes a subscriber that stays behind (4008), saying why. */
  private closeSlow(c: Connection, message: string): void {
    this.options.logger.warn({ connection: c.id, who: c.scope.who, behindMs: c.behindSince === undefined ? 0 : this.options.clock.now() - c.behindSince, message }, 'stream subscriber stayed behind; closing');
    this.send(c, { op: 'error', code: 'too-slow', message });
    this.m.slowClosed.inc();
    c.behindSince = undefined;
    c.replay = undefined;
    c.state = 'catching-up'; // no more live frames for a connection being closed
    this.closeConnection(c, CLOSE.TOO_SLOW, 'too slow');
  }

  private send(c: Connection, frame: ServerFrame): void {
    if (c.peer.readyState === 'open') c.peer.send(encodeFrame(frame));
  }

  /** Subscribers of one view share its topic matcher (built once, not per connection). */
  private matcherOf(scope: StreamScope): TopicMatcher | undefined {
    if (scope.view === undefined) return topicMatcher(scope.topics);
    let matcher = this.matchers.get(scope.view);
    if (!matcher) {
      matcher = topicMatcher(scope.topics);
      if (matcher) this.matchers.set(scope.view, matcher);
    }
    return matcher;
  }

  /** A round's message for a view: framed once for all its viewers where the peer can. */
  private writeShared(c: Connection, encoded: Encoded): void {
    if (!c.peer.sendShared || c.state === 'catching-up' || c.replay) {
      this.write(c, encoded.bytes, encoded.count);
      return;
    }
    if (c.peer.readyState !== 'open') return;
    c.peer.sendShared(encoded);
    c.wroteAt = this.options.clock.now();
    this.m.frames.inc(encoded.count);
    this.m.bytes.inc(encoded.bytes.length);
  }

  private write(c: Connection, bytes: Uint8Array, frames: number): void {
    if (c.peer.readyState !== 'open') return;
    // While catching up or replaying, each write that goes out lets it continue at once (not at the next heartbeat).
    const flushed = c.state === 'catching-up' || c.replay ? () => this.onFlushed(c) : undefined;
    c.peer.send(bytes, flushed);
    c.wroteAt = this.options.clock.now();
    this.m.frames.inc(frames);
    this.m.bytes.inc(bytes.length);
  }
}

/** Frames encoded for a subscriber: the message, how many data frames it holds, and the last one's seq (the next prev). */
interface Encoded extends SharedMessage {
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly prev: number;
}

function redactSnapshot(snapshot: { seq: number; state: Record<string, unknown> }, redact: StreamScope['redact']): { seq: number; state: Record<string, unknown> } {
  if (!redact) return snapshot;
  const state: Record<string, unknown> = {};
  for (const [topic, data] of Object.entries(snapshot.state)) state[topic] = redact(topic, data);
  return { seq: snapshot.seq, state };
}
