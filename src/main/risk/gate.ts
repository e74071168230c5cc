// The pre-trade risk gate: every order passes these checks, in this order, each rejecting with its own
// code and reason. A passing check allocates nothing: it reads the context, compares numbers, and
// records the order in two fixed rings (rate limit, duplicate guard).
import { priceFieldsOf, quantityUnit, type RiskAccepted, type RiskDecision, type RiskLimits, type RiskRejectCode, type RiskRejection } from '../../shared';
import { amount, num, pct } from './format';
import type { OrderIntent, RiskContext, TradingStateSource } from './types';

const ACCEPTED: RiskAccepted = Object.freeze({ ok: true });

/** Relative tolerance: a value exactly at a limit passes even after floating arithmetic (100 × 100.01). */
const EPSILON = 1e-9;
/** The duplicate ring never grows beyond this (the rate limit keeps it far smaller in practice). */
const MAX_DUPLICATE_RING = 65_536;

const over = (value: number, limit: number): boolean => value > limit * (1 + EPSILON);

/** Whether `price` lies on the grid of `minTick`, tolerating floating error (the venue's own test). */
function onTickGrid(price: number, minTick: number): boolean {
  if (!(minTick > 0)) return true;
  const steps = price / minTick;
  return Math.abs(steps - Math.round(steps)) < 1e-6;
}

const validPrice = (p: number | undefined): p is number => p !== undefined && Number.isFinite(p) && p > 0;

function reject(code: RiskRejectCode, reason: string): RiskRejection {
  return { ok: false, code, reason };
}

export class RiskGate {
  private limits: RiskLimits;
  // Rate limit: accept times of the last `maxOrders` accepted orders, oldest at `rateHead`.
  private rateTimes: Float64Array;
  private rateHead = 0;
  private rateCount = 0;
  // Duplicate guard: the last accepted new orders, oldest at `dupHead`.
  private dupTimes: Float64Array;
  private dupConIds: Float64Array;
  private dupQuantities: Float64Array;
  private dupSides: Uint8Array;
  private dupHead = 0;
  private dupCount = 0;

  constructor(
    limits: RiskLimits,
    private readonly trading: TradingStateSource,
  ) {
    this.limits = limits;
    this.rateTimes = new Float64Array(limits.rateLimit.maxOrders);
    const cap = duplicateCapacity(limits);
    this.dupTimes = new Float64Array(cap);
    this.dupConIds = new Float64Array(cap);
    this.dupQuantities = new Float64Array(cap);
    this.dupSides = new Uint8Array(cap);
  }

  /** New limits apply to the next check; the recent orders are kept (the newest, if a ring shrinks). */
  setLimits(limits: RiskLimits): void {
    this.limits = limits;
    if (limits.rateLimit.maxOrders !== this.rateTimes.length) {
      const cap = limits.rateLimit.maxOrders;
      const times = new Float64Array(cap);
      const keep = Math.min(cap, this.rateCount);
      for (let i = 0; i < keep; i++) times[i] = this.rateTimes[(this.rateHead + this.rateCount - keep + i) % this.rateTimes.length] as number;
      this.rateTimes = times;
      this.rateHead = 0;
      this.rateCount = keep;
    }
    const cap = duplicateCapacity(limits);
    if (cap !== this.dupTimes.length) {
      const old = { t: this.dupTimes, c: this.dupConIds, q: this.dupQuantities, s: this.dupSides, head: this.dupHead, n: this.dupCount };
      this.dupTimes = new Float64Array(cap);
      this.dupConIds = new Float64Array(cap);
      this.dupQuantities = new Float64Array(cap);
      this.dupSides = new Uint8Array(cap);
      const keep = Math.min(cap, old.n);
      for (let i = 0; i < keep; i++) {
        const j = (old.head + old.n - keep + i) % old.t.length;
        this.dupTimes[i] = old.t[j] as number;
        this.dupConIds[i] = old.c[j] as number;
        this.dupQuantities[i] = old.q[j] as number;
        this.dupSides[i] = old.s[j] as number;
      }
      this.dupHead = 0;
      this.dupCount = keep;
    }
  }

  /** Checks an order and, when it passes, records it for the rate limit and the duplicate guard. */
  check(intent: OrderIntent, ctx: RiskContext): RiskDecision {
    const decision = this.evaluate(intent, ctx);
    if (decision.ok && intent.purpose !== 'flatten') this.record(intent, ctx.now());
    return decision;
  }

  /** The same checks without recording (the ticket's live preview). */
  preview(intent: OrderIntent, ctx: RiskContext): RiskDecision {
    return this.evaluate(intent, ctx);
  }

