// Server → client messages. Each encoder mirrors @stoqey/ib's decoder (dist/core/io/decoder.js)
// field by field, with the same server-version gates, so a client that negotiated any version from
// 100 to 193 reads exactly what was written (no underrun, no "unprocessed data left on queue").
import { IN, V } from './constants';
import { escapeNonAscii, FieldWriter } from './fields';

/** The contract fields the messages below carry. */
export interface WireContract {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly lastTradeDateOrContractMonth: string;
  readonly multiplier: number;
  readonly exchange: string;
  readonly primaryExchange: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
}

/** Multipliers travel as text; IB leaves them empty for stocks and FX. */
function multiplierText(c: WireContract): string {
  return c.multiplier === 1 ? '' : String(c.multiplier);
}

function msg(id: number): FieldWriter {
  return new FieldWriter().int(id);
}

export function tickPrice(tickerId: number, tickType: number, price: number, size: number | undefined): string[] {
  // version 3+: size and the attribute mask follow the price.
  return msg(IN.TICK_PRICE).int(6).int(tickerId).int(tickType).dbl(price).optDbl(size).int(0).fields;
}

export function tickSize(tickerId: number, tickType: number, size: number): string[] {
  return msg(IN.TICK_SIZE).int(6).int(tickerId).int(tickType).optDbl(size).fields;
}

export function tickString(tickerId: number, tickType: number, value: string): string[] {
  return msg(IN.TICK_STRING).int(6).int(tickerId).int(tickType).str(value).fields;
}

export function tickGeneric(tickerId: number, tickType: number, value: number): string[] {
  return msg(IN.TICK_GENERIC).int(6).int(tickerId).int(tickType).dbl(value).fields;
}

export function marketDataType(reqId: number, type: number): string[] {
  return msg(IN.MARKET_DATA_TYPE).int(1).int(reqId).int(type).fields;
}

export function tickSnapshotEnd(reqId: number): string[] {
  return msg(IN.TICK_SNAPSHOT_END).int(1).int(reqId).fields;
}

export interface OrderStatusData {
  readonly orderId: number;
  readonly status: string;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice: number;
  readonly permId: number;
  readonly parentId: number;
  readonly lastFillPrice: number;
  readonly clientId: number;
  readonly whyHeld: string;
  readonly mktCapPrice: number;
}

export function orderStatus(sv: number, o: OrderStatusData): string[] {
  const w = msg(IN.ORDER_STATUS);
  if (sv < V.MARKET_CAP_PRICE) w.int(6);
  w.int(o.orderId).str(o.status).optDbl(o.filled).optDbl(o.remaining).dbl(o.avgFillPrice);
  w.int(o.permId).int(o.parentId).dbl(o.lastFillPrice).int(o.clientId).str(o.whyHeld);
  if (sv >= V.MARKET_CAP_PRICE) w.dbl(o.mktCapPrice);
  return w.fields;
}

export function errorMessage(sv: number, id: number, code: number, text: string): string[] {
  const w = msg(IN.ERR_MSG)
    .int(2)
    .int(id)
    .int(code)
    .str(sv >= V.ENCODE_MSG_ASCII7 ? escapeNonAscii(text) : text.replace(/\0/g, ''));
  if (sv >= V.ADVANCED_ORDER_REJECT) w.str('');
  return w.fields;
}

export function nextValidId(orderId: number): string[] {
  return msg(IN.NEXT_VALID_ID).int(1).int(orderId).fields;
}

export function managedAccounts(accounts: readonly string[]): string[] {
  return msg(IN.MANAGED_ACCTS).int(1).str(accounts.join(',')).fields;
}

export function currentTime(epochSeconds: number): string[] {
  return msg(IN.CURRENT_TIME).int(1).int(epochSeconds).fields;
}

export interface ContractDetailsData {
  readonly contract: WireContract;
  readonly marketName: string;
  readonly minTick: number;
  readonly orderTypes: string;
  readonly validExchanges: string;
  readonly longName: string;
  readonly contractMonth: string;
  readonly industry: string;
  readonly category: string;
  readonly subcategory: string;
  readonly timeZoneId: string;
  readonly tradingHours: string;
  readonly liquidHours: string;
  readonly stockType: string;
  readonly minSize: number;
  readonly sizeIncrement: number;
  readonly realExpirationDate: string;
}

