// Market data at the venue: quote subscriptions (reqMktData), 5-second real-time bars, historical
// bars with keepUpToDate, contract details and head timestamps — with IB's line limit (101),
// duplicate ticker ids (102), unknown contracts (200) and historical pacing (162).
import type { Clock } from '../../clock';
import type { Logger } from '../../ops';
import type { BarSource, InstrumentSpec, MarketModel, MarketTick } from '../market/types';
import { TICK } from '../protocol/constants';
import { ERR, TEXT } from '../protocol/errors';
import type { Request } from '../protocol/incoming';
import {
  contractData,
  contractDataEnd,
  headTimestamp,
  historicalData,
  historicalDataUpdate,
  marketDataType,
  realTimeBar,
  tickPrice,
  tickSize,
  tickSnapshotEnd,
  tickString,
  type BarData,
} from '../protocol/outgoing';
import { DAY_MS, formatDay, formatLocal, formatWithZone, FormatError, parseBarSize, parseDuration, parseEndDateTime, TWS_TIME_ZONE } from './formats';
import { HistoricalPacing } from './pacing';
import type { ClientSession } from './session';
import { wireContract } from './wire';

type Req<T extends Request['type']> = Extract<Request, { type: T }>;

interface QuoteSub {
  readonly reqId: number;
  readonly instrument: InstrumentSpec;
  bid?: number;
  ask?: number;
  bidSize?: number;
  askSize?: number;
  high?: number;
  low?: number;
  volume: number;
}

interface RealTimeBarSub {
  readonly reqId: number;
  readonly instrument: InstrumentSpec;
  readonly source: BarSource;
  readonly rthOnly: boolean;
  nextEnd: number;
}

interface UpdatingHistorySub {
  readonly reqId: number;
  readonly instrument: InstrumentSpec;
  readonly source: BarSource;
  readonly rthOnly: boolean;
  readonly barSizeMs: number;
  readonly formatDate: number;
  lastSentAt: number;
  lastSent: string;
}

interface SessionFeeds {
  readonly quotes: Map<number, QuoteSub>;
  readonly bars: Map<number, RealTimeBarSub>;
  readonly updating: Map<number, UpdatingHistorySub>;
  readonly pacing: HistoricalPacing;
}

export interface MarketDataOptions {
  readonly model: MarketModel;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Simultaneous market data lines for the whole account (IB's default: 100). */
  readonly lines: number;
  readonly wallNow: () => number;
}

const REAL_TIME_BAR_MS = 5_000;
/** keepUpToDate refreshes the forming bar at most this often (venue time). */
const HISTORY_UPDATE_MS = 1_000;
/** A request for more bars than this is refused instead of building a huge message. */
const MAX_BARS = 100_000;

export class MarketDataDesk {
  private readonly feeds = new Map<ClientSession, SessionFeeds>();
  /** While a farm or IB connectivity is down, no market data flows (subscriptions stay). */
  private paused = false;

  constructor(private readonly options: MarketDataOptions) {}

  private feedsOf(session: ClientSession): SessionFeeds {
    let f = this.feeds.get(session);
    if (!f) {
      f = { quotes: new Map(), bars: new Map(), updating: new Map(), pacing: new HistoricalPacing() };
      this.feeds.set(session, f);
    }
    return f;
  }

  linesInUse(): number {
    let n = 0;
    for (const f of this.feeds.values()) n += f.quotes.size + f.bars.size;
    return n;
  }

  /** Every instrument somebody is watching: the venue pulls their ticks. */
  activeConIds(into: Set<number>): void {
    for (const f of this.feeds.values()) {
      for (const s of f.quotes.values()) into.add(s.instrument.conId);
      for (const s of f.bars.values()) into.add(s.instrument.conId);
      for (const s of f.updating.values()) into.add(s.instrument.conId);
    }
  }

  dropSession(session: ClientSession): void {
    this.feeds.delete(session);
  }

  /** 1101: connectivity restored but data lost: every subscription is gone and must be renewed. */
  dropAllSubscriptions(): void {
    for (const f of this.feeds.values()) {
      f.quotes.clear();
      f.bars.clear();
      f.updating.clear();
    }
  }

  setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (!paused) {
      // Resume with full quotes, not deltas against what was true before the outage.
      for (const f of this.feeds.values()) {
        for (const s of f.quotes.values()) {
          delete s.bid;
          delete s.ask;
          delete s.bidSize;
          delete s.askSize;
        }
        for (const s of f.bars.values()) s.nextEnd = nextBoundary(this.options.clock.now(), REAL_TIME_BAR_MS);
      }
    }
  }

  /** Resolves a request's contract to exactly one instrument, or answers error 200. */
  resolve(session: ClientSession, reqId: number, query: Req<'reqMktData'>['contract']): InstrumentSpec | undefined {
    const matches = this.options.model.resolve(query);
    if (matches.length === 1) return matches[0];
    const what = [query.symbol, query.secType, query.exchange, query.currency].filter((x) => x).join(' ') || `conId ${query.conId ?? 0}`;
    session.error(reqId, ERR.NO_SECURITY, matches.length === 0 ? `${TEXT.noSecurity} (${what})` : `The contract description specified for ${what} is ambiguous`);
    return undefined;
  }

  // --- quotes -------------------------------------------------------------------------------

  reqMktData(session: ClientSession, req: Req<'reqMktData'>): void {
    const f = this.feedsOf(session);
    if (!req.snapshot && !req.regulatorySnapshot) {
      if (f.quotes.has(req.reqId)) {
        session.error(req.reqId, ERR.DUPLICATE_TICKER, TEXT.duplicateTicker(req.reqId));
        return;
      }
      if (this.linesInUse() >= this.options.lines) {
        session.error(req.reqId, ERR.MAX_TICKERS, TEXT.maxTickers);
        return;
      }
    }
    const instrument = this.resolve(session, req.reqId, req.contract);
    if (!instrument) return;
    const sub: QuoteSub = { reqId: req.reqId, instrument, volume: 0 };
    session.send(marketDataType(req.reqId, 1));
    this.sendFullQuote(session, sub);
    if (req.snapshot || req.regulatorySnapshot) {
      session.send(tickSnapshotEnd(req.reqId));
      return;
    }
    f.quotes.set(req.reqId, sub);
  }

  cancelMktData(session: ClientSession, reqId: number): void {
    if (!this.feedsOf(session).quotes.delete(reqId)) session.error(reqId, ERR.TICKER_NOT_FOUND, TEXT.tickerNotFound(reqId));
  }

  private sendFullQuote(session: ClientSession, sub: QuoteSub): void {
    const now = this.options.clock.now();
    const { conId } = sub.instrument;
    const tick = this.options.model.lastTick(conId, now);
    const day = this.options.model.daySummary(conId, now);
    const id = sub.reqId;
    if (tick) {
      this.sendQuoteChange(session, sub, tick);
      const trade = this.lastTrade(conId, now);
      if (trade) {
        session.send(tickPrice(id, TICK.LAST, trade.price, trade.size), 'market-data');
        session.send(tickSize(id, TICK.LAST_SIZE, trade.size), 'market-data');
        session.send(tickString(id, TICK.LAST_TIMESTAMP, String(Math.floor(trade.time / 1000))), 'market-data');
      }
    }
    if (day.high !== undefined) session.send(tickPrice(id, TICK.HIGH, day.high, undefined), 'market-data');
    if (day.low !== undefined) session.send(tickPrice(id, TICK.LOW, day.low, undefined), 'market-data');
    if (sub.instrument.hasTrades) session.send(tickSize(id, TICK.VOLUME, day.volume), 'market-data');
    session.send(tickPrice(id, TICK.CLOSE, day.prevClose, undefined), 'market-data');
    if (day.open !== undefined) session.send(tickPrice(id, TICK.OPEN, day.open, undefined), 'market-data');
    if (day.high !== undefined) sub.high = day.high;
    if (day.low !== undefined) sub.low = day.low;
    sub.volume = day.volume;
  }