  private evaluate(intent: OrderIntent, ctx: RiskContext): RiskDecision {
    const { conId, side, quantity, type } = intent;

    // 1. Instrument known.
    const inst = ctx.instrument(conId);
    if (inst === undefined) return reject('unknown-instrument', `Unknown instrument (conId ${conId}): look the instrument up before trading it`);
    const symbol = inst.localSymbol || inst.symbol;
    const unit = quantityUnit(inst.secType);

    // 2. Quantity: a positive whole number for every security type (FX in base-currency units).
    if (!(Number.isSafeInteger(quantity) && quantity > 0)) {
      return reject('invalid-quantity', `Quantity must be a positive whole number of ${unit} (got ${String(quantity)})`);
    }

    // 3. Prices: the ones the order type needs, positive, on the tick grid; no others.
    const { limit: hasLimit, stop: hasStop } = priceFieldsOf(type);
    const limitPrice = intent.limitPrice;
    const stopPrice = intent.stopPrice;
    if (hasLimit) {
      if (!validPrice(limitPrice)) return reject('invalid-price', `A ${type} order needs a limit price greater than 0`);
    } else if (limitPrice !== undefined) {
      return reject('invalid-price', `A ${type} order takes no limit price`);
    }
    if (hasStop) {
      if (!validPrice(stopPrice)) return reject('invalid-price', `A ${type} order needs a stop price greater than 0`);
    } else if (stopPrice !== undefined) {
      return reject('invalid-price', `A ${type} order takes no stop price`);
    }
    if (hasLimit && !onTickGrid(limitPrice as number, inst.minTick)) {
      return reject('off-tick', `Limit price ${num(limitPrice as number)} is not a multiple of ${symbol}'s tick size ${num(inst.minTick)}`);
    }
    if (hasStop && !onTickGrid(stopPrice as number, inst.minTick)) {
      return reject('off-tick', `Stop price ${num(stopPrice as number)} is not a multiple of ${symbol}'s tick size ${num(inst.minTick)}`);
    }

    // 4. Trading state. HALTED: nothing (cancels never come here). REDUCING and flatten orders: only
    //    orders that reduce the position without reversing it, counting this side's working orders.
    const flatten = intent.purpose === 'flatten';
    const state = this.trading.state;
    if (state === 'HALTED' && !flatten) {
      return reject('trading-halted', `Trading is halted (${this.trading.reason}): only cancels are accepted until you re-arm`);
    }
    const position = ctx.position(conId);
    const sign = side === 'BUY' ? 1 : -1;
    let working = ctx.workingQuantity(conId, side) - (intent.replacesQuantity ?? 0);
    if (!(working > 0)) working = 0;
    if (flatten || state === 'REDUCING') {
      const reduces = position !== 0 && position * sign < 0 && quantity + working <= Math.abs(position);
      if (!reduces) {
        const why =
          position === 0
            ? `there is no ${symbol} position to reduce`
            : position * sign > 0
              ? `a ${side} adds to the ${position > 0 ? 'long' : 'short'} ${symbol} position of ${num(Math.abs(position))}`
              : `${num(quantity)} ${working > 0 ? `plus ${num(working)} working ` : ''}would reverse the ${position > 0 ? 'long' : 'short'} ${symbol} position of ${num(Math.abs(position))}`;
        return reject('reduce-only', flatten ? `A flatten order must reduce the position without reversing it: ${why}` : `Trading is reduce-only (${this.trading.reason}): ${why}`);
      }
      if (flatten) return ACCEPTED;
    }

    // 5. Max order quantity.
    const limits = this.limits;
    const maxQuantity = limits.maxOrderQuantity[inst.secType];
    if (quantity > maxQuantity) {
      return reject('max-order-quantity', `Quantity ${num(quantity)} exceeds the maximum of ${num(maxQuantity)} ${unit} per order`);
    }

    // A reference price: for the price band, and the price of a market order.
    const last = ctx.lastPrice(conId);
    if (!validPrice(last)) {
      return reject('no-reference-price', `No last price for ${symbol}: the order cannot be checked against the market (subscribe to its market data first)`);
    }
    const price = hasLimit ? (limitPrice as number) : hasStop ? (stopPrice as number) : last;
    const fx = ctx.fxRate(inst.currency);
    if (!(fx !== undefined && fx > 0 && Number.isFinite(fx))) {
      return reject('no-fx-rate', `No exchange rate for ${inst.currency}: the order's value in the account's currency is unknown`);
    }
    const valuePerUnit = (inst.multiplier > 0 ? inst.multiplier : 1) * fx;

    // 6. Max notional per order (at the limit price, the stop price, or the last price for a market order).
    const notional = quantity * price * valuePerUnit;
    if (over(notional, limits.maxOrderNotional)) {
      return reject('max-order-notional', `Order value ${amount(notional)} exceeds the maximum of ${amount(limits.maxOrderNotional)} per order`);
    }

    // 7. Max position, as if this order and this side's working orders all filled. An order that leaves
    //    the position smaller passes even when it is still over the limit (a limit lowered meanwhile).
    const absBefore = Math.abs(position);
    const absAfter = Math.abs(position + sign * (quantity + working));
    const maxPosition = limits.maxPosition[inst.secType];
    if (absAfter > maxPosition && absAfter > absBefore) {
      return reject(
        'max-position',
        `The ${symbol} position would reach ${num(absAfter)} ${unit}${working > 0 ? ` (counting ${num(working)} working)` : ''}, over the maximum of ${num(maxPosition)}`,
      );
    }

    // 8. Max gross exposure: positions' exposure plus the change this order makes, valued at its price.
    const grossAfter = ctx.grossExposure() + (absAfter - absBefore) * price * valuePerUnit;
    if (over(grossAfter, limits.maxGrossExposure) && absAfter > absBefore) {
      return reject('max-gross-exposure', `Gross exposure would reach ${amount(grossAfter)}, over the maximum of ${amount(limits.maxGrossExposure)}`);
    }

    // 9. Price band (fat finger): limit and stop prices within ±priceBandPct of the last price.
    const band = last * limits.priceBandPct * 0.01;
    if (hasLimit && over(Math.abs((limitPrice as number) - last), band)) {
      return reject('price-band', bandReason('Limit', limitPrice as number, last, limits.priceBandPct));
    }
    if (hasStop && over(Math.abs((stopPrice as number) - last), band)) {
      return reject('price-band', bandReason('Stop', stopPrice as number, last, limits.priceBandPct));
    }

    // 10. Rate limit: at most maxOrders accepted in any windowMs.
    const now = ctx.now();
    const rate = limits.rateLimit;
    if (this.rateCount >= rate.maxOrders && now - (this.rateTimes[this.rateHead] as number) < rate.windowMs) {
      const wait = rate.windowMs - (now - (this.rateTimes[this.rateHead] as number));
      return reject('rate-limit', `Order rate limit reached: ${rate.maxOrders} orders in ${num(rate.windowMs / 1000)} s; try again in ${num(Math.ceil(wait / 100) / 10)} s`);
    }

    // 11. Duplicate guard: the same instrument, side and quantity accepted within duplicateWindowMs.
    const window = limits.duplicateWindowMs;
    if (window > 0 && intent.confirmedDuplicate !== true && intent.replacesQuantity === undefined) {
      const cap = this.dupTimes.length;
      const sideCode = sign > 0 ? 1 : 2;
      for (let n = this.dupCount - 1; n >= 0; n--) {
        const i = (this.dupHead + n) % cap;
        const age = now - (this.dupTimes[i] as number);
        if (age >= window) break;
        if (this.dupConIds[i] === conId && this.dupSides[i] === sideCode && this.dupQuantities[i] === quantity) {
          return reject('duplicate-order', `Same order as one sent ${num(Math.max(0, age))} ms ago (${side} ${num(quantity)} ${symbol}): confirm to send it again`);
        }
      }
    }
    return ACCEPTED;
  }

