// The simulator's wire protocol against @stoqey/ib's own decoder and encoder, at every server version
// the simulator negotiates (100..193): every message it sends decodes without underrun or leftover
// fields into the values it encoded, and every request the client encodes parses into what was asked.
import { BarSizeSetting, EventName, OrderAction, OrderType, SecType, TimeInForce, type Contract, type Order } from '@stoqey/ib';
import { Decoder } from '@stoqey/ib/dist/core/io/decoder';
import { Encoder } from '@stoqey/ib/dist/core/io/encoder';
import { describe, expect, it } from 'vitest';
import { MAX_SERVER_VERSION, MIN_CLIENT_VERSION, V } from '../../../src/main/sim/protocol/constants';
import { parseRequest, type Request } from '../../../src/main/sim/protocol/incoming';
import { completedOrder, openOrder, type WireOrder } from '../../../src/main/sim/protocol/orders';
import * as out from '../../../src/main/sim/protocol/outgoing';
import { CON_ID } from '../../support/fixtures';

const VERSIONS = Array.from({ length: MAX_SERVER_VERSION - MIN_CLIENT_VERSION + 1 }, (_, i) => MIN_CLIENT_VERSION + i);

interface Decoded {
  events: { name: string; args: unknown[] }[];
  errors: { message: string; code: number; reqId: number | undefined }[];
}

function decode(version: number, fields: string[]): Decoded {
  const result: Decoded = { events: [], errors: [] };
  const decoder = new Decoder({
    serverVersion: version,
    emitEvent: (name: string, ...args: unknown[]) => result.events.push({ name, args }),
    emitError: (message: string, code: number, reqId?: number) => result.errors.push({ message, code, reqId }),
    emitInfo: (message: string, code: number) => result.events.push({ name: 'info', args: [message, code] }),
  });
  decoder.enqueueMessage(fields);
  decoder.process();
  return result;
}

/** Decodes and insists the decoder consumed exactly the message (no 505 underrun / leftover). */
function decodeClean(version: number, fields: string[]): Decoded['events'] {
  const { events, errors } = decode(version, fields);
  expect(errors, `v${version}: ${JSON.stringify(errors)}`).toEqual([]);
  return events;
}

const ES: out.WireContract = {
  conId: 637533641,
  symbol: 'ES',
  secType: 'FUT',
  lastTradeDateOrContractMonth: '20261218',
  multiplier: 50,
  exchange: 'CME',
  primaryExchange: 'CME',
  currency: 'USD',
  localSymbol: 'ESZ6',
  tradingClass: 'ES',
};
const AAPL: out.WireContract = {
  ...ES,
  conId: CON_ID.AAPL,
  symbol: 'AAPL',
  secType: 'STK',
  lastTradeDateOrContractMonth: '',
  multiplier: 1,
  exchange: 'SMART',
  primaryExchange: 'NASDAQ',
  localSymbol: 'AAPL',
  tradingClass: 'NMS',
};

