// The kill switch: HALT → cancel every working order → flatten every position with reduce-only market
// orders → verify flat against the venue → stay latched until the trader re-arms. Exits are computed
// only once every cancel is confirmed, from the venue's own positions, so an exit and a resting order
// can never both fill and leave a position reversed; a position that changes anyway is corrected by
// the verification pass, again reduce-only.
import { DeskCommandError, type Instrument, type KillSwitchReport, type Order, type OrderSide } from '../../shared';

export type { KillSwitchReport } from '../../shared';
import type { Clock } from '../clock';
import type { IbAdapter, VenuePosition } from '../ib';
import type { Logger } from '../ops';
import type { ExecutionEngine } from './engine';

export interface KillSwitchControl {
  /** HALTED, latched (only the trader's re-arm lifts it). */
  halt(reason: string): void;
}

export type KillSwitchVenue = Pick<IbAdapter, 'cancelAll' | 'resync' | 'resolve'>;

export interface KillSwitchOptions {
  readonly engine: ExecutionEngine;
  readonly venue: KillSwitchVenue;
  readonly control: KillSwitchControl;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long to wait for cancels and exits to be confirmed (default 15 s). */
  readonly confirmTimeoutMs?: number;
  /** Verification passes before giving up (default 3). */
  readonly maxPasses?: number;
}


export class KillSwitch {
  private running: Promise<KillSwitchReport> | undefined;

  constructor(private readonly o: KillSwitchOptions) {}

  /** Runs it (a second trigger while it runs joins the first). */
  trigger(reason: string): Promise<KillSwitchReport> {
    this.running ??= this.run(reason).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(reason: string): Promise<KillSwitchReport> {
    const { engine, venue, control, clock, logger } = this.o;
    const timeout = this.o.confirmTimeoutMs ?? 15_000;
    const startedAt = clock.now();
    const problems: string[] = [];
    control.halt(`Kill switch: ${reason}`);
    logger.warn({ reason }, 'kill switch: halted; cancelling every working order');

    // 1. Cancel: DualDesk's orders one by one (journaled), then the venue-wide global cancel for anything else.
    const cancelled = await engine.cancelAll();
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
    const passes = this.o.maxPasses ?? 3;
    for (let pass = 1; pass <= passes; pass++) {
      const open = await this.openPositions(problems);
      // Instruments whose orders are still working are left alone: an exit could race them.
      const stillWorking = new Set(engine.workingOrders().map((o) => o.conId));
      const flattenable = open.filter((p) => !stillWorking.has(p.conId));
      if (flattenable.length === 0) break;
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
    }
    const remaining = await this.openPositions(problems);
    const flat = remaining.length === 0;
    const report: KillSwitchReport = {
      reason,
      startedAt,
      finishedAt: clock.now(),
      cancelled,
      exits: exits.map((e) => engine.order(e.id) ?? e),
      remaining: remaining.map((p) => ({ conId: p.conId, symbol: p.symbol, quantity: p.quantity })),
      flat,
      problems,
    };
    if (flat) logger.warn({ exits: exits.length, cancelled }, 'kill switch: flat and halted (latched until re-armed)');
    else logger.error({ remaining: report.remaining, problems }, 'kill switch: NOT flat');
    return report;
  }

  private async openPositions(problems: string[]): Promise<VenuePosition[]> {
    try {
      const snapshot = await this.o.venue.resync();
      return snapshot.positions.filter((p) => Math.abs(p.quantity) > 1e-9);
    } catch (err) {
      problems.push(`positions not read from the venue: ${(err as Error).message}`);
      return [];
    }
  }

  /** One reduce-only market order taking the position to zero. */
  private async exit(p: VenuePosition): Promise<Order> {
    let instrument: Instrument;
    try {
      instrument = await this.o.venue.resolve({ conId: p.conId, symbol: p.symbol, secType: p.secType as Instrument['secType'] });
    } catch (err) {
      throw new DeskCommandError('unknown-instrument', `cannot resolve ${p.symbol} (${p.conId}): ${(err as Error).message}`);
    }
    const side: OrderSide = p.quantity > 0 ? 'SELL' : 'BUY';
    return this.o.engine.placeResolved(
      { instrument: { symbol: instrument.symbol, secType: instrument.secType, conId: instrument.conId }, side, quantity: Math.abs(p.quantity), type: 'MKT', tif: 'DAY' },
      instrument,
      { reduceOnly: true, bypassGate: true },
    );
  }
}
