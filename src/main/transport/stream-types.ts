// The stream server's contracts: what a subscriber may see (StreamScope), the carrier of one
// subscriber's connection (StreamPeer), what the server reads of a stream (StreamFeed) and its options.
import type { Registry } from 'prom-client';
import type { Clock } from '../clock';
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
 * One subscriber's connection, whatever carries it: a `ws` WebSocket (see WebSocketPeer) or the
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

/** What the server reads of the sequencer: the desk's StreamPublisher, or a relay's stream read from Kafka. */
export interface StreamHead {
  readonly epoch: string;
  /** The last committed seq. */
  readonly head: number;
  /** Called with every committed batch, in seq order; returns the unsubscribe. */
  onCommitted(listener: (batch: CommittedBatch) => void): () => void;
  /** The latest data per topic as of the head, optionally only topics a filter lets through. */
  snapshot(filter?: (topic: string) => boolean): { seq: number; state: Record<string, unknown> };
  /**
   * A source that can fall behind the stream (a relay reading Kafka): resolves true once its head in
   * `epoch` reaches `seq`; false after `timeoutMs`, at once when it will not (an epoch it has read past),
   * or when a source of a later epoch replaces it. Absent: the head is the stream's.
   */
  awaitHead?(epoch: string, seq: number, timeoutMs: number): Promise<boolean>;
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

/** A fault drill's hooks (test/support/faults.ts): what the server consults, and what it hands over. */
export interface StreamServerFaults {
  /** How many of the next `n` live frames are lost on the way to every subscriber (and so no longer to lose). */
  lose(n: number): number;
  /** A stalled network: nothing goes out, nothing comes in, connections stay open. */
  readonly stalled: boolean;
  /** Replay requests go unanswered. */
  readonly replaysIgnored: boolean;
  /** The server hands over cutting every connection and catching them up once a stall ends. */
  attach(server: { disconnectAll(): void; stallEnded(): void }): void;
}

export interface StreamServerOptions {
  /** Only for fault drills; production passes none. */
  readonly faults?: StreamServerFaults;
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
   * The share of the time rounds for deferred subscribers may take (default 1: no limit, only coalesceMs).
   * Below 1, after a round busy B ms (wall time), the next starts no sooner than B / share after it started:
   * at 0.5 a hundred viewers wait about 2 ms, a thousand about 20, and the fan-out leaves half the core to the trader.
   */
  readonly deferredBusyShare?: number;
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