describe('server → client messages decode cleanly at every version', () => {
  it.each(VERSIONS)('market data at v%i', (v) => {
    expect(decodeClean(v, out.tickPrice(7, 1, 230.15, 300))).toEqual([{ name: EventName.tickPrice, args: [7, 1, 230.15, false] }]);
    expect(decodeClean(v, out.tickPrice(7, 2, 230.17, 500))).toEqual([
      { name: EventName.tickPrice, args: [7, 2, 230.17, false] },
      { name: EventName.tickSize, args: [7, 3, 500] },
    ]);
    expect(decodeClean(v, out.tickSize(7, 0, 300))).toEqual([{ name: EventName.tickSize, args: [7, 0, 300] }]);
    expect(decodeClean(v, out.tickString(7, 45, '1795251058'))).toEqual([{ name: EventName.tickString, args: [7, 45, '1795251058'] }]);
    expect(decodeClean(v, out.tickGeneric(7, 49, 0))).toEqual([{ name: EventName.tickGeneric, args: [7, 49, 0] }]);
    expect(decodeClean(v, out.marketDataType(7, 1))).toEqual([{ name: EventName.marketDataType, args: [7, 1] }]);
    expect(decodeClean(v, out.tickSnapshotEnd(7))).toEqual([{ name: EventName.tickSnapshotEnd, args: [7] }]);
    expect(decodeClean(v, out.realTimeBar(9, 1795251055, { open: 1.1, high: 1.3, low: 1.0, close: 1.2, volume: 1500, wap: 1.15, count: 12 }))).toEqual([
      { name: EventName.realtimeBar, args: [9, 1795251055, 1.1, 1.3, 1.0, 1.2, 1500, 1.15, 12] },
    ]);
  });

  it.each(VERSIONS)('historical data at v%i', (v) => {
    const bars = [
      { date: '20261120 09:30:00 America/New_York', open: 230, high: 231.5, low: 229.75, close: 231, volume: 12000, wap: 230.6, count: 88 },
      { date: '20261120 09:31:00 America/New_York', open: 231, high: 231.2, low: 230.1, close: 230.4, volume: 9000, wap: 230.7, count: 61 },
    ];
    const events = decodeClean(v, out.historicalData(v, 4, '20261120 09:30:00', '20261120 09:32:00', bars));
    expect(events.slice(0, 2)).toEqual(
      bars.map((b) => ({
        name: EventName.historicalData,
        args: [4, b.date, b.open, b.high, b.low, b.close, b.volume, b.count, b.wap, v < V.SYNT_REALTIME_BARS ? false : undefined],
      })),
    );
    expect(events[2]?.args[1]).toBe('finished-20261120 09:30:00-20261120 09:32:00');
    if (v >= V.SYNT_REALTIME_BARS) {
      const b = bars[1]!;
      expect(decodeClean(v, out.historicalDataUpdate(4, b))).toEqual([
        { name: EventName.historicalDataUpdate, args: [4, b.date, b.open, b.high, b.low, b.close, b.volume, b.count, b.wap] },
      ]);
    }
    expect(decodeClean(v, out.headTimestamp(5, '20261116 00:00:00'))).toEqual([{ name: EventName.headTimestamp, args: [5, '20261116 00:00:00'] }]);
  });

  it.each(VERSIONS)('connection, errors and contract details at v%i', (v) => {
    expect(decodeClean(v, out.managedAccounts(['DU1234567']))).toEqual([{ name: EventName.managedAccounts, args: ['DU1234567'] }]);
    expect(decodeClean(v, out.nextValidId(101))).toEqual([{ name: EventName.nextValidId, args: [101] }]);
    expect(decodeClean(v, out.currentTime(1795251058))).toEqual([{ name: EventName.currentTime, args: [1795251058] }]);
    expect(decodeClean(v, out.errorMessage(v, -1, 2104, 'Market data farm connection is OK:usfarm'))).toEqual([
      { name: 'info', args: ['Market data farm connection is OK:usfarm', 2104] },
    ]);
    const { events, errors } = decode(v, out.errorMessage(v, 12, 200, 'No security definition has been found for the request'));
    expect(events).toEqual([]);
    expect(errors).toEqual([{ message: 'No security definition has been found for the request', code: 200, reqId: 12 }]);

    const details = decodeClean(
      v,
      out.contractData(v, 3, {
        contract: ES,
        marketName: 'ES',
        minTick: 0.25,
        orderTypes: 'LMT,MKT,STP,STP LMT',
        validExchanges: 'CME',
        longName: 'E-mini S&P 500',
        contractMonth: '202612',
        industry: '',
        category: '',
        subcategory: '',
        timeZoneId: 'America/Chicago',
        tradingHours: '20261120:1700-20261121:1600',
        liquidHours: '20261121:0830-20261121:1500',
        stockType: '',
        minSize: 1,
        sizeIncrement: 1,
        realExpirationDate: '20261218',
      }),
    );
    expect(details).toHaveLength(1);
    const [reqId, cd] = details[0]!.args as [number, Record<string, unknown> & { contract: Contract }];
    expect(reqId).toBe(3);
    expect(cd.contract).toMatchObject({
      conId: ES.conId,
      symbol: 'ES',
      secType: 'FUT',
      lastTradeDateOrContractMonth: '20261218',
      multiplier: 50,
      exchange: 'CME',
      currency: 'USD',
      localSymbol: 'ESZ6',
      tradingClass: 'ES',
      primaryExch: 'CME',
    });
    expect(cd).toMatchObject({ minTick: 0.25, longName: 'E-mini S&P 500', timeZoneId: 'America/Chicago', contractMonth: '202612', orderTypes: 'LMT,MKT,STP,STP LMT' });
    expect(decodeClean(v, out.contractDataEnd(3))).toEqual([{ name: EventName.contractDetailsEnd, args: [3] }]);
  });

  const order: WireOrder = {
    orderId: 17,
    clientId: 5,
    permId: 1000000017,
    action: 'BUY',
    totalQuantity: 3,
    orderType: 'STP LMT',
    lmtPrice: 5901.25,
    auxPrice: 5900.5,
    tif: 'GTC',
    account: 'DU1234567',
    orderRef: 'dd-8f2c',
    outsideRth: true,
    filledQuantity: 1,
    status: 'Submitted',
    completedTime: '20261120 10:02:03 America/New_York',
    completedStatus: 'Cancelled by Trader',
  };

  it.each(VERSIONS)('orders, executions and commissions at v%i', (v) => {
    const [open] = decodeClean(v, openOrder(v, ES, order));
    expect(open?.name).toBe(EventName.openOrder);
    const [orderId, contract, decodedOrder, state] = open!.args as [number, Contract, Order, { status: string }];
    expect(orderId).toBe(17);
    expect(contract).toMatchObject({ conId: ES.conId, symbol: 'ES', secType: 'FUT', multiplier: 50, exchange: 'CME', currency: 'USD', localSymbol: 'ESZ6', tradingClass: 'ES' });
    expect(decodedOrder).toMatchObject({
      action: 'BUY',
      totalQuantity: 3,
      orderType: 'STP LMT',
      lmtPrice: 5901.25,
      auxPrice: 5900.5,
      tif: 'GTC',
      account: 'DU1234567',
      orderRef: 'dd-8f2c',
      clientId: 5,
      permId: 1000000017,
      outsideRth: true,
    });
    expect(state.status).toBe('Submitted');

    const mkt = decodeClean(v, openOrder(v, AAPL, { ...order, orderType: 'MKT', lmtPrice: undefined, auxPrice: undefined }));
    expect((mkt[0]!.args[2] as Order).lmtPrice).toBeUndefined();

    if (v >= 150) {
      const [done] = decodeClean(v, completedOrder(v, ES, { ...order, status: 'Cancelled' }));
      const [c, o, s] = done!.args as [Contract, Order, Record<string, unknown>];
      expect(c).toMatchObject({ conId: ES.conId, localSymbol: 'ESZ6' });
      expect(o).toMatchObject({ action: 'BUY', totalQuantity: 3, orderRef: 'dd-8f2c', permId: 1000000017, filledQuantity: 1 });
      expect(s).toMatchObject({ status: 'Cancelled', completedTime: '20261120 10:02:03 America/New_York', completedStatus: 'Cancelled by Trader' });
      expect(decodeClean(v, out.completedOrdersEnd())).toEqual([{ name: EventName.completedOrdersEnd, args: [] }]);
    }
    expect(decodeClean(v, out.openOrderEnd())).toEqual([{ name: EventName.openOrderEnd, args: [] }]);

    const status = decodeClean(
      v,
      out.orderStatus(v, {
        orderId: 17,
        status: 'Filled',
        filled: 3,
        remaining: 0,
        avgFillPrice: 5901,
        permId: 1000000017,
        parentId: 0,
        lastFillPrice: 5901.25,
        clientId: 5,
        whyHeld: '',
        mktCapPrice: 0,
      }),
    );
    expect(status).toEqual([{ name: EventName.orderStatus, args: [17, 'Filled', 3, 0, 5901, 1000000017, 0, 5901.25, 5, '', v >= V.MARKET_CAP_PRICE ? 0 : undefined] }]);

    const [exec] = decodeClean(
      v,
      out.executionData(v, {
        reqId: -1,
        orderId: 17,
        contract: ES,
        execId: '0000e0d5.65b8a1c3.01.01',
        time: '20261120 10:01:59 America/New_York',
        account: 'DU1234567',
        exchange: 'CME',
        side: 'BOT',
        shares: 2,
        price: 5901.25,
        permId: 1000000017,
        clientId: 5,
        cumQty: 2,
        avgPrice: 5901.125,
        orderRef: 'dd-8f2c',
        lastLiquidity: 2,
      }),
    );
    const [execReqId, execContract, e] = exec!.args as [number, Contract, Record<string, unknown>];
    expect(execReqId).toBe(-1);
    expect(execContract).toMatchObject({ conId: ES.conId, symbol: 'ES', multiplier: 50, localSymbol: 'ESZ6' });
    expect(e).toMatchObject({
      orderId: 17,
      execId: '0000e0d5.65b8a1c3.01.01',
      time: '20261120 10:01:59 America/New_York',
      acctNumber: 'DU1234567',
      side: 'BOT',
      shares: 2,
      price: 5901.25,
      permId: 1000000017,
      clientId: 5,
      cumQty: 2,
      avgPrice: 5901.125,
      orderRef: 'dd-8f2c',
    });
    if (v >= V.LAST_LIQUIDITY) expect(e['lastLiquidity']).toBe(2);
    expect(decodeClean(v, out.executionDataEnd(8))).toEqual([{ name: EventName.execDetailsEnd, args: [8] }]);

    expect(decodeClean(v, out.commissionReport('0000e0d5.65b8a1c3.01.01', 1.7, 'USD', undefined))).toEqual([
      {
        name: EventName.commissionReport,
        args: [{ execId: '0000e0d5.65b8a1c3.01.01', commission: 1.7, currency: 'USD', realizedPNL: undefined, yield: undefined, yieldRedemptionDate: 0 }],
      },
    ]);
  });

  it.each(VERSIONS)('account, positions and PnL at v%i', (v) => {
    expect(decodeClean(v, out.accountValue('NetLiquidation', '1000000.00', 'USD', 'DU1234567'))).toEqual([
      { name: EventName.updateAccountValue, args: ['NetLiquidation', '1000000.00', 'USD', 'DU1234567'] },
    ]);
    const [pf] = decodeClean(
      v,
      out.portfolioValue({
        contract: AAPL,
        position: -200,
        marketPrice: 230.5,
        marketValue: -46100,
        averageCost: 231.005,
        unrealizedPnL: 101,
        realizedPnL: 12.5,
        account: 'DU1234567',
      }),
    );
    expect(pf!.args.slice(1)).toEqual([-200, 230.5, -46100, 231.005, 101, 12.5, 'DU1234567']);
    expect(pf!.args[0]).toMatchObject({ conId: AAPL.conId, symbol: 'AAPL', primaryExch: 'NASDAQ', currency: 'USD' });
    expect(decodeClean(v, out.accountUpdateTime('10:02'))).toEqual([{ name: EventName.updateAccountTime, args: ['10:02'] }]);
    expect(decodeClean(v, out.accountDownloadEnd('DU1234567'))).toEqual([{ name: EventName.accountDownloadEnd, args: ['DU1234567'] }]);
    const [pos] = decodeClean(v, out.position('DU1234567', ES, 2, 295062.5));
    expect(pos!.args[0]).toBe('DU1234567');
    expect(pos!.args[1]).toMatchObject({ conId: ES.conId, multiplier: 50, localSymbol: 'ESZ6' });
    expect(pos!.args.slice(2)).toEqual([2, 295062.5]);
    expect(decodeClean(v, out.positionEnd())).toEqual([{ name: EventName.positionEnd, args: [] }]);
    expect(decodeClean(v, out.accountSummary(6, 'DU1234567', 'BuyingPower', '4000000.00', 'USD'))).toEqual([
      { name: EventName.accountSummary, args: [6, 'DU1234567', 'BuyingPower', '4000000.00', 'USD'] },
    ]);
    expect(decodeClean(v, out.accountSummaryEnd(6))).toEqual([{ name: EventName.accountSummaryEnd, args: [6] }]);
    expect(decodeClean(v, out.pnl(v, 10, -250.5, 120, -370.5))).toEqual([
      { name: EventName.pnl, args: [10, -250.5, v >= V.UNREALIZED_PNL ? 120 : undefined, v >= V.REALIZED_PNL ? -370.5 : undefined] },
    ]);
    expect(decodeClean(v, out.pnlSingle(v, 11, 100, 50, 40, 10, 23050))).toEqual([
      { name: EventName.pnlSingle, args: [11, 100, 50, v >= V.UNREALIZED_PNL ? 40 : undefined, v >= V.REALIZED_PNL ? 10 : undefined, 23050] },
    ]);
  });
});

