// The kill switch: HALT → cancel every working order → flatten every position with reduce-only market
// orders → verify flat against the venue → stay latched until the trader re-arms. Exits are computed
// only once every cancel is confirmed, from the venue's own positions, so an exit and a resting order
// can never both fill and leave a position reversed; a position that changes anyway is corrected by
// the verification pass, again reduce-only. It fails closed: flat only when the venue's positions, read
// after the exits, are flat; otherwise it stays pending and runs again by itself at the venue's next
// resync (and every retryMs while the venue cannot be read), until flat is verified. A pending one is kept
// in the mode's database: after a restart it halts again and carries on at the venue's first resync.
import { DeskCommandError, type Instrument, type KillSwitchPhase, type KillSwitchProgress, type KillSwitchReport, type Order, type OrderSide } from '../../shared';

export type { KillSwitchReport } from '../../shared';
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import type { KillSwitchRepository } from '../store';
import type { ContractPort, OrderPort, PositionPort, VenuePosition } from '../venue';
import type { ExecutionEngine } from './engine';

export interface KillSwitchControl {
  /** HALTED, latched (only the trader's re-arm lifts it). */
  halt(reason: string): void;
}

export type KillSwitchVenue = Pick<OrderPort, 'cancelAll'> & PositionPort & ContractPort;

type Holding = KillSwitchReport['remaining'][number];

export interface KillSwitchOptions {
  readonly engine: ExecutionEngine;
  readonly venue: KillSwitchVenue;
  readonly control: KillSwitchControl;
  readonly clock: Clock;
  readonly logger: Logger;
  /** What DualDesk last knew it held: named while the venue cannot be read (default: nothing known). */
  readonly held?: () => readonly Holding[];
  /** Each step, for the stream and the UI. */
  readonly onProgress?: (progress: KillSwitchProgress) => void;
  /** Where a kill switch not yet verified flat is kept across restarts (default: in memory only). */
  readonly memory?: Pick<KillSwitchRepository, 'unfinished' | 'save' | 'clear'>;
  /** Each time the venue's positions were read, before exits are computed from them. */
  readonly onPositionsRead?: () => void;
  /** Each run's outcome, the trigger's and those it carried on with by itself. */
  readonly onReport?: (report: KillSwitchReport) => void;
  /** How long to wait for cancels and exits to be confirmed (default 15 s). */
  readonly confirmTimeoutMs?: number;
  /** Verification passes before giving up (default 3). */
  readonly maxPasses?: number;
  /** While the venue cannot be read, try again this often besides at its next resync (default 5 s). */
  readonly retryMs?: number;
}

/** The venue's positions could not be read: never taken as flat. */
const UNREAD = Symbol('unread');
const NOT_READ = 'positions not read from the venue';

export class KillSwitch {
  private running: Promise<KillSwitchReport> | undefined;
  /** Not yet verified flat: the reason it was triggered, when, and how many runs so far. */
  private unfinished: { reason: string; startedAt: number; attempts: number } | undefined;
  private retry: TimerHandle | undefined;
  /** The core stopped: a run still in flight neither publishes nor schedules anything more. */
  private closed = false;
  constructor(private readonly options: KillSwitchOptions) {
    const kept = options.memory?.unfinished();
    if (!kept) return;
    // Stopped before flat was verified: halted again (fail closed), carried on at the venue's first resync.
    this.unfinished = { ...kept };
    options.control.halt(`Kill switch: ${kept.reason}`);
    options.logger.error(
      { reason: kept.reason, startedAt: kept.startedAt, attempts: kept.attempts },
      'kill switch: not verified flat before the last stop; carrying on once the venue is read',
    );
    options.onProgress?.({
      phase: 'waiting-for-venue',
      reason: kept.reason,
      message: 'kill switch: not verified flat before the restart; carrying on once the venue is read',
      remaining: [],
      attempt: kept.attempts,
      at: options.clock.now(),
    });
  }

  /** True from the trigger until flat is verified at the venue. */
  get pending(): boolean {
    return this.unfinished !== undefined;
  }

  /** Runs it (a second trigger while it runs joins the first). */
  trigger(reason: string): Promise<KillSwitchReport> {
    if (this.running) return this.running;
    if (this.closed) throw new DeskCommandError('no-venue', 'The trading core is stopping.');
    this.options.control.halt(`Kill switch: ${reason}`);
    this.unfinished = { reason, startedAt: this.options.clock.now(), attempts: 0 };
    return this.start();
  }

