// The connection to TWS/IB Gateway: a fixed client id, its own reconnect loop with backoff, a keepalive
// that probes a silent connection and drops a dead one, and IB's connectivity messages (the order
// channel lost and restored, data farms down and back) as state.
import { EventName, IBApi } from '@stoqey/ib';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import type { Backoff, ConnectionState, VenueAlert } from '../../shared';
import { VenueError } from '../venue';
import { CONNECTIVITY, fromIbError } from './errors';
import type { VenueMetrics } from './metrics';
import type { Pacer } from './pacer';

const STABLE_CONNECTION_MS = 10_000; // a connection that lasted this long resets the backoff

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly connectTimeoutMs: number;
  /** Silence after which the connection is probed with reqCurrentTime, and how long the probe may take. */
  readonly keepAliveMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: VenueMetrics;
  readonly pacer: Pacer;
  readonly backoff: Backoff;
}

/** What the adapter does when the connection changes. */
export interface ConnectionListener {
  /** A new IBApi: register the answer and data events. */
  listen(ib: IBApi): void;
  nextValidId(id: number): void;
  /** An error of IB's that is not about the connection itself. */
  error(code: number, reqId: number, text: string): void;
  /** Connected and ready (nextValidId came): restore feeds, re-read the venue. */
  connected(): void;
  /** The connection is gone: everything tied to it is dropped (the pacer is already cleared). */
  dropped(reason: string): void;
  /** IB's order channel went down (1100, 2110); then back, with market data kept or lost (1101, 1102). */
  channelLost(): void;
  channelRestored(code: number): void;
  alert(alert: VenueAlert): void;
  /** Anything the status shows changed. */
  changed(): void;
}