export function contractData(sv: number, reqId: number, d: ContractDetailsData): string[] {
  const c = d.contract;
  const w = msg(IN.CONTRACT_DATA);
  if (sv < V.SIZE_RULES) w.int(8);
  w.int(reqId).str(c.symbol).str(c.secType).str(c.lastTradeDateOrContractMonth);
  if (sv >= V.LAST_TRADE_DATE) w.str(c.lastTradeDateOrContractMonth);
  w.dbl(0).str('').str(c.exchange).str(c.currency).str(c.localSymbol).str(d.marketName).str(c.tradingClass);
  w.int(c.conId).dbl(d.minTick);
  if (sv >= V.MD_SIZE_MULTIPLIER && sv < V.SIZE_RULES) w.int(1);
  w.str(multiplierText(c)).str(d.orderTypes).str(d.validExchanges);
  w.int(1); // priceMagnifier
  w.int(0); // underConId
  w.str(d.longName).str(c.primaryExchange);
  w.str(d.contractMonth).str(d.industry).str(d.category).str(d.subcategory).str(d.timeZoneId).str(d.tradingHours).str(d.liquidHours);
  w.str('').dbl(undefined); // evRule, evMultiplier
  w.int(0); // secIdList count
  if (sv >= V.AGG_GROUP) w.int(1);
  if (sv >= V.UNDERLYING_INFO) w.str('').str('');
  if (sv >= V.MARKET_RULES) w.str('');
  if (sv >= V.REAL_EXPIRATION_DATE) w.str(d.realExpirationDate);
  if (sv >= V.STOCK_TYPE) w.str(d.stockType);
  if (sv >= V.FRACTIONAL_SIZE_SUPPORT && sv < V.SIZE_RULES) w.optDbl(d.sizeIncrement);
  if (sv >= V.SIZE_RULES) w.optDbl(d.minSize).optDbl(d.sizeIncrement).optDbl(d.sizeIncrement);
  // Fund fields only follow for secType FUND, which the simulator does not list.
  if (sv >= V.INELIGIBILITY_REASONS) w.int(0);
  return w.fields;
}

export function contractDataEnd(reqId: number): string[] {
  return msg(IN.CONTRACT_DATA_END).int(1).int(reqId).fields;
}

export interface ExecutionData {
  readonly reqId: number;
  readonly orderId: number;
  readonly contract: WireContract;
  readonly execId: string;
  /** "YYYYMMDD HH:mm:ss <zone>" */
  readonly time: string;
  readonly account: string;
  readonly exchange: string;
  readonly side: string;
  readonly shares: number;
  readonly price: number;
  readonly permId: number;
  readonly clientId: number;
  readonly cumQty: number;
  readonly avgPrice: number;
  readonly orderRef: string;
  readonly lastLiquidity: number;
}

export function executionData(sv: number, e: ExecutionData): string[] {
  const c = e.contract;
  const w = msg(IN.EXECUTION_DATA);
  if (sv < V.LAST_LIQUIDITY) w.int(10);
  w.int(e.reqId).int(e.orderId);
  w.int(c.conId).str(c.symbol).str(c.secType).str(c.lastTradeDateOrContractMonth).dbl(0).str('');
  w.str(multiplierText(c)).str(c.exchange).str(c.currency).str(c.localSymbol).str(c.tradingClass);
  w.str(e.execId).str(e.time).str(e.account).str(e.exchange).str(e.side).optDbl(e.shares).dbl(e.price);
  w.int(e.permId).int(e.clientId).int(0); // liquidation
  w.optDbl(e.cumQty).dbl(e.avgPrice).str(e.orderRef).str('').dbl(undefined); // evRule, evMultiplier
  if (sv >= V.MODELS_SUPPORT) w.str('');
  if (sv >= V.LAST_LIQUIDITY) w.int(e.lastLiquidity);
  if (sv >= V.PENDING_PRICE_REVISION) w.bool(false);
  return w.fields;
}

export function executionDataEnd(reqId: number): string[] {
  return msg(IN.EXECUTION_DATA_END).int(1).int(reqId).fields;
}

export function commissionReport(execId: string, commission: number, currency: string, realizedPnL: number | undefined): string[] {
  return msg(IN.COMMISSION_REPORT).int(1).str(execId).dbl(commission).str(currency).dbl(realizedPnL).dbl(undefined).int(0).fields;
}

export function accountValue(key: string, value: string, currency: string, account: string): string[] {
  return msg(IN.ACCT_VALUE).int(2).str(key).str(value).str(currency).str(account).fields;
}

export interface PortfolioData {
  readonly contract: WireContract;
  readonly position: number;
  readonly marketPrice: number;
  readonly marketValue: number;
  readonly averageCost: number;
  readonly unrealizedPnL: number;
  readonly realizedPnL: number;
  readonly account: string;
}

