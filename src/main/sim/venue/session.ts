// One client connection: handshake and version negotiation, START_API, IB's message pacing, and the
// outgoing queue through which the fault injector stalls or delays what the client receives.
import type { Socket } from 'node:net';
import type { Logger } from '../../ops';
import { MAX_SERVER_VERSION, MIN_CLIENT_VERSION, NO_ID } from '../protocol/constants';
import { ERR, TEXT } from '../protocol/errors';
import { encodeFrame, FrameDecoder, type ProtocolError } from '../protocol/framing';
import { errorMessage } from '../protocol/outgoing';

/** Market data may be dropped when a connection stalls; everything else waits for it to recover. */
export type MessageKind = 'market-data' | 'other';

export interface SessionHost {
  readonly logger: Logger;
  /** "YYYYMMDD HH:mm:ss zone", sent in the handshake. */
  connectionTime(): string;
  /** Real (not simulated) milliseconds, for pacing: message rates are a property of the wire. */
  wallNow(): number;
  readonly maxMessagesPerSecond: number;
  /** True while the venue has changes not yet saved: what the session would send waits for release(). */
  outputHeld(): boolean;
  /** True while the venue cannot save: market data is dropped rather than piled up behind what waits. */
  dropsMarketData(): boolean;
  /** START_API: returns false when the client id is taken (the session answers 326 and closes). */
  onStart(session: ClientSession): boolean;
  onMessage(session: ClientSession, fields: string[]): void;
  onClose(session: ClientSession): void;
}

/** A client flooding past the limit this often in PACING_WINDOW_MS is disconnected, as TWS eventually does. */
const PACING_DISCONNECT_VIOLATIONS = 100;
const PACING_WINDOW_MS = 5_000;
/** A client that stops reading is cut off before its backlog eats the simulator's memory. */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

let nextSessionId = 1;

export class ClientSession {
  readonly id = nextSessionId++;
  /** The negotiated server version (0 before the handshake). */
  version = 0;
  clientId: number | undefined;

  private readonly decoder = new FrameDecoder();
  private readonly recent: number[] = [];
  private readonly violations: number[] = [];
  private pending: Buffer[] = [];
  private flushScheduled = false;
  private stalled = false;
  private held: Buffer[] = [];
  private latencyMs = 0;
  private delayed: { due: number; frame: Buffer }[] = [];
  private delayTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** end() came while output was held: the socket ends once what waited has gone out. */
  private ending = false;

  constructor(
    readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => host.logger.debug({ session: this.id, err }, 'sim client socket error'));
    socket.on('close', () => this.onSocketClose());
  }

  get started(): boolean {
    return this.clientId !== undefined;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(fields: readonly string[], kind: MessageKind = 'other'): void {
    if (this.closed) return;
    if (kind === 'market-data' && this.host.dropsMarketData()) return;
    if (this.stalled) {
      if (kind === 'other') this.held.push(encodeFrame(fields));
      return;
    }
    const frame = encodeFrame(fields);
    if (this.latencyMs > 0) {
      this.delayed.push({ due: this.host.wallNow() + this.latencyMs, frame });
      this.scheduleDelayed();
      return;
    }
    this.enqueue(frame);
  }

  error(id: number, code: number, text: string): void {
    this.send(errorMessage(this.version, id, code, text));
  }

  /** Stop sending without closing (a dead feed); on resume, held non-market-data messages go out in order. */
  setStalled(stalled: boolean): void {
    this.stalled = stalled;
    if (!stalled) {
      const held = this.held;
      this.held = [];
      for (const frame of held) this.enqueue(frame);
    }
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /** Closes after what is queued has been written. */
  end(): void {
    if (this.closed) return;
    this.ending = true;
    this.flush();
    if (!this.host.outputHeld()) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private enqueue(frame: Buffer): void {
    this.pending.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The venue saved: what waited for it goes out now, in order. */
  release(): void {
    this.flush();
    if (this.ending && !this.closed) this.socket.end();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.closed || this.host.outputHeld()) return;
    const batch = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.socket.write(batch);
    if (this.socket.writableLength > MAX_BACKLOG_BYTES) {
      this.host.logger.warn({ session: this.id, clientId: this.clientId, backlog: this.socket.writableLength }, 'sim client is not reading; disconnecting');
      this.socket.destroy();
    }
  }

  private scheduleDelayed(): void {
    if (this.delayTimer) return;
    const first = this.delayed[0];
    if (!first) return;
    this.delayTimer = setTimeout(
      () => {
        this.delayTimer = undefined;
        const now = this.host.wallNow();
        while (this.delayed.length > 0 && (this.delayed[0] as { due: number }).due <= now) {
          this.enqueue((this.delayed.shift() as { frame: Buffer }).frame);
        }
        this.scheduleDelayed();
      },
      Math.max(0, first.due - this.host.wallNow()),
    );
  }

  private onData(chunk: Buffer): void {
    let inbound;
    try {
      inbound = this.decoder.push(chunk);
    } catch (err) {
      this.host.logger.info({ session: this.id, err: (err as ProtocolError).message }, 'sim closing a connection that does not speak the API');
      this.socket.destroy();
      return;
    }
    for (const item of inbound) {
      if (this.closed) return;
      if (item.kind === 'hello') {
        this.negotiate(item.minVersion, item.maxVersion);
        continue;
      }
      if (this.version === 0 || !this.admit()) continue;
      this.host.onMessage(this, item.fields);
    }
  }

  private negotiate(min: number, max: number): void {
    if (max < MIN_CLIENT_VERSION || min > MAX_SERVER_VERSION) {
      this.host.logger.info({ session: this.id, min, max }, 'sim refusing a client whose API versions it does not speak');
      this.socket.destroy();
      return;
    }
    this.version = Math.min(max, MAX_SERVER_VERSION);
    this.enqueue(encodeFrame([String(this.version), this.host.connectionTime()]));
  }

  /** IB's pacing: at most `maxMessagesPerSecond` messages in any second; the excess is refused with error 100. */
  private admit(): boolean {
    const now = this.host.wallNow();
    const limit = this.host.maxMessagesPerSecond;
    if (this.recent.length >= limit && now - (this.recent[this.recent.length - limit] as number) < 1000) {
      this.error(NO_ID, ERR.PACING, TEXT.pacing(this.recent.filter((t) => now - t < 1000).length + 1));
      this.violations.push(now);
      while (this.violations.length > 0 && now - (this.violations[0] as number) > PACING_WINDOW_MS) this.violations.shift();
      if (this.violations.length >= PACING_DISCONNECT_VIOLATIONS) {
        this.host.logger.warn({ session: this.id, clientId: this.clientId }, 'sim disconnecting a client that keeps exceeding the message rate');
        this.end();
      }
      return false;
    }
    this.recent.push(now);
    if (this.recent.length > limit * 2) this.recent.splice(0, this.recent.length - limit);
    return true;
  }

  /** Called by the host when START_API arrives. */
  start(clientId: number): void {
    this.clientId = clientId;
    if (!this.host.onStart(this)) {
      const taken = clientId;
      this.clientId = undefined;
      this.error(NO_ID, ERR.CLIENT_ID_IN_USE, TEXT.clientIdInUse);
      this.host.logger.info({ session: this.id, clientId: taken }, 'sim client id already in use');
      this.end();
    }
  }

  private onSocketClose(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.delayTimer);
    this.pending = [];
    this.held = [];
    this.delayed = [];
    this.host.onClose(this);
  }
}
