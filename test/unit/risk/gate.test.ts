import { beforeEach, describe, expect, it } from 'vitest';
import { defaultRiskLimits, type Instrument, type OrderSide, type RiskDecision, type RiskLimits, type TradingState } from '../../../src/shared';
import { VirtualClock } from '../../../src/main/clock';
import { RiskGate, type OrderIntent, type RiskContext } from '../../../src/main/risk';
import { MONDAY_10AM, CON_ID } from '../../support/fixtures';

function instrument(conId: number, symbol: string, secType: Instrument['secType'], minTick: number, multiplier = 1, currency = 'USD'): Instrument {
  return {
    conId,
    symbol,
    secType,
    exchange: 'SMART',
    primaryExchange: '',
    currency,
    localSymbol: symbol,
    tradingClass: symbol,
    multiplier,
    minTick,
    longName: symbol,
    lastTradeDateOrContractMonth: '',
    timeZoneId: 'America/New_York',
    tradingHours: '',
    liquidHours: '',
  };
}

const AAPL = instrument(CON_ID.AAPL, 'AAPL', 'STK', 0.01);
const ES = instrument(495512563, 'ESZ6', 'FUT', 0.25, 50);
const EURUSD = instrument(12087792, 'EUR.USD', 'CASH', 0.00005);
const TOYOTA = instrument(13905, '7203', 'STK', 1, 1, 'JPY');

/** The context the wiring builds from market data, portfolio and execution: here plain maps. */
class Ctx implements RiskContext {
  readonly instruments = new Map<number, Instrument>([AAPL, ES, EURUSD, TOYOTA].map((i) => [i.conId, i]));
  readonly last = new Map<number, number>([
    [AAPL.conId, 100],
    [ES.conId, 5000],
    [EURUSD.conId, 1.08],
    [TOYOTA.conId, 3000],
  ]);
  readonly positions = new Map<number, number>();
  readonly working = new Map<string, number>();
  readonly rates = new Map<string, number>([
    ['USD', 1],
    ['JPY', 0.0067],
  ]);
  gross = 0;
  constructor(readonly clock: VirtualClock) {}
  instrument(conId: number) {
    return this.instruments.get(conId);
  }
  lastPrice(conId: number) {
    return this.last.get(conId);
  }
  position(conId: number) {
    return this.positions.get(conId) ?? 0;
  }
  workingQuantity(conId: number, side: OrderSide) {
    return this.working.get(`${conId}:${side}`) ?? 0;
  }
  grossExposure() {
    return this.gross;
  }
  fxRate(currency: string) {
    return this.rates.get(currency);
  }
  now() {
    return this.clock.now();
  }
}

const LIMITS: RiskLimits = {
  ...defaultRiskLimits('paper'),
  maxOrderQuantity: { STK: 1_000, CASH: 1_000_000, FUT: 10 },
  maxOrderNotional: 100_000,
  maxPosition: { STK: 2_000, CASH: 3_000_000, FUT: 20 },
  maxGrossExposure: 250_000,
  priceBandPct: 5,
  rateLimit: { maxOrders: 1_000, windowMs: 1_000 },
  duplicateWindowMs: 0,
};

const buy = (conId: number, quantity: number, extra: Partial<OrderIntent> = {}): OrderIntent => ({ conId, side: 'BUY', quantity, type: 'MKT', ...extra });
const sell = (conId: number, quantity: number, extra: Partial<OrderIntent> = {}): OrderIntent => ({ conId, side: 'SELL', quantity, type: 'MKT', ...extra });
const lmt = (price: number) => ({ type: 'LMT' as const, limitPrice: price });