  private record(intent: OrderIntent, now: number): void {
    const rateCap = this.rateTimes.length;
    if (this.rateCount < rateCap) {
      this.rateTimes[(this.rateHead + this.rateCount) % rateCap] = now;
      this.rateCount++;
    } else {
      this.rateTimes[this.rateHead] = now;
      this.rateHead = (this.rateHead + 1) % rateCap;
    }
    if (intent.replacesQuantity !== undefined) return;
    const cap = this.dupTimes.length;
    let i: number;
    if (this.dupCount < cap) {
      i = (this.dupHead + this.dupCount) % cap;
      this.dupCount++;
    } else {
      i = this.dupHead;
      this.dupHead = (this.dupHead + 1) % cap;
    }
    this.dupTimes[i] = now;
    this.dupConIds[i] = intent.conId;
    this.dupQuantities[i] = intent.quantity;
    this.dupSides[i] = intent.side === 'BUY' ? 1 : 2;
  }
}

function bandReason(which: string, price: number, last: number, bandPct: number): string {
  const off = ((price - last) / last) * 100;
  return `${which} price ${num(price)} is ${pct(Math.abs(off))} ${off > 0 ? 'above' : 'below'} the last price ${num(last)} (band: ±${pct(bandPct)})`;
}

/** Enough slots for every order the rate limit can let through within the duplicate window. */
function duplicateCapacity(limits: RiskLimits): number {
  const { maxOrders, windowMs } = limits.rateLimit;
  const windows = Math.max(1, Math.ceil(limits.duplicateWindowMs / windowMs));
  return Math.min(MAX_DUPLICATE_RING, Math.max(1, maxOrders * (windows + 1)));
}
