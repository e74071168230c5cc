// A stream connection and what the server writes to it: frames encoded for its scope (filtered,
// re-chained, redacted), journal rows, a round's message shared by a view; its metrics, its slow close.
import { Counter, Gauge } from 'prom-client';
import { CLOSE, decodeFrames, encodeBatch, encodeFrame, topicMatcher, type DataFrame, type ServerFrame, type TopicMatcher } from '../../shared/stream';
import type { TimerHandle } from '../clock';
import type { JournalRow } from './journal';
import type { SharedMessage, StreamFeed, StreamPeer, StreamScope, StreamServerOptions } from './stream-types';

export const CATCH_UP_CHUNK = 2_000;

export type ConnectionState = 'hello' | 'catching-up' | 'live';

export interface Connection {
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
  /** Waiting for the source to recall older history, or to reach the hello's position: nothing is sent or read for it meanwhile but heartbeats. */
  recalling: boolean;
  /** The last seq a recall was asked for: not asked twice for the same position. */
  recalled: number | undefined;
  /** The hello's position ahead of the head (or in an epoch the source has not reached) was waited for once already. */
  awaitedHead: boolean;
  /** The epoch of the hello's position while the source is waited for: a new source closes it unreset, to say hello again. */
  awaiting: string | undefined;
}

/** Frames encoded for a subscriber: the message, how many data frames it holds, and the last one's seq (the next prev). */
export interface Encoded extends SharedMessage {
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly prev: number;
}

export abstract class StreamConnections {
  protected readonly connections = new Set<Connection>();
  protected source: StreamFeed | undefined;
  protected readonly settings: Required<Omit<StreamServerOptions, 'authorize' | 'logger' | 'metrics' | 'clock' | 'onDeferredRead' | 'faults'>>;
  /** Bumped by setSource: a turn scheduled for the previous source does nothing. */
  protected generation = 0;
  private readonly matchers = new Map<string, TopicMatcher>();
  protected readonly metrics;

  /** A stalled network in a fault drill (never in production: no faults option). */
  protected get stalled(): boolean {
    return this.options.faults?.stalled ?? false;
  }

  constructor(protected readonly options: StreamServerOptions) {
    this.settings = {
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
      deferredBusyShare: options.deferredBusyShare ?? 1,
      deferredRowBudget: options.deferredRowBudget ?? CATCH_UP_CHUNK,
      maxDeferredReaders: options.maxDeferredReaders ?? 16,
      maxViewerReplaySpan: options.maxViewerReplaySpan ?? 10_000,
      viewerReplaysPerMinute: options.viewerReplaysPerMinute ?? 30,
    };
    const share = this.settings.deferredBusyShare;
    if (!(share > 0 && share <= 1)) throw new RangeError(`deferredBusyShare must be in (0, 1], not ${share}`);
    const p = this.settings.metricPrefix;
    const registers = [options.metrics];
    // A server made again (sharing turned off and on) takes over its metrics rather than registering them twice.
    const reuse = <T>(name: string, make: () => T): T => (options.metrics.getSingleMetric(name) as T | undefined) ?? make();
    this.metrics = {
      connections: reuse(`${p}_connections`, () => new Gauge({ name: `${p}_connections`, help: 'Open stream connections.', registers })),
      behind: reuse(`${p}_connections_behind`, () => new Gauge({ name: `${p}_connections_behind`, help: 'Connections being caught up from the journal.', registers })),
      frames: reuse(`${p}_frames_sent_total`, () => new Counter({ name: `${p}_frames_sent_total`, help: 'Data frames sent to stream connections.', registers })),
      bytes: reuse(`${p}_bytes_sent_total`, () => new Counter({ name: `${p}_bytes_sent_total`, help: 'Bytes sent to stream connections.', registers })),
      slowClosed: reuse(`${p}_slow_closed_total`, () => new Counter({ name: `${p}_slow_closed_total`, help: 'Connections closed for staying behind (4008).', registers })),
      badFrames: reuse(`${p}_bad_frames_total`, () => new Counter({ name: `${p}_bad_frames_total`, help: 'Client frames refused (malformed, oversized, unexpected).', registers })),
    };
  }

