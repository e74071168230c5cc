// The paper account: cash and positions with average-cost accounting, marked to the market.
// - Average cost includes commissions (IB's avgCost convention: per unit × multiplier); realized P&L is
//   (fill price − average cost) × closed quantity × multiplier, minus the closing part's commission.
// - Stocks and FX move cash by trade value ± commission. FX (EUR.USD) is a position in base-currency units
//   valued in USD: there is no separate EUR balance (a simplification).
// - Futures move no cash on the trade: the price difference is realized into cash when a position is
//   reduced, commissions come out of cash at once, and open futures count in NetLiquidation marked to market.
// - Daily P&L is measured from the start of the New York calendar day (see calendar.ts), captured lazily.
import type { InstrumentSpec } from '../market/types';
import { accountValues } from './account-values';
import { tradingDayKey, tradingDayStart } from './calendar';
import { initialMarginFor } from './margin';
import { roundCents } from './numbers';
import type { AccountFigures, AccountPnL, AccountPosition, AccountState, AccountValue, PaperAccount, PositionPnL, QuoteSource } from './types';

interface Holding {
  readonly instrument: InstrumentSpec;
  /** Signed. */
  quantity: number;
  /** Average cost per unit in price units, commissions included (IB's avgCost / multiplier). */
  costPerUnit: number;
  /** Average trade price per unit without commissions: what futures settle cash against. */
  pricePerUnit: number;
  realizedTotal: number;
  realizedToday: number;
  /** Unrealized P&L when the current day started (0 when there was no position then). */
  unrealizedAtDayStart: number;
  /** Marks the position when the market has no quote. */
  lastFillPrice: number;
}

export interface Fill {
  readonly instrument: InstrumentSpec;
  /** Signed: positive bought, negative sold. */
  readonly quantity: number;
  readonly price: number;
  readonly commission: number;
  readonly time: number;
}

/** The account as the engine sees it: the public view plus bookkeeping and pre-trade figures. */
export interface PaperAccountInternal extends PaperAccount {
  /** Books a fill; returns the realized P&L (net of commission) when it closed part of a position. */
  applyFill(fill: Fill): number | undefined;
  figures(atMs: number): AccountFigures;
  /** Initial margin of every position except the one in `conId`, marked at `atMs`. */
  initialMarginExcept(conId: number, atMs: number): number;
  /** Notes that time reached `atMs`: a new trading day captures its starting equity. */
  observe(atMs: number): void;
  /** Cash, holdings and the day's reference figures, as plain data. */
  state(): AccountState;
}

export interface PaperAccountOptions {
  readonly accountId: string;
  readonly startingCash: number;
  readonly market: QuoteSource;
  /** A saved account to carry on from, with the instrument of each holding's conId. */
  readonly restore?: { readonly state: AccountState; readonly instrument: (conId: number) => InstrumentSpec };
}

