import { describe, expect, it } from 'vitest';
import { commissionFor, initialMarginFor } from '../../../src/main/sim/engine';
import type { AccountValue, QuoteSource } from '../../../src/main/sim/engine';
import { createPaperAccount } from '../../../src/main/sim/engine/account';
import type { Fill } from '../../../src/main/sim/engine/account';
import { tradingDayKey, tradingDayStart } from '../../../src/main/sim/engine/calendar';
import type { InstrumentSpec, MarketTick } from '../../../src/main/sim/market';
import { simInstrument as spec, SIM_MONDAY_10AM as T0, CON_ID } from '../../support/fixtures';

const HOUR = 3_600_000;

const AAPL = spec({ conId: CON_ID.AAPL, symbol: 'AAPL', secType: 'STK' });
const MSFT = spec({ conId: CON_ID.MSFT, symbol: 'MSFT', secType: 'STK' });
const ES = spec({ conId: 637533641, symbol: 'ES', secType: 'FUT', exchange: 'CME', multiplier: 50, minTick: 0.25, lotSize: 1 });
const NQ = spec({ conId: 637533450, symbol: 'NQ', secType: 'FUT', exchange: 'CME', multiplier: 20, minTick: 0.25, lotSize: 1 });
const EURUSD = spec({ conId: 12087792, symbol: 'EUR', secType: 'CASH', exchange: 'IDEALPRO', minTick: 0.00005, hasTrades: false });

/** Marks only: the account reads lastTick. */
function marks() {
  const ticks = new Map<number, MarketTick[]>();
  const market: QuoteSource = {
    lastTick: (conId, atMs) => (ticks.get(conId) ?? []).filter((t) => t.time <= atMs).at(-1),
    isOpen: () => true,
    sessionEnd: () => undefined,
  };
  return {
    market,
    /** A quote at `time`, with a trade when `trade` is given. */
    set(instrument: InstrumentSpec, time: number, bid: number, ask: number, trade?: number): void {
      const list = ticks.get(instrument.conId) ?? [];
      list.push({ time, bid, ask, bidSize: 100, askSize: 100, dayVolume: 0, ...(trade === undefined ? {} : { trade: { price: trade, size: 1 } }) });
      ticks.set(instrument.conId, list);
    },
  };
}

function setup() {
  const m = marks();
  const account = createPaperAccount({ accountId: 'DU1234567', startingCash: 1_000_000, market: m.market });
  /** Books a fill with the real commission. */
  const fill = (instrument: InstrumentSpec, quantity: number, price: number, time = T0): number | undefined =>
    account.applyFill({ instrument, quantity, price, commission: commissionFor(instrument, quantity, price), time } satisfies Fill);
  const value = (key: string, atMs = T0): string | undefined => account.values(atMs).find((v: AccountValue) => v.key === key)?.value;
  return { m, account, fill, value };
}

describe('sim engine: commissions (IB Pro fixed)', () => {
  it('stocks: USD 0.005 a share, minimum USD 1.00, at most 1 % of trade value', () => {
    expect(commissionFor(AAPL, 100, 50)).toBe(1);
    expect(commissionFor(AAPL, 1000, 50)).toBe(5);
    expect(commissionFor(AAPL, 301, 100)).toBe(1.51);
    expect(commissionFor(AAPL, 10, 5)).toBe(0.5);
    expect(commissionFor(AAPL, 100_000, 0.5)).toBe(500);
    expect(commissionFor(AAPL, -200, 100)).toBe(1);
  });

  it('futures: USD 0.85 a contract; FX: 0.2 bp of value, minimum USD 2.00', () => {
    expect(commissionFor(ES, 3, 5000)).toBe(2.55);
    expect(commissionFor(EURUSD, 25_000, 1.08)).toBe(2);
    expect(commissionFor(EURUSD, 1_000_000, 1.08)).toBe(21.6);
  });

  it('margin: stocks 25 %, ES USD 15,000 a contract, other futures 10 % of notional, FX 3 %', () => {
    expect(initialMarginFor(AAPL, -100, 200)).toBe(5000);
    expect(initialMarginFor(ES, 2, 5000)).toBe(30_000);
    expect(initialMarginFor(NQ, 1, 20_000)).toBe(40_000);
    expect(initialMarginFor(EURUSD, 100_000, 1.1)).toBeCloseTo(3300, 9);
  });
});

