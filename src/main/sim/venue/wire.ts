// Mapping the venue's objects to the protocol's messages.
import type { CommissionReport, Execution, VenueOrder } from '../engine/types';
import type { InstrumentSpec } from '../market/types';
import { commissionReport, executionData, orderStatus, type WireContract } from '../protocol/outgoing';
import { openOrder, type WireOrder } from '../protocol/orders';
import { formatWithZone, TWS_TIME_ZONE } from './formats';

export function wireContract(i: InstrumentSpec): WireContract {
  return {
    conId: i.conId,
    symbol: i.symbol,
    secType: i.secType,
    lastTradeDateOrContractMonth: i.lastTradeDateOrContractMonth,
    multiplier: i.multiplier,
    exchange: i.exchange,
    primaryExchange: i.primaryExchange,
    currency: i.currency,
    localSymbol: i.localSymbol,
    tradingClass: i.tradingClass,
  };
}

export function wireOrder(o: VenueOrder, accountId: string): WireOrder {
  return {
    orderId: o.orderId,
    clientId: o.clientId,
    permId: o.permId,
    action: o.action,
    totalQuantity: o.totalQuantity,
    orderType: o.orderType,
    lmtPrice: o.lmtPrice,
    auxPrice: o.auxPrice,
    tif: o.tif,
    account: o.account === '' ? accountId : o.account,
    orderRef: o.orderRef,
    outsideRth: o.outsideRth,
    filledQuantity: o.filled,
    status: o.status,
    ...(o.completedAt === undefined ? {} : { completedTime: formatWithZone(o.completedAt, TWS_TIME_ZONE) }),
    ...(o.completedStatus === undefined ? {} : { completedStatus: o.completedStatus }),
  };
}

export function openOrderMessage(sv: number, o: VenueOrder, accountId: string): string[] {
  return openOrder(sv, wireContract(o.instrument), wireOrder(o, accountId));
}

export function orderStatusMessage(sv: number, o: VenueOrder): string[] {
  return orderStatus(sv, {
    orderId: o.orderId,
    status: o.status,
    filled: o.filled,
    remaining: o.remaining,
    avgFillPrice: o.avgFillPrice,
    permId: o.permId,
    parentId: 0,
    lastFillPrice: o.lastFillPrice,
    clientId: o.clientId,
    whyHeld: o.whyHeld,
    mktCapPrice: 0,
  });
}

export function executionMessage(sv: number, reqId: number, e: Execution, instrument: InstrumentSpec): string[] {
  return executionData(sv, {
    reqId,
    orderId: e.orderId,
    contract: wireContract(instrument),
    execId: e.execId,
    time: formatWithZone(e.time, TWS_TIME_ZONE),
    account: e.account,
    exchange: e.exchange,
    side: e.side,
    shares: e.shares,
    price: e.price,
    permId: e.permId,
    clientId: e.clientId,
    cumQty: e.cumQty,
    avgPrice: e.avgPrice,
    orderRef: e.orderRef,
    lastLiquidity: e.lastLiquidity,
  });
}

export function commissionMessage(c: CommissionReport): string[] {
  return commissionReport(c.execId, c.commission, c.currency, c.realizedPnL);
}