  /** Resumes a connection's journal reading once its peer has room (stream-reading.ts). */
  protected abstract onFlushed(c: Connection): void;

  protected startCatchUp(c: Connection): void {
    if (c.state === 'catching-up') return;
    c.state = 'catching-up';
    c.behindSince = this.options.clock.now();
  }

  /** Closes with a code; a peer that does not read (so never sees the close frame) is cut after a grace period. */
  protected closeConnection(c: Connection, code: number, reason: string): void {
    c.peer.close(code, reason);
    c.closeTimer ??= this.options.clock.setTimeout(() => c.peer.terminate(), this.settings.closeTimeoutMs);
  }

  /** Closes a subscriber that stays behind (4008), saying why. */
  protected closeSlow(c: Connection, message: string): void {
    this.options.logger.warn(
      { connection: c.id, who: c.scope.who, behindMs: c.behindSince === undefined ? 0 : this.options.clock.now() - c.behindSince, message },
      'stream subscriber stayed behind; closing',
    );
    this.send(c, { op: 'error', code: 'too-slow', message });
    this.metrics.slowClosed.inc();
    c.behindSince = undefined;
    c.replay = undefined;
    c.state = 'catching-up'; // no more live frames for a connection being closed
    this.closeConnection(c, CLOSE.TOO_SLOW, 'too slow');
  }

  protected send(c: Connection, frame: ServerFrame): void {
    if (c.peer.readyState === 'open') c.peer.send(encodeFrame(frame));
  }

  /** Subscribers of one view share its topic matcher (built once, not per connection). */
  protected matcherOf(scope: StreamScope): TopicMatcher | undefined {
    if (scope.view === undefined) return topicMatcher(scope.topics);
    let matcher = this.matchers.get(scope.view);
    if (!matcher) {
      matcher = topicMatcher(scope.topics);
      if (matcher) this.matchers.set(scope.view, matcher);
    }
    return matcher;
  }

  /** Sends journal rows to a subscriber: as stored when unfiltered, re-chained when filtered. Returns the new prev. */
  protected sendRows(c: Connection, rows: readonly JournalRow[], prev: number): number {
    if (!c.filter && !c.scope.redact) {
      this.write(c, encodeBatch(rows.map((r) => r.frame)), rows.length);
      return (rows[rows.length - 1] as JournalRow).seq;
    }
    const frames = rows.filter((r) => !c.filter || c.filter(r.topic)).map((r) => decodeFrames(r.frame)[0] as DataFrame);
    return this.sendFiltered(c, frames, prev);
  }

  protected sendFiltered(c: Connection, frames: readonly DataFrame[], prev: number): number {
    const { bytes, count, prev: p } = this.encodeFiltered(c, frames, prev);
    if (count > 0) this.write(c, bytes, count);
    return p;
  }

  /** The frames a subscriber may see, re-chained from `prev` and redacted for it. */
  protected encodeFiltered(c: Connection, frames: readonly DataFrame[], prev: number): Encoded {
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

  /** A round's message for a view: framed once for all its viewers where the peer can. */
  protected writeShared(c: Connection, encoded: Encoded): void {
    if (!c.peer.sendShared || c.state === 'catching-up' || c.replay) {
      this.write(c, encoded.bytes, encoded.count);
      return;
    }
    if (c.peer.readyState !== 'open') return;
    c.peer.sendShared(encoded);
    c.wroteAt = this.options.clock.now();
    this.metrics.frames.inc(encoded.count);
    this.metrics.bytes.inc(encoded.bytes.length);
  }

  protected write(c: Connection, bytes: Uint8Array, frames: number): void {
    if (c.peer.readyState !== 'open') return;
    // While catching up or replaying, each write that goes out lets it continue at once (not at the next heartbeat).
    const flushed = c.state === 'catching-up' || c.replay ? () => this.onFlushed(c) : undefined;
    c.peer.send(bytes, flushed);
    c.wroteAt = this.options.clock.now();
    this.metrics.frames.inc(frames);
    this.metrics.bytes.inc(bytes.length);
  }
}