  /** A resync's step: an unfinished run carries on, after every step of the resync (reconciliation too): exits need a reconciled journal. */
  resynced(): void {
    if (this.unfinished && !this.running) queueMicrotask(() => void this.carryOn());
  }

  /** Stops carrying on (the core is closing); one still pending stays in the memory for the next start. */
  close(): void {
    this.closed = true;
    this.options.clock.clearTimer(this.retry);
  }

  private carryOn(): void {
    if (this.unfinished && !this.running && !this.closed) void this.start().catch((err: unknown) => this.options.logger.error({ err }, 'kill switch: a run failed'));
  }

  private start(): Promise<KillSwitchReport> {
    this.options.clock.clearTimer(this.retry);
    const run = this.unfinished as { reason: string; startedAt: number; attempts: number };
    run.attempts++;
    this.remember(run);
    this.running = this.run(run.reason, run.attempts).finally(() => (this.running = undefined));
    return this.running;
  }

  /** Kept until flat is verified; a database that cannot be written costs the restart's memory, never the run. */
  private remember(run: { reason: string; startedAt: number; attempts: number } | undefined): void {
    try {
      if (run) this.options.memory?.save(run);
      else this.options.memory?.clear();
    } catch (err) {
      this.options.logger.error({ err }, 'kill switch: its pending state could not be written to the database');
    }
  }

  private async run(reason: string, attempt: number): Promise<KillSwitchReport> {
    const { engine, venue, clock, logger } = this.options;
    const timeout = this.options.confirmTimeoutMs ?? 15_000;
    const startedAt = clock.now();
    const problems: string[] = [];
    const progress = (phase: KillSwitchPhase, message: string, remaining: readonly Holding[]) =>
      !this.closed && this.options.onProgress?.({ phase, reason, message: `kill switch: ${message}`, remaining, attempt, at: clock.now() });
    logger.warn({ reason, attempt }, 'kill switch: halted; cancelling every working order');
    progress('cancelling', 'halted; cancelling every working order', this.held());

    // 1. Cancel: DualDesk's orders one by one (journaled), then the venue-wide global cancel for anything else.
    const cancelled = await engine.cancelAll();
    if (this.closed) return this.abandoned(reason, startedAt, cancelled, [], problems);
    try {
      await venue.cancelAll();
    } catch (err) {
      problems.push(`global cancel not sent: ${(err as Error).message}`);
    }
    try {
      await engine.whenNoneWorking(timeout);
    } catch (err) {
      problems.push(`cancels not confirmed: ${(err as Error).message}`);
    }

    // 2–3. Flatten from the venue's positions, then verify; repeat for what a late fill changed.
    const exits: Order[] = [];
    const passes = this.options.maxPasses ?? 3;
    for (let pass = 1; pass <= passes; pass++) {
      const open = await this.openPositions(problems);
      if (this.closed) return this.abandoned(reason, startedAt, cancelled, exits, problems);
      if (open === UNREAD) break;
      this.options.onPositionsRead?.();
      // Instruments whose orders are still working are left alone: an exit could race them.
      const stillWorking = new Set(engine.workingOrders().map((o) => o.conId));
      const flattenable = open.filter((p) => !stillWorking.has(p.conId));
      if (flattenable.length === 0) break;
      progress('flattening', `sending ${flattenable.length} exit(s): ${describe(flattenable)}`, flattenable.map(holding));
      const placed = await Promise.allSettled(flattenable.map((p) => this.exit(p)));
      for (const [i, r] of placed.entries()) {
        if (r.status === 'fulfilled') exits.push(r.value);
        else problems.push(`exit for ${flattenable[i]?.symbol ?? '?'} not sent: ${(r.reason as Error).message}`);
      }
      try {
        await engine.whenNoneWorking(timeout, (o) => o.reduceOnly);
      } catch (err) {
        problems.push(`exits not confirmed: ${(err as Error).message}`);
      }
      if (this.closed) return this.abandoned(reason, startedAt, cancelled, exits, problems);
      progress('verifying', 'verifying flat at the venue', flattenable.map(holding));
    }
    const read = await this.openPositions(problems);
    if (this.closed) return this.abandoned(reason, startedAt, cancelled, exits, problems);
    const venueWasAway = read === UNREAD || problems.some((p) => p.startsWith(NOT_READ));
    // Fail closed: positions that could not be read are not flat; DualDesk's last known holdings stand for them.
    const remaining = read === UNREAD ? this.held() : read.map(holding);
    const flat = read !== UNREAD && read.length === 0;
    const report: KillSwitchReport = {
      reason,
      startedAt,
      finishedAt: clock.now(),
      cancelled,
      exits: exits.map((e) => engine.order(e.id) ?? e),
      remaining,
      flat,
      problems,
      continuing: !flat,
    };
    if (flat) {
      this.unfinished = undefined;
      this.remember(undefined);
      logger.warn({ exits: exits.length, cancelled, attempt }, 'kill switch: flat (verified at the venue) and halted (latched until re-armed)');
      progress('flat', 'flat, verified at the venue; halted until re-armed', []);
    } else if (read === UNREAD) {
      logger.error({ remaining, problems, attempt }, 'kill switch: NOT flat: the venue cannot be read; carrying on when it is back');
      progress('waiting-for-venue', `waiting for the venue — ${remaining.length > 0 ? `${describe(remaining)} still held` : 'flat not yet verified'}`, remaining);
    } else {
      logger.error({ remaining, problems, attempt }, "kill switch: NOT flat; trying again at the venue's next resync");
      progress('not-flat', `NOT flat — ${describe(remaining)} still held at the venue; trying again at its next resync`, remaining);
    }
    // The venue may be back by now without a resync of its own to wake us: try again shortly.
    if (!flat && venueWasAway) this.retry = clock.setTimeout(() => this.carryOn(), this.options.retryMs ?? 5_000);
    this.options.onReport?.(report);
    return report;
  }

