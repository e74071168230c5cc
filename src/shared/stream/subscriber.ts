// The stream subscriber's state machine, independent of the socket and of the platform (Node with
// `ws` and Kafka in src/main/transport; the browser over its WebSocket alone). It delivers every seq
// exactly once and in order across every failure. With a backup (Kafka) it is a hot standby: once the
// subscriber has a position, the backup tails the stream from there, and each seq is delivered from
// whichever channel brings it first (the tracker drops the other copy), so delivery never waits for a
// failover to be declared. The failover triggers only decide when the WebSocket counts as failed.
// Gaps are also replayed over the WebSocket when it is open; it reconnects with backoff and resumes
// from the position.
import { Backoff, type BackoffOptions } from '../backoff';
import { CircuitBreaker, type BreakerState } from './breaker';
import { decodeFrames, encodeFrame } from './codec';
import { MAX_REPLAY, parseServerFrame, type DataFrame, type ServerFrame } from './frames';
import { topicMatcher, type TopicMatcher } from './topics';
import { SequenceTracker } from './tracker';

/** A connected (or connecting) stream socket, whatever the platform's WebSocket is. */
export interface StreamSocket {
  send(bytes: Uint8Array): void;
  /** A clean close (the close handshake). */
  close(code: number, reason: string): void;
  /** Drops the connection at once (a dead or stalled peer). */
  abort(): void;
}