describe('risk gate: pre-trade checks', () => {
  let clock: VirtualClock;
  let ctx: Ctx;
  let trading: { state: TradingState; reason: string };
  let gate: RiskGate;
  const make = (limits: Partial<RiskLimits> = {}) => {
    gate = new RiskGate({ ...LIMITS, ...limits }, trading);
    return gate;
  };
  const check = (intent: OrderIntent): RiskDecision => gate.check(intent, ctx);
  const code = (intent: OrderIntent): string => {
    const d = check(intent);
    return d.ok ? 'OK' : d.code;
  };
  const reason = (intent: OrderIntent): string => {
    const d = check(intent);
    if (d.ok) throw new Error('expected a rejection');
    return d.reason;
  };

  beforeEach(() => {
    clock = new VirtualClock(MONDAY_10AM);
    ctx = new Ctx(clock);
    trading = { state: 'ACTIVE', reason: 'initial' };
    make();
  });

  it('accepts an ordinary order', () => {
    expect(check(buy(AAPL.conId, 100))).toEqual({ ok: true });
    expect(check(sell(AAPL.conId, 100, lmt(99.5)))).toEqual({ ok: true });
  });

  it('refuses an unknown instrument', () => {
    expect(code(buy(999, 1))).toBe('unknown-instrument');
    expect(reason(buy(999, 1))).toMatch(/Unknown instrument \(conId 999\)/);
  });

  it('refuses quantities that are not positive whole numbers, for FX too (whole base-currency units)', () => {
    for (const q of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(code(buy(AAPL.conId, q))).toBe('invalid-quantity');
    expect(reason(buy(AAPL.conId, 1.5))).toBe('Quantity must be a positive whole number of shares (got 1.5)');
    expect(code(buy(EURUSD.conId, 25_000.5))).toBe('invalid-quantity');
    expect(reason(buy(EURUSD.conId, 25_000.5))).toMatch(/whole number of units/);
    expect(code(buy(EURUSD.conId, 25_001))).toBe('OK');
    expect(code(buy(AAPL.conId, 1))).toBe('OK');
  });

  it('refuses missing, non-positive and superfluous prices', () => {
    expect(code(buy(AAPL.conId, 1, { type: 'LMT' }))).toBe('invalid-price');
    expect(reason(buy(AAPL.conId, 1, { type: 'LMT' }))).toBe('A LMT order needs a limit price greater than 0');
    expect(code(buy(AAPL.conId, 1, lmt(0)))).toBe('invalid-price');
    expect(code(buy(AAPL.conId, 1, lmt(-100)))).toBe('invalid-price');
    expect(code(buy(AAPL.conId, 1, { type: 'STP' }))).toBe('invalid-price');
    expect(code(buy(AAPL.conId, 1, { type: 'STP LMT', stopPrice: 101 }))).toBe('invalid-price');
    expect(reason(buy(AAPL.conId, 1, { limitPrice: 100 }))).toBe('A MKT order takes no limit price');
    expect(code(buy(AAPL.conId, 1, { type: 'LMT', limitPrice: 100, stopPrice: 99 }))).toBe('invalid-price');
    expect(code(buy(AAPL.conId, 1, { type: 'STP LMT', stopPrice: 101, limitPrice: 101.5 }))).toBe('OK');
  });

  it('refuses prices off the tick grid and passes prices on it despite floating error', () => {
    expect(code(buy(AAPL.conId, 1, lmt(100.005)))).toBe('off-tick');
    expect(reason(buy(AAPL.conId, 1, lmt(100.005)))).toBe("Limit price 100.005 is not a multiple of AAPL's tick size 0.01");
    expect(code(buy(AAPL.conId, 1, lmt(100.01)))).toBe('OK');
    expect(code(buy(AAPL.conId, 1, lmt(0.3 * 3 + 99.1)))).toBe('OK');
    expect(code(buy(ES.conId, 1, { type: 'STP', stopPrice: 5000.1 }))).toBe('off-tick');
    expect(reason(buy(ES.conId, 1, { type: 'STP', stopPrice: 5000.1 }))).toMatch(/^Stop price 5,000.1 is not a multiple of ESZ6's tick size 0.25/);
    expect(code(sell(EURUSD.conId, 25_000, lmt(1.08003)))).toBe('off-tick');
    expect(code(sell(EURUSD.conId, 25_000, lmt(1.08005)))).toBe('OK');
  });

  it('max order quantity: at the maximum passes, one more is refused; per security type', () => {
    // 1,000 × 100 = 100,000: also exactly at the max notional.
    expect(code(buy(AAPL.conId, 1_000))).toBe('OK');
    expect(code(buy(AAPL.conId, 1_001))).toBe('max-order-quantity');
    expect(reason(buy(AAPL.conId, 1_001))).toBe('Quantity 1,001 exceeds the maximum of 1,000 shares per order');
    ctx.last.set(ES.conId, 100);
    expect(code(buy(ES.conId, 10))).toBe('OK');
    expect(code(buy(ES.conId, 11))).toBe('max-order-quantity');
    expect(reason(buy(ES.conId, 11))).toMatch(/maximum of 10 contracts per order/);
  });

  it('max notional: quantity × price × multiplier in the base currency; exactly at the limit passes', () => {
    expect(code(buy(AAPL.conId, 1_000, lmt(100)))).toBe('OK');
    expect(code(buy(AAPL.conId, 1_000, lmt(100.01)))).toBe('max-order-notional');
    expect(reason(buy(AAPL.conId, 1_000, lmt(100.01)))).toBe('Order value 100,010.00 exceeds the maximum of 100,000.00 per order');
    // 1,000 × 100.01 is 100010.00000000001 in floating point: still exactly the limit.
    make({ maxOrderNotional: 100_010 });
    expect(code(buy(AAPL.conId, 1_000, lmt(100.01)))).toBe('OK');
    make();
    // A future's multiplier: 1 ES at 5,000 is 250,000.
    expect(code(buy(ES.conId, 1))).toBe('max-order-notional');
    ctx.last.set(ES.conId, 2000);
    expect(code(buy(ES.conId, 1))).toBe('OK');
    // Another currency, converted: 33,000 shares × ¥3,000 × 0.0067 = 663,300 USD (refused), 4,975 = 99,997.50 (passes).
    make({ maxOrderQuantity: { STK: 100_000, CASH: 1, FUT: 1 }, maxPosition: { STK: 100_000, CASH: 1, FUT: 1 } });
    expect(code(buy(TOYOTA.conId, 33_000))).toBe('max-order-notional');
    expect(code(buy(TOYOTA.conId, 4_975))).toBe('OK');
    ctx.rates.delete('JPY');
    expect(code(buy(TOYOTA.conId, 100))).toBe('no-fx-rate');
    expect(reason(buy(TOYOTA.conId, 100))).toMatch(/No exchange rate for JPY/);
  });

  it('max position: after the order and the same side’s working orders; at the maximum passes; reducing an over-limit position passes', () => {
    ctx.positions.set(AAPL.conId, 1_500);
    expect(code(buy(AAPL.conId, 500))).toBe('OK');
    expect(code(buy(AAPL.conId, 501))).toBe('max-position');
    expect(reason(buy(AAPL.conId, 501))).toBe('The AAPL position would reach 2,001 shares, over the maximum of 2,000');
    ctx.working.set(`${AAPL.conId}:BUY`, 100);
    expect(code(buy(AAPL.conId, 400))).toBe('OK');
    expect(reason(buy(AAPL.conId, 401))).toBe('The AAPL position would reach 2,001 shares (counting 100 working), over the maximum of 2,000');
    // A modify of the working order replaces its quantity rather than adding to it.
    expect(code(buy(AAPL.conId, 500, { replacesQuantity: 100 }))).toBe('OK');
    // Shorts count by their size; a sell that reverses through zero is judged on the other side.
    ctx.working.clear();
    ctx.positions.set(AAPL.conId, -1_500);
    expect(code(sell(AAPL.conId, 501))).toBe('max-position');
    ctx.positions.set(AAPL.conId, 1_000);
    // The limit lowered below the position: reducing still passes, adding does not.
    make({ maxPosition: { STK: 500, CASH: 1, FUT: 1 } });
    expect(code(sell(AAPL.conId, 100))).toBe('OK');
    expect(code(buy(AAPL.conId, 1))).toBe('max-position');
  });

  it('max gross exposure: positions plus what this order adds; at the maximum passes; reducing passes', () => {
    ctx.gross = 200_000;
    expect(code(buy(AAPL.conId, 500))).toBe('OK');
    expect(code(buy(AAPL.conId, 501))).toBe('max-gross-exposure');
    expect(reason(buy(AAPL.conId, 501))).toBe('Gross exposure would reach 250,100.00, over the maximum of 250,000.00');
    ctx.gross = 300_000;
    ctx.positions.set(AAPL.conId, 1_000);
    expect(code(sell(AAPL.conId, 500))).toBe('OK');
    expect(code(buy(AAPL.conId, 1))).toBe('max-gross-exposure');
  });

  it('price band: limit and stop prices within ±band of the last price, the band edge passes; market orders need a last price', () => {
    expect(code(buy(AAPL.conId, 10, lmt(105)))).toBe('OK');
    expect(code(buy(AAPL.conId, 10, lmt(95)))).toBe('OK');
    expect(code(buy(AAPL.conId, 10, lmt(105.01)))).toBe('price-band');
    expect(reason(buy(AAPL.conId, 10, lmt(105.01)))).toBe('Limit price 105.01 is 5.01% above the last price 100 (band: ±5.00%)');
    expect(code(sell(AAPL.conId, 10, lmt(94.99)))).toBe('price-band');
    expect(reason(sell(AAPL.conId, 10, { type: 'STP', stopPrice: 80 }))).toBe('Stop price 80 is 20.00% below the last price 100 (band: ±5.00%)');
    expect(code(sell(EURUSD.conId, 25_000, lmt(1.134)))).toBe('OK');
    expect(code(sell(EURUSD.conId, 25_000, lmt(1.13405)))).toBe('price-band');
    ctx.last.delete(AAPL.conId);
    expect(code(buy(AAPL.conId, 10))).toBe('no-reference-price');
    expect(reason(buy(AAPL.conId, 10))).toMatch(/^No last price for AAPL/);
    expect(code(buy(AAPL.conId, 10, lmt(100)))).toBe('no-reference-price');
  });

  it('rate limit: N orders in any window; the N+1th is refused until the first leaves the window; refusals do not count', () => {
    make({ rateLimit: { maxOrders: 3, windowMs: 1_000 } });
    expect(code(buy(AAPL.conId, 1))).toBe('OK'); // t = 0
    clock.advance(100);
    expect(code(buy(AAPL.conId, 2))).toBe('OK');
    clock.advance(100);
    expect(code(buy(AAPL.conId, 3))).toBe('OK');
    clock.advance(100);
    expect(code(buy(AAPL.conId, 4))).toBe('rate-limit');
    expect(reason(buy(AAPL.conId, 4))).toBe('Order rate limit reached: 3 orders in 1 s; try again in 0.7 s');
    clock.advance(699); // t = 999
    expect(code(buy(AAPL.conId, 4))).toBe('rate-limit');
    expect(code(buy(999, 4))).toBe('unknown-instrument');
    clock.advance(1); // t = 1000: the first order has left the window
    expect(code(buy(AAPL.conId, 4))).toBe('OK');
    expect(code(buy(AAPL.conId, 5))).toBe('rate-limit');
    clock.advance(100); // t = 1100: the second has left
    expect(code(buy(AAPL.conId, 5))).toBe('OK');
    // A preview does not count.
    clock.advance(10_000);
    for (let i = 0; i < 5; i++) expect(gate.preview(buy(AAPL.conId, 10 + i), ctx).ok).toBe(true);
    for (let i = 0; i < 3; i++) expect(code(buy(AAPL.conId, 20 + i))).toBe('OK');
    expect(code(buy(AAPL.conId, 30))).toBe('rate-limit');
  });

  it('rate limit: changing it keeps the recent orders', () => {
    make({ rateLimit: { maxOrders: 3, windowMs: 1_000 } });
    for (let i = 0; i < 3; i++) expect(code(buy(AAPL.conId, i + 1))).toBe('OK');
    gate.setLimits({ ...LIMITS, rateLimit: { maxOrders: 4, windowMs: 1_000 } });
    expect(code(buy(AAPL.conId, 4))).toBe('OK');
    expect(code(buy(AAPL.conId, 5))).toBe('rate-limit');
    gate.setLimits({ ...LIMITS, rateLimit: { maxOrders: 2, windowMs: 1_000 } });
    expect(code(buy(AAPL.conId, 5))).toBe('rate-limit');
    clock.advance(1_000);
    expect(code(buy(AAPL.conId, 5))).toBe('OK');
  });

  it('duplicate guard: same instrument, side and quantity within the window is refused; the window edge, other orders, a confirmed repeat and a modify pass', () => {
    make({ duplicateWindowMs: 500 });
    expect(code(buy(AAPL.conId, 100))).toBe('OK');
    clock.advance(499);
    expect(code(buy(AAPL.conId, 100, lmt(99)))).toBe('duplicate-order');
    expect(reason(buy(AAPL.conId, 100))).toBe('Same order as one sent 499 ms ago (BUY 100 AAPL): confirm to send it again');
    expect(code(sell(AAPL.conId, 100))).toBe('OK');
    expect(code(buy(AAPL.conId, 101))).toBe('OK');
    expect(code(buy(EURUSD.conId, 100))).toBe('OK');
    clock.advance(1); // 500 ms after the first
    expect(code(buy(AAPL.conId, 100))).toBe('OK');
    expect(code(buy(AAPL.conId, 100))).toBe('duplicate-order');
    expect(code(buy(AAPL.conId, 100, { confirmedDuplicate: true }))).toBe('OK');
    expect(code(buy(AAPL.conId, 100, { ...lmt(99.9), replacesQuantity: 100 }))).toBe('OK');
    // Off: no guard.
    make({ duplicateWindowMs: 0 });
    expect(code(buy(AAPL.conId, 7))).toBe('OK');
    expect(code(buy(AAPL.conId, 7))).toBe('OK');
  });

  it('HALTED: every order is refused (cancels never reach the gate)', () => {
    trading.state = 'HALTED';
    trading.reason = 'kill switch';
    ctx.positions.set(AAPL.conId, 100);
    expect(code(sell(AAPL.conId, 100))).toBe('trading-halted');
    expect(reason(buy(AAPL.conId, 1))).toBe('Trading is halted (kill switch): only cancels are accepted until you re-arm');
  });

  it('REDUCING: only orders that reduce a position without reversing it, counting working orders on that side', () => {
    trading.state = 'REDUCING';
    trading.reason = 'Daily loss limit reached';
    ctx.positions.set(AAPL.conId, 100);
    expect(code(sell(AAPL.conId, 100))).toBe('OK');
    expect(code(sell(AAPL.conId, 40, lmt(101)))).toBe('OK');
    expect(code(sell(AAPL.conId, 101))).toBe('reduce-only');
    expect(reason(sell(AAPL.conId, 101))).toBe('Trading is reduce-only (Daily loss limit reached): 101 would reverse the long AAPL position of 100');
    expect(reason(buy(AAPL.conId, 1))).toBe('Trading is reduce-only (Daily loss limit reached): a BUY adds to the long AAPL position of 100');
    expect(reason(buy(ES.conId, 1))).toBe('Trading is reduce-only (Daily loss limit reached): there is no ESZ6 position to reduce');
    ctx.working.set(`${AAPL.conId}:SELL`, 60);
    expect(code(sell(AAPL.conId, 40))).toBe('OK');
    expect(reason(sell(AAPL.conId, 41))).toMatch(/41 plus 60 working would reverse/);
    ctx.positions.set(ES.conId, -3);
    ctx.last.set(ES.conId, 500);
    expect(code(buy(ES.conId, 3))).toBe('OK');
    expect(code(buy(ES.conId, 4))).toBe('reduce-only');
    // The other checks still apply to a reducing order.
    ctx.positions.set(AAPL.conId, 5_000);
    ctx.working.clear();
    expect(code(sell(AAPL.conId, 1_001))).toBe('max-order-quantity');
  });

  it('flatten orders (the kill switch): allowed while HALTED, exempt from limits, never reversing, not counted', () => {
    make({ rateLimit: { maxOrders: 1, windowMs: 1_000 }, duplicateWindowMs: 1_000 });
    trading.state = 'HALTED';
    ctx.positions.set(AAPL.conId, 5_000);
    ctx.last.delete(AAPL.conId);
    expect(code(sell(AAPL.conId, 5_000, { purpose: 'flatten' }))).toBe('OK');
    expect(code(sell(AAPL.conId, 5_000, { purpose: 'flatten' }))).toBe('OK');
    expect(code(sell(AAPL.conId, 5_001, { purpose: 'flatten' }))).toBe('reduce-only');
    expect(reason(buy(AAPL.conId, 1, { purpose: 'flatten' }))).toMatch(/^A flatten order must reduce the position without reversing it/);
    expect(code(sell(AAPL.conId, 1.5, { purpose: 'flatten' }))).toBe('invalid-quantity');
    // Not recorded: after re-arming, the rate limit and duplicate guard have seen nothing.
    trading.state = 'ACTIVE';
    ctx.last.set(AAPL.conId, 100);
    expect(code(sell(AAPL.conId, 500))).toBe('OK');
  });
});