  private sendQuoteChange(session: ClientSession, sub: QuoteSub, t: MarketTick): void {
    const id = sub.reqId;
    if (t.bid !== sub.bid || t.bidSize !== sub.bidSize) {
      // TICK_PRICE carries the size too, but @stoqey/ib drops it for bids (tick type 0): TWS also sends TICK_SIZE.
      session.send(tickPrice(id, TICK.BID, t.bid, t.bidSize), 'market-data');
      session.send(tickSize(id, TICK.BID_SIZE, t.bidSize), 'market-data');
      sub.bid = t.bid;
      sub.bidSize = t.bidSize;
    }
    if (t.ask !== sub.ask || t.askSize !== sub.askSize) {
      session.send(tickPrice(id, TICK.ASK, t.ask, t.askSize), 'market-data');
      session.send(tickSize(id, TICK.ASK_SIZE, t.askSize), 'market-data');
      sub.ask = t.ask;
      sub.askSize = t.askSize;
    }
  }

  /** The most recent trade at or before `atMs`, looking back up to a day. */
  private lastTrade(conId: number, atMs: number): { price: number; size: number; time: number } | undefined {
    for (const back of [10_000, 60_000, 600_000, 3_600_000, DAY_MS]) {
      const ticks = this.options.model.ticks(conId, atMs - back, atMs);
      for (let i = ticks.length - 1; i >= 0; i--) {
        const t = ticks[i] as MarketTick;
        if (t.trade) return { price: t.trade.price, size: t.trade.size, time: t.time };
      }
    }
    return undefined;
  }

  /** Streams one instrument's new ticks to its quote subscribers. */
  onTicks(conId: number, ticks: readonly MarketTick[]): void {
    if (this.paused || ticks.length === 0) return;
    for (const [session, f] of this.feeds) {
      for (const sub of f.quotes.values()) {
        if (sub.instrument.conId !== conId) continue;
        for (const t of ticks) this.streamTick(session, sub, t);
      }
    }
  }

  private streamTick(session: ClientSession, sub: QuoteSub, t: MarketTick): void {
    this.sendQuoteChange(session, sub, t);
    if (!t.trade) return;
    const id = sub.reqId;
    if (t.dayVolume < sub.volume) {
      // A new trading day: high and low start again from this trade.
      delete sub.high;
      delete sub.low;
    }
    session.send(tickPrice(id, TICK.LAST, t.trade.price, t.trade.size), 'market-data');
    session.send(tickSize(id, TICK.LAST_SIZE, t.trade.size), 'market-data');
    session.send(tickSize(id, TICK.VOLUME, t.dayVolume), 'market-data');
    session.send(tickString(id, TICK.LAST_TIMESTAMP, String(Math.floor(t.time / 1000))), 'market-data');
    sub.volume = t.dayVolume;
    if (sub.high === undefined || t.trade.price > sub.high) {
      sub.high = t.trade.price;
      session.send(tickPrice(id, TICK.HIGH, sub.high, undefined), 'market-data');
    }
    if (sub.low === undefined || t.trade.price < sub.low) {
      sub.low = t.trade.price;
      session.send(tickPrice(id, TICK.LOW, sub.low, undefined), 'market-data');
    }
  }

  // --- real-time bars -----------------------------------------------------------------------

  reqRealTimeBars(session: ClientSession, req: Req<'reqRealTimeBars'>): void {
    const f = this.feedsOf(session);
    if (f.bars.has(req.reqId) || f.quotes.has(req.reqId)) {
      session.error(req.reqId, ERR.DUPLICATE_TICKER, TEXT.duplicateTicker(req.reqId));
      return;
    }
    if (req.barSize !== 5) {
      session.error(req.reqId, ERR.BAD_REQUEST, TEXT.badRequest('rb', `real-time bars are 5 seconds only, not ${req.barSize}`));
      return;
    }
    if (this.linesInUse() >= this.options.lines) {
      session.error(req.reqId, ERR.MAX_TICKERS, TEXT.maxTickers);
      return;
    }
    const instrument = this.resolve(session, req.reqId, req.contract);
    if (!instrument) return;
    const source = this.barSource(session, req.reqId, instrument, req.whatToShow);
    if (!source) return;
    const nextEnd = nextBoundary(this.options.clock.now(), REAL_TIME_BAR_MS);
    f.bars.set(req.reqId, { reqId: req.reqId, instrument, source, rthOnly: req.useRth, nextEnd });
  }