export function createPaperAccount(options: PaperAccountOptions): PaperAccountInternal {
  const { market, accountId } = options;
  const holdings = new Map<number, Holding>();
  const saved = options.restore?.state;
  let cash = saved?.cash ?? options.startingCash;
  let day: string | undefined = saved?.day;
  let nextDayStart = saved?.nextDayStart ?? Number.NEGATIVE_INFINITY;
  let dayStartNetLiquidation = saved?.dayStartNetLiquidation ?? options.startingCash;
  for (const { conId, ...h } of saved?.holdings ?? []) holdings.set(conId, { ...h, instrument: options.restore!.instrument(conId) });

  function markPrice(conId: number, atMs: number): number | undefined {
    const tick = market.lastTick(conId, atMs);
    if (tick === undefined) return undefined;
    return tick.trade?.price ?? (tick.bid + tick.ask) / 2;
  }

  const markOf = (h: Holding, atMs: number): number => markPrice(h.instrument.conId, atMs) ?? h.lastFillPrice;

  const unrealizedOf = (h: Holding, mark: number): number => (h.quantity === 0 ? 0 : (mark - h.costPerUnit) * h.quantity * h.instrument.multiplier);

  function figures(atMs: number): AccountFigures {
    let stockValue = 0;
    let fxValue = 0;
    let futuresPnL = 0;
    let unrealizedPnL = 0;
    let grossPositionValue = 0;
    let initialMargin = 0;
    for (const h of holdings.values()) {
      if (h.quantity === 0) continue;
      const mark = markOf(h, atMs);
      const value = h.quantity * mark * h.instrument.multiplier;
      unrealizedPnL += unrealizedOf(h, mark);
      initialMargin += initialMarginFor(h.instrument, h.quantity, mark);
      switch (h.instrument.secType) {
        case 'STK':
          stockValue += value;
          grossPositionValue += Math.abs(value);
          break;
        case 'CASH':
          fxValue += value;
          grossPositionValue += Math.abs(value);
          break;
        case 'FUT':
          futuresPnL += (mark - h.pricePerUnit) * h.quantity * h.instrument.multiplier;
          break;
      }
    }
    const netLiquidation = cash + stockValue + fxValue + futuresPnL;
    return { cash, stockValue, fxValue, futuresPnL, unrealizedPnL, grossPositionValue, initialMargin, netLiquidation };
  }

  function observe(atMs: number): void {
    // Runs on every tick: skip the calendar arithmetic while time stays inside the current day.
    if (day !== undefined && atMs < nextDayStart) return;
    const key = tradingDayKey(atMs);
    if (day !== undefined && key <= day) return;
    // No fill happened since the boundary (fills observe first), so today's opening state is the current
    // one marked at the boundary.
    const start = tradingDayStart(atMs);
    day = key;
    // 30 h after midnight is always inside the next day, whatever DST does (days last 23 to 25 h).
    nextDayStart = tradingDayStart(start + 30 * 3_600_000);
    for (const h of holdings.values()) {
      h.realizedToday = 0;
      h.unrealizedAtDayStart = unrealizedOf(h, markOf(h, start));
    }
    dayStartNetLiquidation = figures(start).netLiquidation;
  }

  function holdingFor(instrument: InstrumentSpec): Holding {
    const existing = holdings.get(instrument.conId);
    if (existing !== undefined) return existing;
    const created: Holding = {
      instrument,
      quantity: 0,
      costPerUnit: 0,
      pricePerUnit: 0,
      realizedTotal: 0,
      realizedToday: 0,
      unrealizedAtDayStart: 0,
      lastFillPrice: 0,
    };
    holdings.set(instrument.conId, created);
    return created;
  }

  function applyFill(fill: Fill): number | undefined {
    observe(fill.time);
    const h = holdingFor(fill.instrument);
    const multiplier = fill.instrument.multiplier;
    const size = Math.abs(fill.quantity);
    const direction = Math.sign(fill.quantity);
    const closing = h.quantity !== 0 && Math.sign(h.quantity) !== direction ? Math.min(size, Math.abs(h.quantity)) : 0;
    const opening = size - closing;
    // The commission splits between the closed and the opened part of a flip by quantity.
    const closingCommission = size === 0 ? 0 : (fill.commission * closing) / size;
    const openingCommission = fill.commission - closingCommission;

    let realized: number | undefined;
    if (closing > 0) {
      const held = Math.sign(h.quantity);
      realized = (fill.price - h.costPerUnit) * closing * multiplier * held - closingCommission;
      if (fill.instrument.secType === 'FUT') cash += (fill.price - h.pricePerUnit) * closing * multiplier * held;
      h.quantity -= held * closing;
      if (h.quantity === 0) {
        h.costPerUnit = 0;
        h.pricePerUnit = 0;
      }
    }
    if (opening > 0) {
      const held = Math.abs(h.quantity);
      const total = held + opening;
      // A long's cost rises by its commission; a short's proceeds fall by it.
      h.costPerUnit = (held * h.costPerUnit + opening * fill.price + (direction * openingCommission) / multiplier) / total;
      h.pricePerUnit = (held * h.pricePerUnit + opening * fill.price) / total;
      h.quantity = direction * total;
    }
    if (fill.instrument.secType !== 'FUT') cash -= fill.quantity * fill.price * multiplier;
    cash = roundCents(cash - fill.commission);
    if (realized !== undefined) {
      h.realizedTotal += realized;
      h.realizedToday += realized;
    }
    h.lastFillPrice = fill.price;
    return realized;
  }

  function toPosition(h: Holding): AccountPosition {
    return {
      instrument: h.instrument,
      quantity: h.quantity,
      averageCost: h.quantity === 0 ? 0 : h.costPerUnit * h.instrument.multiplier,
      realizedPnL: h.realizedTotal,
    };
  }

  const realizedToday = (): number => [...holdings.values()].reduce((sum, h) => sum + h.realizedToday, 0);

  return {
    accountId,
    baseCurrency: 'USD',
    // Closed positions stay listed with quantity 0 (IB reports them so clients can drop the row).
    positions: (): AccountPosition[] => [...holdings.values()].map(toPosition),
    position: (conId: number): AccountPosition | undefined => {
      const h = holdings.get(conId);
      return h === undefined ? undefined : toPosition(h);
    },
    values: (atMs: number): AccountValue[] => {
      observe(atMs);
      return accountValues(accountId, figures(atMs), { realizedToday: realizedToday(), dayStartNetLiquidation });
    },
    pnl: (atMs: number): AccountPnL => {
      observe(atMs);
      const f = figures(atMs);
      return {
        dailyPnL: f.netLiquidation - dayStartNetLiquidation,
        unrealizedPnL: f.unrealizedPnL,
        realizedPnL: realizedToday(),
      };
    },
    positionPnl: (conId: number, atMs: number): PositionPnL | undefined => {
      observe(atMs);
      const h = holdings.get(conId);
      if (h === undefined) return undefined;
      const mark = markOf(h, atMs);
      const unrealizedPnL = unrealizedOf(h, mark);
      return {
        position: h.quantity,
        dailyPnL: unrealizedPnL - h.unrealizedAtDayStart + h.realizedToday,
        unrealizedPnL,
        realizedPnL: h.realizedToday,
        value: h.quantity * mark * h.instrument.multiplier,
      };
    },
    markPrice,
    applyFill,
    figures,
    initialMarginExcept: (conId: number, atMs: number): number => {
      let total = 0;
      for (const h of holdings.values()) {
        if (h.instrument.conId === conId || h.quantity === 0) continue;
        total += initialMarginFor(h.instrument, h.quantity, markOf(h, atMs));
      }
      return total;
    },
    observe,
    state: (): AccountState => ({
      cash,
      ...(day === undefined ? {} : { day }),
      ...(Number.isFinite(nextDayStart) ? { nextDayStart } : {}),
      dayStartNetLiquidation,
      holdings: [...holdings.values()].map(({ instrument, ...h }) => ({ ...h, conId: instrument.conId })),
    }),
  };
}
