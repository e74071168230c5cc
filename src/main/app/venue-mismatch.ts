// Positions or cash a resync finds different from the venue's: trading is held (REDUCING in paper,
// HALTED in live) with one alert per change, re-arming is refused, until the trader adopts the venue's
// figures or flattens. Adopting takes the venue's figures as read just now, and says so.
import { DeskCommandError, type CashMismatch, type PositionMismatch, type TradingMode, type VenueAdoption } from '../../shared';
import type { CoreTopics, MessageBus } from '../bus';
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { Discrepancy } from '../portfolio';

export interface MismatchHoldOptions {
  readonly mode: TradingMode;
  readonly portfolio: {
    /** The mismatches found by the last resync and not resolved yet. */
    heldDiscrepancies(): readonly Discrepancy[];
    /** Takes the venue's figures (this instrument's only, when given); returns what was adopted. */
    adoptVenue(conId?: number): readonly Discrepancy[];
  };
  readonly risk: { halt(reason: string): unknown; reduce(reason: string): unknown };
  readonly bus: MessageBus<CoreTopics>;
  /** Reads the venue's figures now (a resync); absent without a venue. */
  readonly resync: (() => Promise<unknown>) | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class MismatchHold {
  /** The mismatches trading was last held for (one alert per change). */
  private heldKey = '';

  constructor(private readonly options: MismatchHoldOptions) {}

  /** Why re-arming is refused while something differs, or undefined (the risk engine's re-arm guard). */
  rearmRefusal(): string | undefined {
    const held = this.options.portfolio.heldDiscrepancies();
    return held.length > 0 ? `${differs(held)} (${mismatchText(held)}): adopt the venue's figures or flatten first.` : undefined;
  }

  /** A resync's step, after the books were compared: holds trading for what differs, alerting once per change. */
  hold(): void {
    const held = this.options.portfolio.heldDiscrepancies();
    const key = heldKey(held);
    if (key === this.heldKey) return;
    this.heldKey = key;
    if (held.length === 0) return;
    const text = mismatchText(held);
    const title = differs(held);
    const reason = `${title} (${text}): adopt the venue's figures or flatten, then re-arm.`;
    if (this.options.mode === 'live') this.options.risk.halt(reason);
    else this.options.risk.reduce(reason);
    this.options.logger.error({ mismatches: adoptionOf(held) }, `${title.toLowerCase()}: trading held`);
    const type = held.some((d) => d.kind === 'position') ? 'POSITION_MISMATCH' : 'CASH_MISMATCH';
    this.options.bus.publish(
      'risk.alert',
      { type, severity: 'CRITICAL', title, message: `${text}. Trading is held: adopt the venue's figures or flatten, then re-arm.`, at: this.options.clock.now() },
      'FLASH_CRASH',
    );
  }

  /**
   * Adopts what a resync read just now finds different (the difference the last resync found is stale
   * once anyone trades the account meanwhile); refused while the venue cannot be read.
   */
  async adoptFresh(why: string, conId?: number): Promise<VenueAdoption> {
    try {
      await this.options.resync?.();
    } catch (err) {
      throw new DeskCommandError('venue-unavailable', `The venue's figures cannot be read now (${(err as Error).message}): nothing adopted; try again when it is back.`);
    }
    // No await between the resync's reconciliation and this: no fill can come in between.
    return this.adopt(why, conId);
  }

  /** Adopts the venue's figures as the last resync read them (the kill switch, which has just read them). */
  adopt(why: string, conId?: number): VenueAdoption {
    const adopted = this.options.portfolio.adoptVenue(conId);
    // What is still held (another instrument's) was alerted already.
    this.heldKey = heldKey(this.options.portfolio.heldDiscrepancies());
    const adoption = adoptionOf(adopted);
    if (adopted.length === 0) return adoption;
    const text = mismatchText(adopted);
    this.options.logger.warn({ ...adoption, why }, "the venue's figures adopted");
    const type = adoption.adopted.length > 0 ? 'POSITION_MISMATCH' : 'CASH_MISMATCH';
    this.options.bus.publish(
      'risk.alert',
      { type, severity: 'MEDIUM', title: "Venue's figures adopted", message: `${text} (${why}). Re-arm to trade again.`, at: this.options.clock.now() },
      'HIGH',
    );
    return adoption;
  }
}

function heldKey(held: readonly Discrepancy[]): string {
  return held.map((d) => `${d.kind}:${d.conId}:${d.desk}:${d.venue}`).join(',');
}

/** The positions and the cash among discrepancies, as the trader's commands show them. */
export function adoptionOf(ds: readonly Discrepancy[]): { adopted: PositionMismatch[]; cash: CashMismatch | null } {
  const adopted: PositionMismatch[] = [];
  let cash: CashMismatch | null = null;
  for (const d of ds) {
    if (d.kind === 'cash') cash = { currency: d.currency ?? 'USD', desk: d.desk, venue: d.venue, tolerance: d.tolerance ?? 0, at: d.at };
    else if (d.kind === 'position') adopted.push({ conId: d.conId ?? 0, symbol: d.symbol ?? String(d.conId), desk: d.desk, venue: d.venue, at: d.at });
  }
  return { adopted, cash };
}

const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 'SPY: DualDesk 0, venue 5; cash: DualDesk USD 1,000,000.00, venue USD 998,750.00' */
function mismatchText(held: readonly Discrepancy[]): string {
  const money = (d: Discrepancy, n: number) => `${d.currency ?? 'USD'} ${MONEY.format(n)}`;
  return held
    .map((d) => (d.kind === 'cash' ? `cash: DualDesk ${money(d, d.desk)}, venue ${money(d, d.venue)}` : `${d.symbol ?? d.conId}: DualDesk ${d.desk}, venue ${d.venue}`))
    .join('; ');
}

/** 'Positions differ from the venue', 'Cash differs from the venue', or both. */
function differs(held: readonly Discrepancy[]): string {
  const positions = held.some((d) => d.kind === 'position');
  const cash = held.some((d) => d.kind === 'cash');
  return `${positions && cash ? 'Positions and cash differ' : cash ? 'Cash differs' : 'Positions differ'} from the venue`;
}