  cancelRealTimeBars(session: ClientSession, reqId: number): void {
    this.feedsOf(session).bars.delete(reqId);
  }

  // --- historical ---------------------------------------------------------------------------

  reqHistoricalData(session: ClientSession, req: Req<'reqHistoricalData'>): void {
    const id = req.reqId;
    const now = this.options.clock.now();
    let endMs: number;
    let durationMs: number;
    let barSizeMs: number;
    try {
      if (req.keepUpToDate && req.endDateTime.trim() !== '') {
        throw new FormatError('an end date/time cannot be combined with keepUpToDate');
      }
      endMs = Math.min(parseEndDateTime(req.endDateTime, now), now);
      durationMs = parseDuration(req.duration);
      barSizeMs = parseBarSize(req.barSize);
    } catch (err) {
      session.error(id, ERR.BAD_REQUEST, TEXT.badRequest('hd', (err as Error).message));
      return;
    }
    const instrument = this.resolve(session, id, req.contract);
    if (!instrument) return;
    const source = this.barSource(session, id, instrument, req.whatToShow);
    if (!source) return;
    if (durationMs / barSizeMs > MAX_BARS) {
      session.error(id, ERR.HISTORICAL_SERVICE, 'Historical Market Data Service error message:Requested duration is too long for the bar size');
      return;
    }
    const f = this.feedsOf(session);
    const verdict = f.pacing.admit({ conId: instrument.conId, source, endKey: req.endDateTime, duration: req.duration, barSizeMs }, this.options.wallNow());
    if (verdict !== 'ok') {
      session.error(id, ERR.HISTORICAL_SERVICE, TEXT.historicalPacing);
      this.options.logger.debug({ reqId: id, verdict }, 'sim historical pacing violation');
      return;
    }
    const bars = this.options.model.bars(instrument.conId, {
      endMs,
      durationMs,
      barSizeMs,
      source,
      rthOnly: req.useRth,
      includeForming: req.keepUpToDate,
    });
    const start = formatLocal(endMs - durationMs, TWS_TIME_ZONE);
    const end = formatLocal(endMs, TWS_TIME_ZONE);
    session.send(
      historicalData(
        session.version,
        id,
        start,
        end,
        bars.map((b) => this.barData(instrument, b, barSizeMs, req.formatDate)),
      ),
    );
    if (req.keepUpToDate) {
      const last = bars[bars.length - 1];
      f.updating.set(id, {
        reqId: id,
        instrument,
        source,
        rthOnly: req.useRth,
        barSizeMs,
        formatDate: req.formatDate,
        lastSentAt: now,
        lastSent: last ? JSON.stringify(last) : '',
      });
    }
  }

  cancelHistoricalData(session: ClientSession, reqId: number): void {
    if (!this.feedsOf(session).updating.delete(reqId)) {
      session.error(reqId, ERR.HISTORICAL_NOT_FOUND, TEXT.historicalNotFound(reqId));
    }
  }

  reqHeadTimestamp(session: ClientSession, req: Req<'reqHeadTimestamp'>, originMs: number): void {
    const instrument = this.resolve(session, req.reqId, req.contract);
    if (!instrument) return;
    const value = req.formatDate === 2 ? String(Math.floor(originMs / 1000)) : formatLocal(originMs, TWS_TIME_ZONE);
    session.send(headTimestamp(req.reqId, value));
  }