export class Connection {
  private isRunning = false;
  private current: IBApi | undefined;
  private generation = 0;
  private isReady = false;
  private everConnected = false;
  private connectedAt = 0;
  private channelLost = false;
  private readonly brokenFarms = new Set<string>();
  private managed: string[] = [];
  private attemptAt: number | undefined;
  /** Failed attempts since the last successful connection (the backoff itself resets only after a stable one). */
  private failed = 0;
  private error: string | undefined;
  private sleepTimer: TimerHandle | undefined;
  private wake: (() => void) | undefined;
  private connectionClosed: (() => void) | undefined;
  private keepAliveTimer: TimerHandle | undefined;
  private lastReceivedAt = 0;
  private probeSentAt: number | undefined;
  private readonly log: Logger;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly listener: ConnectionListener,
  ) {
    this.log = options.logger;
  }

  get running(): boolean {
    return this.isRunning;
  }

  /** The IBApi of the current connection attempt or connection. */
  get ib(): IBApi | undefined {
    return this.current;
  }

  /** Connected: the venue sent nextValidId on this connection. */
  get ready(): boolean {
    return this.isReady;
  }

  get orderChannelLost(): boolean {
    return this.channelLost;
  }

  /** Whether market data should be flowing (no data farm down). */
  get dataExpected(): boolean {
    return this.brokenFarms.size === 0;
  }

  /** The accounts this login manages, as IB said on this connection. */
  get accounts(): readonly string[] {
    return this.managed;
  }

  get failures(): number {
    return this.failed;
  }

  get nextAttemptAt(): number | undefined {
    return this.attemptAt;
  }

  get lastError(): string | undefined {
    return this.error;
  }

  get state(): ConnectionState {
    if (!this.isRunning) return 'disconnected';
    if (!this.isReady) return this.everConnected ? 'lost' : 'connecting';
    if (this.channelLost) return 'lost';
    return this.brokenFarms.size > 0 ? 'degraded-data' : 'connected';
  }

  start(): void {
    this.isRunning = true;
    this.listener.changed();
    void this.loop();
  }

  stop(): void {
    this.isRunning = false;
    this.options.clock.clearTimer(this.sleepTimer);
    this.wake?.();
    const ib = this.current;
    this.drop('stopped');
    ib?.disconnect();
    this.listener.changed();
  }

  private async loop(): Promise<void> {
    while (this.isRunning) {
      try {
        await this.connectOnce();
      } catch (err) {
        if (!this.isRunning) return;
        this.error = (err as Error).message;
        this.failed++;
        this.options.metrics.reconnectAttempts.inc();
        await this.backoffSleep();
        continue;
      }
      this.options.metrics.connects.inc();
      this.failed = 0;
      const closed = new Promise<void>((resolve) => (this.connectionClosed = resolve));
      this.startKeepAlive();
      this.listener.connected();
      await closed;
      if (!this.isRunning) return;
      if (this.options.clock.now() - this.connectedAt >= STABLE_CONNECTION_MS) this.options.backoff.reset();
      await this.backoffSleep();
    }
  }

  private async backoffSleep(): Promise<void> {
    const delay = this.options.backoff.next();
    this.attemptAt = this.options.clock.now() + delay;
    this.log.info({ attempt: this.options.backoff.attempts, delayMs: Math.round(delay), lastError: this.error }, 'venue reconnect scheduled');
    this.listener.changed();
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.sleepTimer = this.options.clock.setTimeout(resolve, delay);
    });
    this.wake = undefined;
    this.attemptAt = undefined;
  }

  /** One connection attempt with a fresh IBApi; resolves once the venue sent nextValidId. */
  private connectOnce(): Promise<void> {
    const generation = ++this.generation;
    const ib = new IBApi({ host: this.options.host, port: this.options.port, maxReqPerSec: 1_000 });
    this.current = ib;
    this.managed = [];
    this.listener.changed();
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = this.options.clock.setTimeout(
        () => fail(new VenueError('connect-failed', `No answer from ${this.options.host}:${this.options.port} within ${this.options.connectTimeoutMs} ms.`)),
        this.options.connectTimeoutMs,
      );
      const fail = (err: VenueError) => {
        if (settled) return;
        settled = true;
        this.options.clock.clearTimer(timer);
        if (this.current === ib) this.current = undefined;
        silence(ib);
        reject(err);
      };
      const succeed = () => {
        if (settled) return;
        settled = true;
        this.options.clock.clearTimer(timer);
        resolve();
      };
      this.bind(ib, generation, succeed, fail);
      this.listener.listen(ib);
      ib.connect(this.options.clientId);
    });
  }

  private bind(ib: IBApi, generation: number, ready: () => void, fail: (err: VenueError) => void): void {
    const current = () => generation === this.generation && this.current === ib;
    ib.on(EventName.received, () => {
      this.lastReceivedAt = this.options.clock.now();
      this.probeSentAt = undefined;
    });
    ib.on(EventName.managedAccounts, (list: string) => {
      if (!current()) return;
      this.managed = list
        .split(',')
        .map((a) => a.trim())
        .filter((a) => a !== '');
    });
    ib.on(EventName.nextValidId, (id: number) => {
      if (!current()) return;
      this.listener.nextValidId(id);
      if (!this.isReady) {
        this.isReady = true;
        this.connectedAt = this.options.clock.now();
        this.lastReceivedAt = this.connectedAt;
        this.everConnected = true;
        this.channelLost = false;
        this.brokenFarms.clear();
        this.error = undefined;
        ready();
      }
    });
    ib.on(EventName.disconnected, () => {
      if (!current()) return;
      if (!this.isReady) fail(new VenueError('connect-failed', `TWS/IB Gateway at ${this.options.host}:${this.options.port} closed the connection.`));
      else this.drop('the connection to TWS/IB Gateway closed');
    });
    ib.on(EventName.error, (err: Error, code: number, reqId: number) => {
      if (!current()) return;
      if (!this.isReady && (code === 502 || code === 326)) {
        fail(fromIbError(code, err.message));
        return;
      }
      this.listener.error(code, reqId, err.message);
    });
    ib.on(EventName.info, (message: string, code: number) => {
      if (!current()) return;
      if (code === 326) {
        fail(fromIbError(code, message));
        return;
      }
      this.onInfo(code, message);
    });
    ib.on(EventName.currentTime, () => undefined);
  }

  /** The connection is gone (closed, stopped or found dead): everything tied to it is dropped. */
  private drop(reason: string): void {
    const wasReady = this.isReady;
    this.isReady = false;
    this.current = undefined;
    this.generation++;
    this.options.clock.clearTimer(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    this.probeSentAt = undefined;
    this.options.pacer.clear(`venue disconnected: ${reason}`);
    this.listener.dropped(reason);
    if (wasReady) {
      this.error = reason;
      this.log.warn({ reason }, 'venue connection lost');
    }
    this.listener.changed();
    this.connectionClosed?.();
    this.connectionClosed = undefined;
  }

  private startKeepAlive(): void {
    const tick = () => {
      const ib = this.current;
      if (!ib || !this.isReady) return;
      const now = this.options.clock.now();
      if (this.probeSentAt !== undefined && now - this.probeSentAt > this.options.keepAliveTimeoutMs) {
        this.log.warn({ silentMs: now - this.lastReceivedAt }, 'venue does not answer; dropping the connection to reconnect');
        this.drop('the venue stopped answering');
        silence(ib);
        return;
      }
      if (this.probeSentAt === undefined && now - this.lastReceivedAt > this.options.keepAliveMs) {
        this.options.pacer
          .send('cancel', () => ib.reqCurrentTime())
          .then(
            () => (this.probeSentAt ??= this.options.clock.now()),
            () => undefined,
          );
      }
    };
    this.keepAliveTimer = this.options.clock.setInterval(tick, Math.max(100, Math.min(this.options.keepAliveMs, this.options.keepAliveTimeoutMs) / 4));
  }

  private onInfo(code: number, message: string): void {
    if (code === CONNECTIVITY.LOST || code === CONNECTIVITY.TWS_SERVER_LINK_BROKEN) {
      this.channelLost = true;
      this.listener.channelLost();
      this.log.warn({ code, message }, 'IB connectivity lost');
      this.listener.alert({ kind: 'connectivity', code, message });
      this.listener.changed();
      return;
    }
    if (code === CONNECTIVITY.RESTORED_DATA_LOST || code === CONNECTIVITY.RESTORED_DATA_KEPT) {
      this.channelLost = false;
      this.log.info({ code, message }, 'IB connectivity restored');
      this.listener.alert({ kind: 'connectivity', code, message });
      this.listener.channelRestored(code);
      return;
    }
    const farm = message.split(':').pop() ?? String(code);
    if ((CONNECTIVITY.FARM_BROKEN as readonly number[]).includes(code)) {
      this.brokenFarms.add(farm);
      this.listener.alert({ kind: 'connectivity', code, message });
      this.listener.changed();
      return;
    }
    if ((CONNECTIVITY.FARM_OK as readonly number[]).includes(code)) {
      if (this.brokenFarms.delete(farm) || this.brokenFarms.size > 0) this.listener.alert({ kind: 'connectivity', code, message });
      this.listener.changed();
      return;
    }
    this.options.metrics.errors.inc({ code: String(code) });
    this.log.info({ code, message }, 'IB message');
  }
}

/** Closes an IBApi whose events no longer matter (its late errors included). */
function silence(ib: IBApi): void {
  ib.removeAllListeners();
  ib.on(EventName.error, () => undefined);
  ib.disconnect();
}
