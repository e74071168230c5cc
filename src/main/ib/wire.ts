// IB's messages ↔ the venue's neutral types: every translation of an order, execution, commission,
// position or bar in one place, so the adapter never reads IB's types itself.
import type { CommissionReport, Contract, Execution, Order, OrderState } from '@stoqey/ib';
import { parseWallTime } from '../clock';
import type { Bar, Instrument, OrderSide } from '../../shared';
import type { VenueCommission, VenueExecution, VenueOrder, VenueOrderRequest, VenuePosition } from '../venue';

const TWS_ZONE = 'America/New_York';

/** A new or changed order as IB takes it; `account` is the traded account, when there is one. */
export function ibOrder(req: VenueOrderRequest, account: string | undefined): Order {
  return {
    action: req.side as Order['action'],
    totalQuantity: req.quantity,
    orderType: req.type as Order['orderType'],
    ...(req.limitPrice === undefined ? {} : { lmtPrice: req.limitPrice }),
    ...(req.stopPrice === undefined ? {} : { auxPrice: req.stopPrice }),
    tif: req.tif,
    outsideRth: req.outsideRth ?? false,
    orderRef: req.orderRef,
    ...(account === undefined ? {} : { account }),
    transmit: true,
  };
}

/** What IB's openOrder and completedOrder both say of an order; `orderRef` stands in when IB sends none. */
export function orderFields(
  contract: Contract,
  order: Order,
  state: OrderState,
  orderRef = '',
): Omit<VenueOrder, 'orderId' | 'clientId' | 'filled' | 'remaining' | 'avgFillPrice' | 'lastFillPrice' | 'whyHeld'> {
  return {
    permId: order.permId ?? 0,
    orderRef: order.orderRef ?? orderRef,
    account: order.account ?? '',
    conId: contract.conId ?? 0,
    symbol: contract.symbol ?? '',
    side: sideOf(order.action),
    quantity: order.totalQuantity ?? 0,
    type: order.orderType ?? '',
    ...(order.lmtPrice === undefined ? {} : { limitPrice: order.lmtPrice }),
    ...(order.auxPrice === undefined ? {} : { stopPrice: order.auxPrice }),
    tif: order.tif ?? '',
    status: state.status ?? 'Unknown',
  };
}

/** A finished order of completedOrder: what it filled, and when and how it ended. */
export function completedOrder(contract: Contract, order: Order, state: OrderState & { completedTime?: string; completedStatus?: string }): VenueOrder {
  return {
    orderId: order.orderId ?? 0,
    clientId: order.clientId ?? 0,
    ...orderFields(contract, order, state),
    filled: order.filledQuantity ?? 0,
    remaining: Math.max(0, (order.totalQuantity ?? 0) - (order.filledQuantity ?? 0)),
    avgFillPrice: 0,
    lastFillPrice: 0,
    whyHeld: '',
    ...(state.completedTime === undefined ? {} : { completedTime: state.completedTime }),
    ...(state.completedStatus === undefined ? {} : { completedStatus: state.completedStatus }),
  };
}

/** What IB's orderStatus says of an order. */
export function orderStatusFields(
  status: string,
  filled: number,
  remaining: number,
  avgFillPrice: number,
  permId?: number,
  lastFillPrice?: number,
  whyHeld?: string,
): Partial<VenueOrder> {
  return {
    status,
    filled: filled ?? 0,
    remaining: remaining ?? 0,
    avgFillPrice: avgFillPrice ?? 0,
    lastFillPrice: lastFillPrice ?? 0,
    ...(permId === undefined ? {} : { permId }),
    whyHeld: whyHeld ?? '',
  };
}

/** `orderRef` stands in when IB sends none; `now` when its time cannot be read. */
export function execution(contract: Contract, e: Execution, orderRef: (orderId: number) => string, now: () => number): VenueExecution {
  const orderId = e.orderId ?? 0;
  return {
    execId: e.execId ?? '',
    orderId,
    permId: e.permId ?? 0,
    clientId: e.clientId ?? 0,
    orderRef: e.orderRef ?? orderRef(orderId),
    account: e.acctNumber ?? '',
    conId: contract.conId ?? 0,
    symbol: contract.symbol ?? '',
    side: e.side === 'SLD' ? 'SELL' : 'BUY',
    shares: e.shares ?? 0,
    price: e.price ?? 0,
    cumQty: e.cumQty ?? 0,
    avgPrice: e.avgPrice ?? 0,
    time: parseWallTime(e.time ?? '', TWS_ZONE) ?? now(),
    exchange: e.exchange ?? '',
  };
}

export function commission(report: CommissionReport): VenueCommission {
  return {
    execId: report.execId ?? '',
    commission: report.commission ?? 0,
    currency: report.currency ?? 'USD',
    ...(report.realizedPNL === undefined ? {} : { realizedPnL: report.realizedPNL }),
  };
}

export function position(account: string, contract: Contract, pos: number, avgCost?: number): VenuePosition {
  return { account, conId: contract.conId ?? 0, symbol: contract.symbol ?? '', secType: contract.secType ?? '', quantity: pos ?? 0, averageCost: avgCost ?? 0 };
}

/** One historicalData row; undefined when its date cannot be read. */
export function historicalBar(instrument: Instrument, row: readonly [string, number, number, number, number, number, number, number]): Bar | undefined {
  const [date, open, high, low, close, volume, count, wap] = row;
  const time = /^\d{9,}$/.test(date) ? Number(date) * 1000 : parseWallTime(date, instrument.timeZoneId);
  return time === undefined ? undefined : { time, open, high, low, close, volume: volume ?? 0, wap: wap ?? 0, count: count ?? 0 };
}

/** 'yyyyMMdd-HH:mm:ss' in UTC: the form of IB date-times that needs no time zone. */
export function formatUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 19)}`;
}

/** IB's action (an enum of the library) in DualDesk's words. */
function sideOf(action: Order['action']): OrderSide {
  return String(action) === 'SELL' ? 'SELL' : 'BUY';
}