  reqContractDetails(session: ClientSession, req: Req<'reqContractDetails'>): void {
    const matches = this.options.model.resolve(req.contract);
    if (matches.length === 0) {
      session.error(req.reqId, ERR.NO_SECURITY, TEXT.noSecurity);
      return;
    }
    const now = this.options.clock.now();
    for (const i of matches) {
      const hours = this.options.model.hours(i.conId, now);
      session.send(
        contractData(session.version, req.reqId, {
          contract: wireContract(i),
          marketName: i.tradingClass,
          minTick: i.minTick,
          orderTypes: i.orderTypes,
          validExchanges: i.validExchanges,
          longName: i.longName,
          contractMonth: i.contractMonth,
          industry: i.industry,
          category: i.category,
          subcategory: '',
          timeZoneId: i.timeZoneId,
          tradingHours: hours.tradingHours,
          liquidHours: hours.liquidHours,
          stockType: i.secType === 'STK' ? (i.symbol === 'SPY' ? 'ETF' : 'COMMON') : '',
          minSize: i.secType === 'CASH' ? i.lotSize : 1,
          sizeIncrement: 1,
          realExpirationDate: i.lastTradeDateOrContractMonth,
        }),
      );
    }
    session.send(contractDataEnd(req.reqId));
  }

  /** Maps whatToShow to a bar source, or answers error 162 for what this instrument does not have. */
  private barSource(session: ClientSession, reqId: number, i: InstrumentSpec, whatToShow: string): BarSource | undefined {
    const w = whatToShow.trim().toUpperCase();
    if (w === 'TRADES' && !i.hasTrades) {
      session.error(reqId, ERR.HISTORICAL_SERVICE, `Historical Market Data Service error message:No historical market data for ${i.symbol}/${i.secType}@${i.exchange} Last 0`);
      return undefined;
    }
    if (w === 'TRADES' || w === 'MIDPOINT' || w === 'BID' || w === 'ASK') return w;
    session.error(
      reqId,
      ERR.HISTORICAL_SERVICE,
      `Historical Market Data Service error message:whatToShow '${whatToShow}' is not served by the simulator (TRADES, MIDPOINT, BID, ASK)`,
    );
    return undefined;
  }

  private barData(
    i: InstrumentSpec,
    b: { time: number; open: number; high: number; low: number; close: number; volume: number; wap: number; count: number },
    barSizeMs: number,
    formatDate: number,
  ): BarData {
    const date = formatDate === 2 ? String(Math.floor(b.time / 1000)) : barSizeMs >= DAY_MS ? formatDay(b.time, i.timeZoneId) : formatWithZone(b.time, i.timeZoneId);
    return { date, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, wap: b.wap, count: b.count };
  }

  /** Time passes: real-time bars close every 5 s; keepUpToDate subscribers get the forming bar. */
  onTime(now: number): void {
    if (this.paused) return;
    for (const [session, f] of this.feeds) {
      for (const sub of f.bars.values()) {
        while (sub.nextEnd <= now) {
          const [bar] = this.options.model.bars(sub.instrument.conId, {
            endMs: sub.nextEnd,
            durationMs: REAL_TIME_BAR_MS,
            barSizeMs: REAL_TIME_BAR_MS,
            source: sub.source,
            rthOnly: sub.rthOnly,
          });
          if (bar && bar.time === sub.nextEnd - REAL_TIME_BAR_MS) {
            session.send(realTimeBar(sub.reqId, Math.floor(bar.time / 1000), bar), 'market-data');
          }
          sub.nextEnd += REAL_TIME_BAR_MS;
        }
      }
      for (const sub of f.updating.values()) {
        if (now - sub.lastSentAt < HISTORY_UPDATE_MS) continue;
        sub.lastSentAt = now;
        const barStart = Math.floor(now / sub.barSizeMs) * sub.barSizeMs;
        const bars = this.options.model.bars(sub.instrument.conId, {
          endMs: now,
          durationMs: now - barStart + sub.barSizeMs,
          barSizeMs: sub.barSizeMs,
          source: sub.source,
          rthOnly: sub.rthOnly,
          includeForming: true,
        });
        const last = bars[bars.length - 1];
        if (!last) continue;
        const key = JSON.stringify(last);
        if (key === sub.lastSent) continue;
        sub.lastSent = key;
        session.send(historicalDataUpdate(sub.reqId, this.barData(sub.instrument, last, sub.barSizeMs, sub.formatDate)), 'market-data');
      }
    }
  }
}

function nextBoundary(now: number, step: number): number {
  return Math.floor(now / step) * step + step;
}