  /** The core stopped mid-run: the answer says so, nothing more is published or scheduled; the next start carries on. */
  private abandoned(reason: string, startedAt: number, cancelled: number, exits: readonly Order[], problems: string[]): KillSwitchReport {
    this.options.logger.warn({ reason }, 'kill switch: stopped with the trading core before flat was verified; the next start carries on');
    return {
      reason,
      startedAt,
      finishedAt: this.options.clock.now(),
      cancelled,
      exits: exits.map((e) => this.options.engine.order(e.id) ?? e),
      remaining: this.held(),
      flat: false,
      problems: [...problems, 'the trading core stopped before flat was verified: it carries on at the next start'],
      continuing: true,
    };
  }

  private held(): Holding[] {
    return (this.options.held?.() ?? []).filter((p) => Math.abs(p.quantity) > 1e-9).map((p) => ({ conId: p.conId, symbol: p.symbol, quantity: p.quantity }));
  }

  /** The venue's open positions, or UNREAD (with the reason in problems): an exception is never an empty list. */
  private async openPositions(problems: string[]): Promise<VenuePosition[] | typeof UNREAD> {
    try {
      const snapshot = await this.options.venue.resync();
      return snapshot.positions.filter((p) => Math.abs(p.quantity) > 1e-9);
    } catch (err) {
      problems.push(`${NOT_READ}: ${(err as Error).message}`);
      return UNREAD;
    }
  }

  /** One reduce-only market order taking the position to zero. */
  private async exit(p: VenuePosition): Promise<Order> {
    let instrument: Instrument;
    try {
      instrument = await this.options.venue.resolve({ conId: p.conId, symbol: p.symbol, secType: p.secType as Instrument['secType'] });
    } catch (err) {
      throw new DeskCommandError('unknown-instrument', `cannot resolve ${p.symbol} (${p.conId}): ${(err as Error).message}`);
    }
    const side: OrderSide = p.quantity > 0 ? 'SELL' : 'BUY';
    return this.options.engine.placeResolved(
      { instrument: { symbol: instrument.symbol, secType: instrument.secType, conId: instrument.conId }, side, quantity: Math.abs(p.quantity), type: 'MKT', tif: 'DAY' },
      instrument,
      { reduceOnly: true, bypassGate: true },
    );
  }
}

function holding(p: Holding): Holding {
  return { conId: p.conId, symbol: p.symbol, quantity: p.quantity };
}

/** '10 AAPL, -5 SPY' */
function describe(positions: readonly Holding[]): string {
  return positions.map((p) => `${p.quantity} ${p.symbol}`).join(', ');
}