export function portfolioValue(p: PortfolioData): string[] {
  const c = p.contract;
  const w = msg(IN.PORTFOLIO_VALUE).int(8);
  w.int(c.conId).str(c.symbol).str(c.secType).str(c.lastTradeDateOrContractMonth).dbl(0).str('');
  w.str(multiplierText(c)).str(c.primaryExchange).str(c.currency).str(c.localSymbol).str(c.tradingClass);
  w.optDbl(p.position).dbl(p.marketPrice).dbl(p.marketValue).dbl(p.averageCost).dbl(p.unrealizedPnL).dbl(p.realizedPnL).str(p.account);
  return w.fields;
}

export function accountUpdateTime(hhmm: string): string[] {
  return msg(IN.ACCT_UPDATE_TIME).int(1).str(hhmm).fields;
}

export function accountDownloadEnd(account: string): string[] {
  return msg(IN.ACCT_DOWNLOAD_END).int(1).str(account).fields;
}

export function position(account: string, c: WireContract, pos: number, avgCost: number): string[] {
  const w = msg(IN.POSITION).int(3).str(account);
  w.int(c.conId).str(c.symbol).str(c.secType).str(c.lastTradeDateOrContractMonth).dbl(0).str('');
  w.str(multiplierText(c)).str(c.exchange).str(c.currency).str(c.localSymbol).str(c.tradingClass);
  w.optDbl(pos).dbl(avgCost);
  return w.fields;
}

export function positionEnd(): string[] {
  return msg(IN.POSITION_END).int(1).fields;
}

export function accountSummary(reqId: number, account: string, tag: string, value: string, currency: string): string[] {
  return msg(IN.ACCOUNT_SUMMARY).int(1).int(reqId).str(account).str(tag).str(value).str(currency).fields;
}

export function accountSummaryEnd(reqId: number): string[] {
  return msg(IN.ACCOUNT_SUMMARY_END).int(1).int(reqId).fields;
}

export function pnl(sv: number, reqId: number, daily: number, unrealized: number, realized: number): string[] {
  const w = msg(IN.PNL).int(reqId).dbl(daily);
  if (sv >= V.UNREALIZED_PNL) w.dbl(unrealized);
  if (sv >= V.REALIZED_PNL) w.dbl(realized);
  return w.fields;
}

export function pnlSingle(sv: number, reqId: number, pos: number, daily: number, unrealized: number, realized: number, value: number): string[] {
  const w = msg(IN.PNL_SINGLE).int(reqId).optDbl(pos).dbl(daily);
  if (sv >= V.UNREALIZED_PNL) w.dbl(unrealized);
  if (sv >= V.REALIZED_PNL) w.dbl(realized);
  w.dbl(value);
  return w.fields;
}

export interface BarData {
  /** Already formatted as the request's formatDate asked. */
  readonly date: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly wap: number;
  readonly count: number;
}

export function historicalData(sv: number, reqId: number, start: string, end: string, bars: readonly BarData[]): string[] {
  const w = msg(IN.HISTORICAL_DATA);
  if (sv < V.SYNT_REALTIME_BARS) w.int(3);
  w.int(reqId).str(start).str(end).int(bars.length);
  for (const b of bars) {
    w.str(b.date).dbl(b.open).dbl(b.high).dbl(b.low).dbl(b.close).optDbl(b.volume).optDbl(b.wap);
    if (sv < V.SYNT_REALTIME_BARS) w.bool(false); // hasGaps
    w.int(b.count);
  }
  return w.fields;
}

/** keepUpToDate updates; note the field order: open, close, high, low, WAP, volume. */
export function historicalDataUpdate(reqId: number, b: BarData): string[] {
  return msg(IN.HISTORICAL_DATA_UPDATE).int(reqId).int(b.count).str(b.date).dbl(b.open).dbl(b.close).dbl(b.high).dbl(b.low).optDbl(b.wap).optDbl(b.volume).fields;
}

export function realTimeBar(reqId: number, timeSeconds: number, b: Omit<BarData, 'date'>): string[] {
  return msg(IN.REAL_TIME_BARS).int(3).int(reqId).int(timeSeconds).dbl(b.open).dbl(b.high).dbl(b.low).dbl(b.close).optDbl(b.volume).optDbl(b.wap).int(b.count).fields;
}

export function headTimestamp(reqId: number, value: string): string[] {
  return msg(IN.HEAD_TIMESTAMP).int(reqId).str(value).fields;
}

export function openOrderEnd(): string[] {
  return msg(IN.OPEN_ORDER_END).int(1).fields;
}

export function completedOrdersEnd(): string[] {
  return msg(IN.COMPLETED_ORDERS_END).fields;
}