/** What a socket reports; `message` carries one binary WebSocket message. */
export interface StreamSocketEvents {
  open(): void;
  message(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
  error(message: string): void;
}

/** Opens a socket to the stream, authenticated (Node: a bearer header; the browser: a single-use ticket as a subprotocol, never a URL); events come later, never during the call. */
export type ConnectStream = (events: StreamSocketEvents) => StreamSocket;

/** Time, injected (tests use a virtual clock); the main process's Clock fits it. */
export interface SubscriberTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  setInterval(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The subset of a pino logger the subscriber uses. */
export interface SubscriberLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The durable backup (Kafka: the transport's KafkaStreamReader), as the subscriber needs it. */
export interface BackupReader {
  start(): Promise<void>;
  /**
   * Tails the backup from near `from` (one seek by its time), until paused; frames in offset order.
   * `position()` is the subscriber's seq now (in `from`'s epoch): frames at or before it are skipped
   * before they are delivered (or decoded). Rejects when the backup cannot seek now (not connected).
   */
  readFrom(from: { readonly epoch: string; readonly seq: number; readonly ts: number }, onFrames: (frames: DataFrame[]) => void, position?: () => number): Promise<void>;
  /** Connected: a read in progress delivers (or will, once the backup has the messages). */
  available(): boolean;
  pause(): void;
  stop(): Promise<void>;
}

export type SubscriberChannel = 'websocket' | 'kafka' | 'none';

export interface SubscriberState {
  /** The primary: 'kafka' while failed over (or while Kafka delivers with the WebSocket down), 'websocket' while it is open and not failed over. */
  readonly channel: SubscriberChannel;
  readonly websocket: 'connecting' | 'open' | 'closed';
  readonly breaker: BreakerState;
  readonly epoch: string | undefined;
  readonly lastSeq: number;
  /** The stream head as last announced by the server. */
  readonly head: number;
  /** now − publish time of the last delivered message. */
  readonly lagMs: number;
  readonly gapsDetected: number;
  readonly gapsFilled: number;
  readonly failovers: number;
  readonly reconnects: number;
  /** When the next WebSocket reconnect is due (epoch ms), while one is scheduled: the UI counts down to it. */
  readonly nextReconnectAt: number | undefined;
  readonly delivered: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
}

export interface StreamSubscriberOptions {
  readonly connect: ConnectStream;
  readonly topics?: readonly string[];
  /** Start after this position (an operator's `tail --resume`): the hello asks to resume from it. `ts`, when known, aims a Kafka read; without it Kafka is read from its start. */
  readonly resume?: { readonly epoch: string; readonly seq: number; readonly ts?: number };
  readonly backup?: BackupReader;
  readonly logger: SubscriberLog;
  readonly timers: SubscriberTimers;
  readonly random?: () => number;
  /** The server's heartbeat interval; 3 missed heartbeats is a failure (default 250 ms). */
  readonly heartbeatMs?: number;
  /** A gap larger than this is read from Kafka rather than replayed (default 10). */
  readonly maxReplayGap?: number;
  /** A replay that advances the subscriber by nothing for this long is a failure (default 1 s). */
  readonly replayTimeoutMs?: number;
  /** Latency above this for 3 consecutive messages is a failure (default 500 ms). */
  readonly maxLatencyMs?: number;
  readonly maxBuffered?: number;
  /** Reconnect delays (default 100 ms doubling to 10 s, equal jitter). */
  readonly reconnect?: BackoffOptions;
  readonly onMessage: (frame: DataFrame) => void;
  /** The state as of `seq`: sent when joining, and after every reset or epoch change. */
  readonly onSnapshot?: (snapshot: { epoch: string; seq: number; state: Readonly<Record<string, unknown>> }) => void;
  /** The position was discarded (a new epoch, or a position no longer available). */
  readonly onReset?: (reason: string) => void;
}

const LATENCY_SAMPLES = 4_096;

export class StreamSubscriber {
  private readonly clock: SubscriberTimers;
  private readonly tracker: SequenceTracker;
  private readonly breaker: CircuitBreaker;
  private readonly filter: TopicMatcher | undefined;
  private ws: StreamSocket | undefined;
  private wsState: SubscriberState['websocket'] = 'closed';
  /** The server's welcome arrived on the current connection. */
  private welcomed = false;
  private running = false;
  /** The WebSocket was declared failed (a failover counted) and is not yet back: open, healthy, at the head. */
  private failedOver = false;
  /** The backup's tail: off, being aimed, or following (`session` tells a current read from an older one). */
  private standby: 'off' | 'aiming' | 'on' = 'off';
  private standbySession = 0;
  /** After a failed aim, not before this time (the backup reconnects by itself). */
  private standbyRetryAt = 0;
  /** The channel of the latest delivery. */
  private lastVia: 'websocket' | 'kafka' | undefined;
  private head = 0;
  private lastFrameAt = 0;
  private lastDeliveredTs = 0;
  private slowInARow = 0;
  private readonly backoff: Backoff;
  private reconnectTimer: unknown;
  private reconnectAt: number | undefined;
  private watchTimer: unknown;
  private replayTimer: unknown;
  private replaying: { from: number; to: number } | undefined;
  /** When the WebSocket last answered the replay in flight: its timeout is for silence, not for its whole length. */
  private replayHeardAt = 0;
  private counters = { gapsDetected: 0, gapsFilled: 0, failovers: 0, reconnects: 0, delivered: 0 };
  /** The open gap episode: filled once everything up to `to` is delivered, by whichever channel. */
  private openGap: { to: number } | undefined;
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;
  private readonly o: Required<Pick<StreamSubscriberOptions, 'heartbeatMs' | 'maxReplayGap' | 'replayTimeoutMs' | 'maxLatencyMs'>>;

  constructor(private readonly options: StreamSubscriberOptions) {
    this.clock = options.timers;
    this.tracker = new SequenceTracker(options.maxBuffered ?? 100_000);
    this.filter = topicMatcher(options.topics);
    this.backoff = new Backoff(options.random, options.reconnect);
    if (options.resume) this.tracker.reset(options.resume.epoch, options.resume.seq);
    this.o = {
      heartbeatMs: options.heartbeatMs ?? 250,
      maxReplayGap: options.maxReplayGap ?? 10,
      replayTimeoutMs: options.replayTimeoutMs ?? 1_000,
      maxLatencyMs: options.maxLatencyMs ?? 500,
    };
    this.breaker = new CircuitBreaker(
      () => this.clock.now(),
      { coolDownMs: 0 },
      (state, reason) => {
        options.logger.info({ state, reason }, 'subscriber WebSocket breaker');
        if (state === 'open') this.failover(`WebSocket: ${reason}`);
      },
    );
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.options.backup?.start();
    // A resumed position with its time is known now: the standby can tail from it. Without a time it
    // waits for the first delivery or heartbeat (a read from the topic's start is for a failover only).
    if (this.options.resume?.ts !== undefined) this.follow(this.options.resume.ts);
    this.watchTimer = this.clock.setInterval(() => this.watch(), Math.max(10, Math.floor(this.o.heartbeatMs / 2)));
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimer(this.watchTimer);
    this.clock.clearTimer(this.reconnectTimer);
    this.clock.clearTimer(this.replayTimer);
    this.ws?.close(1000, 'done');
    this.ws = undefined;
    this.wsState = 'closed';
    this.standby = 'off';
    this.standbySession++;
    await this.options.backup?.stop();
  }

  state(): SubscriberState {
    // A typed-array copy sorts numerically in native code: cheap enough for a UI polling state().
    const sorted = this.latencies.slice(0, Math.min(this.latencyCount, LATENCY_SAMPLES)).sort();
    const q = (p: number) => (sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number));
    const t = this.tracker.state();
    return {
      channel: this.failedOver ? 'kafka' : this.wsState === 'open' ? 'websocket' : this.lastVia === 'kafka' && this.standby === 'on' ? 'kafka' : 'none',
      websocket: this.wsState,
      breaker: this.breaker.state,
      epoch: t.epoch,
      lastSeq: t.lastSeq,
      head: this.head,
      lagMs: this.lastDeliveredTs === 0 ? 0 : Math.max(0, this.clock.now() - this.lastDeliveredTs),
      gapsDetected: this.counters.gapsDetected,
      gapsFilled: this.counters.gapsFilled,
      failovers: this.counters.failovers,
      reconnects: this.counters.reconnects,
      nextReconnectAt: this.reconnectTimer ? this.reconnectAt : undefined,
      delivered: this.counters.delivered,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] ?? 0 },
    };
  }