/** What the client's socket puts on the wire for a token list: flattened, booleans as 1/0, empty for unset. */
function toFields(tokens: unknown[]): string[] {
  const flat = tokens.flat(Infinity);
  return flat.map((t) => (t === undefined || t === null ? '' : t === true ? '1' : t === false ? '0' : String(t as string | number)));
}

function encode(version: number, call: (e: Encoder) => void): Request | undefined {
  let sent: unknown[] | undefined;
  let refused: string | undefined;
  const encoder = new Encoder({
    serverVersion: version,
    sendMsg: (...tokens: unknown[]) => (sent = tokens),
    emitError: (message: string) => (refused = message),
  });
  call(encoder);
  if (refused !== undefined || sent === undefined) return undefined;
  return parseRequest(toFields(sent), version);
}

const aapl: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD', primaryExch: 'NASDAQ' };
const esContract: Contract = { symbol: 'ES', secType: SecType.FUT, exchange: 'CME', currency: 'USD', lastTradeDateOrContractMonth: '202612', conId: 637533641 };

describe('client → server requests parse into what the client asked, at every version', () => {
  it.each(VERSIONS)('market data, bars and contract requests at v%i', (v) => {
    expect(encode(v, (e) => e.reqMktData(7, aapl, '233', false, false))).toMatchObject({
      type: 'reqMktData',
      reqId: 7,
      contract: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', primaryExchange: 'NASDAQ', currency: 'USD' },
      genericTicks: '233',
      snapshot: false,
    });
    expect(encode(v, (e) => e.reqMktData(8, esContract, '', true, false))).toMatchObject({
      reqId: 8,
      snapshot: true,
      contract: { conId: 637533641, symbol: 'ES', lastTradeDateOrContractMonth: '202612' },
    });
    expect(encode(v, (e) => e.cancelMktData(7))).toEqual({ type: 'cancelMktData', reqId: 7 });
    expect(encode(v, (e) => e.reqRealTimeBars(9, aapl, 5, 'MIDPOINT', true, []))).toMatchObject({
      type: 'reqRealTimeBars',
      reqId: 9,
      barSize: 5,
      whatToShow: 'MIDPOINT',
      useRth: true,
      contract: { symbol: 'AAPL' },
    });
    expect(encode(v, (e) => e.cancelRealTimeBars(9))).toEqual({ type: 'cancelRealTimeBars', reqId: 9 });
    expect(encode(v, (e) => e.reqHistoricalData(4, esContract, '20261120 16:00:00 America/New_York', '1 D', BarSizeSetting.MINUTES_ONE, 'TRADES', 0, 1, false, []))).toMatchObject({
      type: 'reqHistoricalData',
      reqId: 4,
      contract: { symbol: 'ES', conId: 637533641 },
      endDateTime: '20261120 16:00:00 America/New_York',
      duration: '1 D',
      barSize: '1 min',
      whatToShow: 'TRADES',
      useRth: false,
      formatDate: 1,
      keepUpToDate: false,
    });
    if (v >= V.SYNT_REALTIME_BARS)
      expect(encode(v, (e) => e.reqHistoricalData(5, aapl, '', '3600 S', BarSizeSetting.SECONDS_FIVE, 'MIDPOINT', 1, 2, true, []))).toMatchObject({
        reqId: 5,
        useRth: true,
        formatDate: 2,
        keepUpToDate: true,
      });
    expect(encode(v, (e) => e.cancelHistoricalData(5))).toEqual({ type: 'cancelHistoricalData', reqId: 5 });
    expect(encode(v, (e) => e.reqContractDetails(3, { symbol: 'EUR', secType: SecType.CASH, currency: 'USD', exchange: 'IDEALPRO' }))).toMatchObject({
      type: 'reqContractDetails',
      reqId: 3,
      contract: { symbol: 'EUR', secType: 'CASH', currency: 'USD', exchange: 'IDEALPRO' },
    });
    if (v >= 118)
      expect(encode(v, (e) => e.reqHeadTimestamp(6, aapl, 'TRADES', true, 1))).toMatchObject({
        type: 'reqHeadTimestamp',
        reqId: 6,
        whatToShow: 'TRADES',
        useRth: true,
        formatDate: 1,
      });
    expect(encode(v, (e) => e.reqMarketDataType(3))).toEqual({ type: 'reqMarketDataType', marketDataType: 3 });
    expect(encode(v, (e) => e.reqCurrentTime())).toEqual({ type: 'reqCurrentTime' });
  });

  it.each(VERSIONS)('orders at v%i', (v) => {
    const limit: Order = {
      action: OrderAction.SELL,
      totalQuantity: 150,
      orderType: OrderType.LMT,
      lmtPrice: 231.25,
      tif: TimeInForce.GTC,
      account: 'DU1234567',
      orderRef: 'dd-1a2b',
      outsideRth: true,
      transmit: true,
    };
    expect(encode(v, (e) => e.placeOrder(21, aapl, limit))).toEqual({
      type: 'placeOrder',
      orderId: 21,
      contract: expect.objectContaining({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', primaryExchange: 'NASDAQ', currency: 'USD' }) as unknown,
      action: 'SELL',
      totalQuantity: 150,
      orderType: 'LMT',
      lmtPrice: 231.25,
      auxPrice: undefined,
      tif: 'GTC',
      ocaGroup: '',
      account: 'DU1234567',
      orderRef: 'dd-1a2b',
      transmit: true,
      parentId: 0,
      displaySize: undefined,
      outsideRth: true,
      hidden: false,
      goodAfterTime: '',
      goodTillDate: '',
      unsupported: [],
    });
    const stopLimit: Order = { action: OrderAction.BUY, totalQuantity: 2, orderType: OrderType.STP_LMT, lmtPrice: 5901.25, auxPrice: 5900.5, tif: TimeInForce.DAY, transmit: true };
    expect(encode(v, (e) => e.placeOrder(22, esContract, stopLimit))).toMatchObject({
      orderId: 22,
      orderType: 'STP LMT',
      lmtPrice: 5901.25,
      auxPrice: 5900.5,
      tif: 'DAY',
      totalQuantity: 2,
      contract: { conId: 637533641 },
    });
    // Unset transmit is sent empty, which TWS reads as "do not transmit".
    expect(encode(v, (e) => e.placeOrder(23, aapl, { action: OrderAction.BUY, totalQuantity: 1, orderType: OrderType.MKT }))).toMatchObject({
      transmit: false,
      lmtPrice: undefined,
    });
    // Optional blocks the simulator refuses are still walked past, so the message parses.
    const algo: Order = { ...limit, algoStrategy: 'Adaptive', algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }] };
    expect(encode(v, (e) => e.placeOrder(24, aapl, algo))).toMatchObject({ orderId: 24, unsupported: ['algo orders (Adaptive)'] });
    expect(encode(v, (e) => e.cancelOrder(21, { manualOrderCancelTime: '' }))).toEqual({ type: 'cancelOrder', orderId: 21, manualOrderCancelTime: '' });
    expect(encode(v, (e) => e.reqGlobalCancel({}))).toEqual({ type: 'reqGlobalCancel' });
    expect(encode(v, (e) => e.reqIds(1))).toEqual({ type: 'reqIds', numIds: 1 });
    expect(encode(v, (e) => e.reqOpenOrders())).toEqual({ type: 'reqOpenOrders' });
    expect(encode(v, (e) => e.reqAllOpenOrders())).toEqual({ type: 'reqAllOpenOrders' });
    expect(encode(v, (e) => e.reqAutoOpenOrders(true))).toEqual({ type: 'reqAutoOpenOrders', autoBind: true });
    if (v >= 150) expect(encode(v, (e) => e.reqCompletedOrders(false))).toEqual({ type: 'reqCompletedOrders', apiOnly: false });
    expect(
      encode(v, (e) =>
        e.reqExecutions(12, { clientId: '5', acctCode: 'DU1234567', time: '20261120 09:30:00', symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', side: 'BUY' }),
      ),
    ).toEqual({
      type: 'reqExecutions',
      reqId: 12,
      filter: { clientId: 5, account: 'DU1234567', time: '20261120 09:30:00', symbol: 'AAPL', secType: 'STK', exchange: 'SMART', side: 'BUY' },
    });
  });

  it.each(VERSIONS)('account requests at v%i', (v) => {
    expect(encode(v, (e) => e.reqAccountUpdates(true, 'DU1234567'))).toEqual({ type: 'reqAccountUpdates', subscribe: true, account: 'DU1234567' });
    expect(encode(v, (e) => e.reqPositions())).toEqual({ type: 'reqPositions' });
    expect(encode(v, (e) => e.cancelPositions())).toEqual({ type: 'cancelPositions' });
    expect(encode(v, (e) => e.reqAccountSummary(6, 'All', 'NetLiquidation,BuyingPower'))).toEqual({
      type: 'reqAccountSummary',
      reqId: 6,
      group: 'All',
      tags: 'NetLiquidation,BuyingPower',
    });
    expect(encode(v, (e) => e.cancelAccountSummary(6))).toEqual({ type: 'cancelAccountSummary', reqId: 6 });
    expect(encode(v, (e) => e.reqManagedAccts())).toEqual({ type: 'reqManagedAccts' });
    if (v >= 127) {
      expect(encode(v, (e) => e.reqPnL(10, 'DU1234567', ''))).toEqual({ type: 'reqPnL', reqId: 10, account: 'DU1234567', modelCode: '' });
      expect(encode(v, (e) => e.reqPnLSingle(11, 'DU1234567', '', CON_ID.AAPL))).toEqual({
        type: 'reqPnLSingle',
        reqId: 11,
        account: 'DU1234567',
        modelCode: '',
        conId: CON_ID.AAPL,
      });
      expect(encode(v, (e) => e.cancelPnL(10))).toEqual({ type: 'cancelPnL', reqId: 10 });
      expect(encode(v, (e) => e.cancelPnLSingle(11))).toEqual({ type: 'cancelPnLSingle', reqId: 11 });
    }
  });

  it('refuses malformed requests with a RequestError instead of crashing', () => {
    expect(() => parseRequest(['1', '11'], 193)).toThrow(/missing field reqId/);
    expect(() => parseRequest(['8', '1', 'many'], 193)).toThrow(/numIds must be an integer/);
    expect(() => parseRequest(['9999'], 193)).toThrow(/message id 9999 is not supported/);
    expect(() => parseRequest(['x'], 193)).toThrow(/message id must be an integer/);
  });
});