describe('sim engine: paper account', () => {
  it('average cost includes commissions; realized P&L through a long, a flip to short and a cover', () => {
    const { account, fill } = setup();
    expect(fill(AAPL, 100, 50)).toBeUndefined();
    expect(account.position(AAPL.conId)?.averageCost).toBeCloseTo(50.01, 9);
    fill(AAPL, 100, 52);
    expect(account.position(AAPL.conId)?.averageCost).toBeCloseTo(51.01, 9);
    // Partial close: (53 − 51.01) × 150 − 1.
    expect(fill(AAPL, -150, 53)).toBeCloseTo(297.5, 9);
    expect(account.position(AAPL.conId)).toMatchObject({ quantity: 50 });
    expect(account.position(AAPL.conId)?.averageCost).toBeCloseTo(51.01, 9);
    // Flip: closes 50 (half the commission) and opens 50 short at the fill price less the other half.
    expect(fill(AAPL, -100, 54)).toBeCloseTo((54 - 51.01) * 50 - 0.5, 9);
    expect(account.position(AAPL.conId)).toMatchObject({ quantity: -50 });
    expect(account.position(AAPL.conId)?.averageCost).toBeCloseTo(53.99, 9);
    // Cover: (53.99 − 52) × 50 − 1.
    expect(fill(AAPL, 50, 52)).toBeCloseTo(98.5, 9);
    const closed = account.position(AAPL.conId);
    expect(closed).toMatchObject({ quantity: 0, averageCost: 0 });
    expect(closed?.realizedPnL).toBeCloseTo(297.5 + 149 + 98.5, 9);
    // Cash reflects the same P&L: every trade value and commission went through it.
    expect(account.figures(T0).cash).toBeCloseTo(1_000_000 + 545, 6);
    expect(account.positions().map((p) => p.quantity)).toEqual([0]);
  });

  it('NetLiquidation is cash plus positions marked at the last trade, else the midpoint', () => {
    const { m, account, fill, value } = setup();
    fill(AAPL, 1000, 100); // commission 5
    fill(MSFT, -100, 400); // commission 1, a short
    m.set(AAPL, T0, 100.9, 101.1, 101);
    m.set(MSFT, T0, 399, 401);
    expect(account.markPrice(AAPL.conId, T0)).toBe(101);
    expect(account.markPrice(MSFT.conId, T0)).toBe(400);
    const cash = 1_000_000 - 100_000 - 5 + 40_000 - 1;
    expect(value('TotalCashValue')).toBe(cash.toFixed(2));
    expect(value('StockMarketValue')).toBe('61000.00');
    expect(value('GrossPositionValue')).toBe('141000.00');
    expect(value('NetLiquidation')).toBe((cash + 101_000 - 40_000).toFixed(2));
    expect(value('EquityWithLoanValue')).toBe(value('NetLiquidation'));
    const initial = 0.25 * 141_000;
    expect(value('InitMarginReq')).toBe(initial.toFixed(2));
    expect(value('MaintMarginReq')).toBe((0.75 * initial).toFixed(2));
    const netLiq = cash + 61_000;
    expect(value('AvailableFunds')).toBe((netLiq - initial).toFixed(2));
    expect(value('ExcessLiquidity')).toBe((netLiq - 0.75 * initial).toFixed(2));
    expect(value('BuyingPower')).toBe((4 * (netLiq - initial)).toFixed(2));
    // Unrealized at IB's avg cost: (101 − 100.005) × 1000 + (399.99 − 400) × 100.
    expect(Number(value('UnrealizedPnL'))).toBeCloseTo(995 - 1, 2);
    expect(value('Leverage')).toBe((141_000 / netLiq).toFixed(2));
    const rows = account.values(T0);
    expect(rows).toContainEqual({ key: 'AccountCode', value: 'DU1234567', currency: '' });
    expect(rows).toContainEqual({ key: 'Currency', value: 'USD', currency: 'USD' });
    expect(rows).toContainEqual({ key: 'AccountType', value: 'INDIVIDUAL', currency: '' });
    expect(rows).toContainEqual({ key: 'DayTradesRemaining', value: '-1', currency: '' });
    expect(rows.find((r) => r.key === 'NetLiquidation')?.currency).toBe('USD');
  });

  it('starts with the starting cash', () => {
    const { value, account } = setup();
    expect(value('NetLiquidation')).toBe('1000000.00');
    expect(value('BuyingPower')).toBe('4000000.00');
    expect(value('Cushion')).toBe('1.000000');
    expect(account.pnl(T0)).toEqual({ dailyPnL: 0, unrealizedPnL: 0, realizedPnL: 0 });
  });

  it('futures: no cash on the trade, price P&L realized into cash on reduction, open futures marked in NetLiquidation', () => {
    const { m, account, fill, value } = setup();
    fill(ES, 2, 5000); // commission 1.70
    expect(account.figures(T0).cash).toBeCloseTo(1_000_000 - 1.7, 6);
    expect(account.position(ES.conId)?.averageCost).toBeCloseTo(5000 * 50 + 0.85, 6);
    m.set(ES, T0, 5009.75, 5010.25, 5010);
    expect(value('FuturesPNL')).toBe('1000.00');
    expect(value('NetLiquidation')).toBe('1000998.30');
    expect(value('StockMarketValue')).toBe('0.00');
    expect(value('GrossPositionValue')).toBe('0.00');
    expect(value('InitMarginReq')).toBe('30000.00');
    expect(Number(value('UnrealizedPnL'))).toBeCloseTo(1000 - 1.7, 6);
    // Sell one at 5020: +20 points × 50 into cash, less USD 0.85.
    expect(fill(ES, -1, 5020)).toBeCloseTo(20 * 50 - 0.85 - 0.85, 6);
    expect(account.figures(T0).cash).toBeCloseTo(1_000_000 - 1.7 + 1000 - 0.85, 6);
    expect(value('FuturesPNL')).toBe('500.00');
    expect(value('NetLiquidation')).toBe((1_000_000 - 1.7 + 1000 - 0.85 + 500).toFixed(2));
  });

  it('FX: a position in base-currency units valued in USD, cash moving like a stock', () => {
    const { m, fill, value } = setup();
    fill(EURUSD, 100_000, 1.08); // commission 2.16
    m.set(EURUSD, T0, 1.0899, 1.0901);
    expect(value('TotalCashValue')).toBe('891997.84');
    expect(value('GrossPositionValue')).toBe('109000.00');
    expect(value('NetLiquidation')).toBe('1000997.84');
    expect(value('InitMarginReq')).toBe('3270.00');
  });

  it('daily P&L runs from 00:00 New York, captured lazily with the boundary’s marks', () => {
    const { m, account, fill } = setup();
    m.set(AAPL, T0, 99.99, 100.01, 100);
    fill(AAPL, 100, 100); // Monday, commission 1
    m.set(AAPL, T0 + 5 * HOUR, 101.99, 102.01, 102);
    const monday = account.pnl(T0 + 5 * HOUR);
    expect(monday.dailyPnL).toBeCloseTo(199, 6);
    expect(monday.realizedPnL).toBe(0);
    m.set(AAPL, T0 + 6 * HOUR, 101.49, 101.51, 101.5); // Monday's last print
    const tuesday = T0 + 24 * HOUR;
    m.set(AAPL, tuesday, 102.99, 103.01, 103);
    // Nothing was asked between Monday 16:00 and Tuesday 10:00: the day start is still marked at midnight.
    const pnl = account.pnl(tuesday);
    expect(pnl.dailyPnL).toBeCloseTo((103 - 101.5) * 100, 6);
    expect(pnl.unrealizedPnL).toBeCloseTo((103 - 100.01) * 100, 6);
    expect(pnl.realizedPnL).toBe(0);
    expect(account.positionPnl(AAPL.conId, tuesday)?.dailyPnL).toBeCloseTo(150, 6);
    // Sell half on Tuesday at 104: realized today (104 − 100.01) × 50 − 1.
    m.set(AAPL, tuesday + HOUR, 103.99, 104.01, 104);
    fill(AAPL, -50, 104, tuesday + HOUR);
    const after = account.pnl(tuesday + HOUR);
    expect(after.realizedPnL).toBeCloseTo(198.5, 6);
    expect(after.dailyPnL).toBeCloseTo(249, 6);
    const single = account.positionPnl(AAPL.conId, tuesday + HOUR);
    expect(single).toMatchObject({ position: 50, value: 5200 });
    expect(single?.dailyPnL).toBeCloseTo(249, 6);
    expect(single?.unrealizedPnL).toBeCloseTo((104 - 100.01) * 50, 6);
    expect(single?.realizedPnL).toBeCloseTo(198.5, 6);
    expect(account.position(AAPL.conId)?.realizedPnL).toBeCloseTo(198.5, 6);
    // Wednesday: yesterday's realized P&L no longer counts as today's.
    const wednesday = tuesday + 24 * HOUR;
    expect(account.pnl(wednesday)).toMatchObject({ realizedPnL: 0, dailyPnL: 0 });
    expect(account.positionPnl(MSFT.conId, wednesday)).toBeUndefined();
  });

  it('the trading day turns at 00:00 New York, across DST', () => {
    expect(tradingDayKey(Date.UTC(2025, 0, 7, 4, 59))).toBe('2025-01-06');
    expect(tradingDayKey(Date.UTC(2025, 0, 7, 5, 0))).toBe('2025-01-07');
    expect(tradingDayStart(Date.UTC(2025, 0, 7, 15, 0))).toBe(Date.UTC(2025, 0, 7, 5, 0));
    expect(tradingDayStart(Date.UTC(2025, 6, 7, 15, 0))).toBe(Date.UTC(2025, 6, 7, 4, 0));
    // The Sunday DST starts (9 March 2025): midnight was still EST.
    expect(tradingDayStart(Date.UTC(2025, 2, 9, 20, 0))).toBe(Date.UTC(2025, 2, 9, 5, 0));
    expect(tradingDayStart(Date.UTC(2025, 10, 2, 20, 0))).toBe(Date.UTC(2025, 10, 2, 4, 0));
  });
});