  // --- WebSocket -------------------------------------------------------------------------------

  private connect(): void {
    if (!this.running) return;
    this.wsState = 'connecting';
    this.welcomed = false;
    const ws: StreamSocket = this.options.connect({
      open: () => {
        if (this.ws !== ws) return;
        this.wsState = 'open';
        this.lastFrameAt = this.clock.now();
        const epoch = this.tracker.epoch;
        ws.send(
          encodeFrame({
            op: 'hello',
            ...(epoch === undefined ? {} : { resume: { epoch, seq: this.tracker.lastSeq } }),
            ...(this.options.topics ? { topics: [...this.options.topics] } : {}),
          }),
        );
      },
      message: (bytes) => {
        if (this.ws === ws) this.onWsMessage(bytes);
      },
      close: (code, reason) => {
        if (this.ws !== ws) return;
        this.ws = undefined;
        this.wsState = 'closed';
        this.breaker.failure(`closed (${code}${reason ? ` ${reason}` : ''})`);
        this.scheduleReconnect();
      },
      error: (message) => this.options.logger.debug({ err: message }, 'subscriber WebSocket error'),
    });
    this.ws = ws;
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return;
    const delay = this.backoff.next();
    this.counters.reconnects++;
    this.reconnectAt = this.clock.now() + delay;
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.reconnectAt = undefined;
      this.connect();
    }, delay);
  }

  private onWsMessage(data: Uint8Array): void {
    this.lastFrameAt = this.clock.now();
    let frames: unknown[];
    try {
      frames = decodeFrames(data);
    } catch {
      this.breaker.failure('undecodable frame');
      return;
    }
    for (const raw of frames) {
      const frame = parseServerFrame(raw);
      if (!frame) {
        this.breaker.failure('invalid frame');
        continue;
      }
      this.onServerFrame(frame);
    }
  }

  private onServerFrame(frame: ServerFrame): void {
    switch (frame.op) {
      case 'welcome':
        this.welcomed = true;
        this.head = frame.head;
        this.backoff.reset();
        this.breaker.success();
        if (frame.resumed) this.maybeBackOnWebSocket();
        return;
      case 'snapshot':
        // A standby tailing another epoch is of no use for this position.
        if (frame.epoch !== this.tracker.epoch) this.stopStandby();
        this.tracker.reset(frame.epoch, frame.seq);
        this.head = Math.max(this.head, frame.seq);
        this.replaying = undefined;
        this.openGap = undefined;
        this.options.onSnapshot?.(frame);
        this.maybeBackOnWebSocket();
        return;
      case 'hb':
        this.head = frame.head;
        this.breaker.success();
        if (this.tracker.epoch === undefined || frame.epoch !== this.tracker.epoch) return;
        // At the head, nothing after the position was published much before this heartbeat: the standby can tail from its time.
        if (frame.head === this.tracker.lastSeq) this.follow(frame.ts);
        if (frame.head > this.tracker.lastSeq && !this.replaying && !this.failedOver) this.gap(this.tracker.lastSeq + 1, frame.head);
        this.maybeBackOnWebSocket();
        return;
      case 'reset':
        this.options.logger.info({ reason: frame.reason }, 'stream position reset by the server');
        this.forgetPosition();
        this.options.onReset?.(frame.reason);
        // In the handshake a snapshot follows; later (a replay that cannot be served) rejoin for one.
        if (this.welcomed && this.wsState === 'open') this.rejoin();
        return;
      case 'error':
        this.options.logger.warn({ code: frame.code, message: frame.message }, 'stream server error');
        return;
      case 'data': {
        // Live frames only (past the head last announced): a resumed or replayed backlog is old by definition.
        const latency = frame.seq > this.head ? this.clock.now() - frame.ts : 0;
        if (latency > this.o.maxLatencyMs) {
          this.slowInARow++;
          if (this.slowInARow >= 3) {
            this.slowInARow = 0;
            this.breaker.trip(`latency over ${this.o.maxLatencyMs} ms for 3 messages in a row`);
          }
        } else {
          this.slowInARow = 0;
        }
        this.ingest([frame], 'websocket');
        this.replayAnswered(frame.seq);
        return;
      }
    }
  }

  /** Drops the WebSocket and connects again without a position (the server will send a snapshot). */
  private rejoin(): void {
    const ws = this.ws;
    this.ws = undefined;
    this.wsState = 'closed';
    ws?.close(1000, 'rejoin');
    this.connect();
  }

  // --- ordering and gaps ----------------------------------------------------------------------

  private ingest(frames: readonly DataFrame[], channel: 'websocket' | 'kafka'): void {
    for (const frame of frames) {
      const wanted = channel === 'websocket' || !this.filter || this.filter(frame.topic);
      for (const e of this.tracker.accept(frame, wanted)) {
        if (e.kind === 'deliver') {
          this.deliver(e.frame, channel);
        } else if (e.kind === 'gap') {
          // Kafka carries every seq: a hole in its own frames means the standby started after the position.
          if (channel === 'kafka') this.reaimStandby(e.from);
          this.gap(e.from, e.to);
        } else {
          this.options.logger.warn({ previous: e.previous, epoch: e.epoch, via: channel }, 'stream epoch changed: taking a fresh snapshot');
          this.forgetPosition();
          this.options.onReset?.('the stream was recreated (new epoch)');
          if (this.wsState === 'open') this.rejoin();
          return;
        }
      }
    }
    // Without a backup the replay is the only way to fill the gap; with one, it ends when the WebSocket answers it (replayAnswered).
    if (this.replaying && !this.options.backup && this.tracker.lastSeq >= this.replaying.to) this.endReplay();
    if (this.openGap && this.tracker.lastSeq >= this.openGap.to && this.tracker.missing() === undefined) {
      this.openGap = undefined;
      this.counters.gapsFilled++;
    }
    if (this.lastDeliveredTs > 0) this.follow(this.lastDeliveredTs);
    this.maybeBackOnWebSocket();
  }

  /** A data frame came over the WebSocket: within the replay in flight, the WebSocket is answering it (a copy Kafka already delivered counts too). */
  private replayAnswered(seq: number): void {
    const r = this.replaying;
    if (!r || !this.options.backup || seq < r.from || seq > r.to) return;
    this.replayHeardAt = this.clock.now();
    if (this.tracker.lastSeq >= r.to) this.endReplay();
  }

  private endReplay(): void {
    this.replaying = undefined;
    this.clock.clearTimer(this.replayTimer);
    const rest = this.tracker.missing();
    if (rest) this.gap(rest.from, rest.to);
  }

  /** The position is gone (a reset, a new epoch): the next snapshot sets it again, and the standby follows it then. */
  private forgetPosition(): void {
    this.tracker.clear();
    this.openGap = undefined;
    this.replaying = undefined;
    this.clock.clearTimer(this.replayTimer);
    this.stopStandby();
  }

  private deliver(frame: DataFrame, channel: 'websocket' | 'kafka'): void {
    // Without a backup every delivery comes over the WebSocket: it answers the replay in flight.
    if (this.replaying && !this.options.backup) this.replayHeardAt = this.clock.now();
    this.lastVia = channel;
    this.counters.delivered++;
    this.lastDeliveredTs = frame.ts;
    this.latencies[this.latencyCount++ % LATENCY_SAMPLES] = Math.max(0, this.clock.now() - frame.ts);
    this.options.onMessage(frame);
  }

  /**
   * Messages [from, to] are missing. They are replayed over the WebSocket (in pieces) when it is open;
   * with a backup, the standby brings them too, whichever is first, and a gap over maxReplayGap counts
   * as the WebSocket's failure (a failover). Without a backup a replay that fails reconnects, which
   * resumes from the position.
   */
  private gap(from: number, to: number): void {
    if (!this.openGap) this.counters.gapsDetected++;
    this.openGap = { to: Math.max(to, this.openGap?.to ?? 0) };
    if (this.options.backup) {
      this.follow(this.lastDeliveredTs || this.seekTsWithoutDelivery());
      if (to - from + 1 > this.o.maxReplayGap) {
        this.failover(`gap of ${to - from + 1} messages (${from}-${to})`);
        // A big gap is Kafka's to fill: asked of the WebSocket too, it would cross the wire twice just when the server struggles.
        if (this.options.backup.available()) return;
      }
    }
    if (this.replaying || this.wsState !== 'open' || !this.ws) return;
    const last = Math.min(to, from + MAX_REPLAY - 1);
    this.replaying = { from, to: last };
    this.replayHeardAt = this.clock.now();
    this.ws.send(encodeFrame({ op: 'replay', from, to: last }));
    this.watchReplay(this.replaying, this.o.replayTimeoutMs);
  }

  /** A replay fails once it has advanced nothing for replayTimeoutMs; a long one still arriving (chunked, paused at the 4 MiB mark) is left to finish. */
  private watchReplay(replay: { from: number; to: number }, ms: number): void {
    this.replayTimer = this.clock.setTimeout(() => {
      if (this.replaying !== replay) return;
      const silentMs = this.clock.now() - this.replayHeardAt;
      if (silentMs < this.o.replayTimeoutMs) {
        this.watchReplay(replay, this.o.replayTimeoutMs - silentMs);
        return;
      }
      this.replaying = undefined;
      this.breaker.failure('replay not answered');
      const reason = `replay of ${replay.from}-${replay.to} not answered within ${this.o.replayTimeoutMs} ms${this.tracker.lastSeq >= replay.from ? ` (stalled after seq ${this.tracker.lastSeq})` : ''}`;
      // A reconnect resumes from the position; with Kafka connected, it delivers meanwhile.
      if (this.options.backup?.available()) this.failover(reason);
      else this.reconnectNow(reason);
    }, ms);
  }

  /** Drops the WebSocket and connects again, resuming from the position. */
  private reconnectNow(reason: string): void {
    this.options.logger.warn({ reason }, 'stream subscriber reconnecting');
    const ws = this.ws;
    this.ws = undefined;
    this.wsState = 'closed';
    ws?.abort();
    this.scheduleReconnect();
  }

  // --- Kafka ----------------------------------------------------------------------------------

  /** The triggers declared the WebSocket failed: counted once until it is back. Delivery does not wait for this: the standby is already tailing. */
  private failover(reason: string): void {
    if (!this.options.backup || this.failedOver || this.tracker.epoch === undefined) return;
    this.failedOver = true;
    this.counters.failovers++;
    this.options.logger.warn({ reason, from: this.tracker.lastSeq + 1, standby: this.standby }, 'subscriber failing over to Kafka');
    this.follow(this.lastDeliveredTs || this.seekTsWithoutDelivery());
  }

  /**
   * Starts the hot standby once there is a position: the backup seeks once, near `ts` (a publish time
   * at or before the first message after the position), then tails; a switch needs no seek and no
   * connect. Retried (at most once a second) while the backup cannot seek.
   */
  private follow(ts: number): void {
    const backup = this.options.backup;
    const epoch = this.tracker.epoch;
    if (!backup || !this.running || this.standby !== 'off' || epoch === undefined || this.clock.now() < this.standbyRetryAt) return;
    const session = ++this.standbySession;
    this.standby = 'aiming';
    const from = { epoch, seq: this.tracker.lastSeq, ts };
    backup
      .readFrom(
        from,
        (frames) => {
          if (session === this.standbySession) this.ingest(frames, 'kafka');
        },
        () => this.tracker.lastSeq,
      )
      .then(
        () => {
          if (session !== this.standbySession) return;
          this.standby = 'on';
          this.options.logger.info({ from: from.seq }, 'Kafka standby tailing the stream');
        },
        (err: unknown) => {
          if (session !== this.standbySession) return;
          this.standby = 'off';
          this.standbyRetryAt = this.clock.now() + 1_000;
          this.options.logger.error({ err: (err as Error).message }, 'Kafka standby cannot start');
        },
      );
  }

  /** The standby's read began past the position (aimed by a heartbeat's time on a connection that was behind): read again from before it. */
  private reaimStandby(missingFrom: number): void {
    if (this.standby !== 'on' || this.clock.now() < this.standbyRetryAt) return;
    this.options.logger.warn({ missingFrom }, 'Kafka standby started after the position; reading again from before it');
    this.stopStandby();
    this.standbyRetryAt = 0;
    this.follow(this.lastDeliveredTs || this.seekTsWithoutDelivery());
    // At most once a second: a topic that truly lacks those messages is not re-read in a loop.
    this.standbyRetryAt = this.clock.now() + 1_000;
  }

  private stopStandby(): void {
    if (this.standby === 'off') return;
    this.standby = 'off';
    this.standbySession++;
    this.standbyRetryAt = 0;
    this.options.backup?.pause();
  }

  /** Where Kafka is read from before anything was delivered: a resumed position's time (or Kafka's start), else the last minute. */
  private seekTsWithoutDelivery(): number {
    const resume = this.options.resume;
    if (resume && resume.epoch === this.tracker.epoch && resume.seq === this.tracker.lastSeq) return resume.ts ?? 0;
    return this.clock.now() - 60_000;
  }

  /** The WebSocket is the primary again once it is open, healthy and has everything up to the head (the standby keeps tailing). */
  private maybeBackOnWebSocket(): void {
    if (!this.failedOver || this.wsState !== 'open' || this.breaker.state !== 'closed') return;
    if (this.tracker.missing() !== undefined || this.tracker.lastSeq < this.head) return;
    this.failedOver = false;
    this.options.logger.info({ lastSeq: this.tracker.lastSeq }, 'subscriber back on the WebSocket');
  }

  /** Missed heartbeats: a stalled or silently dead connection. */
  private watch(): void {
    // Without the WebSocket the standby is all there is: keep trying to start it (a backup that was down).
    if (this.failedOver || this.wsState !== 'open') this.follow(this.lastDeliveredTs || this.seekTsWithoutDelivery());
    if (this.wsState !== 'open' || !this.ws) return;
    const silent = this.clock.now() - this.lastFrameAt;
    if (silent > 3 * this.o.heartbeatMs) {
      const reason = `no frame for ${silent} ms (3 heartbeats missed)`;
      this.breaker.trip(reason);
      this.reconnectNow(reason);
    }
  }
}
