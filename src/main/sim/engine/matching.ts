// Matching rules against the displayed quote: what an order can take from a tick, at which price,
// when a stop triggers, and which order goes first when several compete for the same displayed size.
import type { InstrumentSpec, MarketTick } from '../market/types';
import { priceAtLeast, priceAtMost } from './numbers';
import { isLimitType } from './orders';
import type { OrderAction, VenueOrderType } from './types';

/** The instrument's current tick and how much of its displayed size our orders already took. */
export interface QuoteState {
  readonly tick: MarketTick;
  takenBid: number;
  takenAsk: number;
}

export function freshQuote(tick: MarketTick): QuoteState {
  return { tick, takenBid: 0, takenAsk: 0 };
}

interface Matchable {
  readonly action: OrderAction;
  readonly orderType: VenueOrderType;
  readonly lmtPrice?: number;
  readonly remaining: number;
}

/**
 * What `order` can fill now: buys lift the ask, sells hit the bid, up to the displayed size that is left.
 * Limit-priced orders take the touch only when it is at or better than their limit, and then fill at the
 * touch (price improvement), not at their limit. Only the top of book is displayed, so one tick fills at one price.
 */
export function matchable(order: Matchable, quote: QuoteState): { price: number; quantity: number } | undefined {
  const buy = order.action === 'BUY';
  const price = buy ? quote.tick.ask : quote.tick.bid;
  const available = buy ? quote.tick.askSize - quote.takenAsk : quote.tick.bidSize - quote.takenBid;
  if (available <= 0 || order.remaining <= 0) return undefined;
  if (isLimitType(order.orderType)) {
    const limit = order.lmtPrice;
    if (limit === undefined) return undefined;
    if (buy ? !priceAtMost(price, limit) : !priceAtLeast(price, limit)) return undefined;
  }
  return { price, quantity: Math.min(order.remaining, available) };
}

/** Consumes displayed size: a tick's size can be taken once across all orders. */
export function take(quote: QuoteState, action: OrderAction, quantity: number): void {
  if (action === 'BUY') quote.takenAsk += quantity;
  else quote.takenBid += quantity;
}

/** A price through a buy stop is at or above it; through a sell stop at or below. */
function through(action: OrderAction, price: number, stop: number): boolean {
  return action === 'BUY' ? priceAtLeast(price, stop) : priceAtMost(price, stop);
}

/** The quote side a stop watches when there are no trades: the ask for buys, the bid for sells. */
function quoteThrough(action: OrderAction, tick: MarketTick, stop: number): boolean {
  return through(action, action === 'BUY' ? tick.ask : tick.bid, stop);
}

/** A resting stop triggers on a trade print through it (on the quote for instruments that print no trades). */
export function triggeredByTick(instrument: InstrumentSpec, action: OrderAction, stop: number, tick: MarketTick): boolean {
  if (!instrument.hasTrades) return quoteThrough(action, tick, stop);
  return tick.trade !== undefined && through(action, tick.trade.price, stop);
}

/**
 * A stop that just started working triggers if the market is already through it: the last trade seen
 * (when the instrument prints trades and one was seen), else the current quote.
 */
export function triggeredOnArrival(instrument: InstrumentSpec, action: OrderAction, stop: number, lastTrade: number | undefined, quote: QuoteState | undefined): boolean {
  if (instrument.hasTrades && lastTrade !== undefined) return through(action, lastTrade, stop);
  return quote !== undefined && quoteThrough(action, quote.tick, stop);
}

interface Prioritised extends Matchable {
  readonly seq: number;
}

/**
 * Who takes displayed size first: market-priced orders (MKT, triggered STP), then limit orders by price
 * (highest buy, lowest sell), then by time. Buys and sells draw from different sides, so mixing them is harmless.
 */
export function byPriority(a: Prioritised, b: Prioritised): number {
  const rank = (o: Prioritised): number => (isLimitType(o.orderType) ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (rank(a) === 1 && a.action === b.action) {
    const la = a.lmtPrice ?? 0;
    const lb = b.lmtPrice ?? 0;
    if (la !== lb) return a.action === 'BUY' ? lb - la : la - lb;
  }
  return a.seq - b.seq;
}
