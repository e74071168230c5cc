// Orders at the venue: placeOrder/cancelOrder, open and completed orders, executions, and the
// routing of the matching engine's events to the client that owns each order, in TWS's order:
// execDetails, openOrder, orderStatus, commissionReport.
import type { Logger } from '../../ops';
import type { CommissionReport, EngineEvent, MatchingEngine, OrderTicket, TimeInForce, VenueOrder, VenueOrderType } from '../engine/types';
import { ERR, TEXT } from '../protocol/errors';
import type { PlaceOrderRequest, Request } from '../protocol/incoming';
import { completedOrder } from '../protocol/orders';
import { completedOrdersEnd, executionDataEnd, openOrderEnd } from '../protocol/outgoing';
import { fromLocal, parseEndDateTime, TWS_TIME_ZONE } from './formats';
import type { MarketDataDesk } from './market-data';
import type { ClientSession } from './session';
import { commissionMessage, executionMessage, openOrderMessage, orderStatusMessage, wireContract, wireOrder } from './wire';

type Req<T extends Request['type']> = Extract<Request, { type: T }>;

const ORDER_TYPES: Readonly<Record<string, VenueOrderType>> = { MKT: 'MKT', LMT: 'LMT', STP: 'STP', 'STP LMT': 'STP LMT' };
const TIFS: Readonly<Record<string, TimeInForce>> = { '': 'DAY', DAY: 'DAY', GTC: 'GTC', IOC: 'IOC' };

export interface TradingOptions {
  readonly engine: MatchingEngine;
  readonly marketData: MarketDataDesk;
  readonly accountId: string;
  readonly logger: Logger;
  readonly now: () => number;
  /** The connected session of a client id, if any (order events go to the client that placed the order). */
  readonly sessionOf: (clientId: number) => ClientSession | undefined;
  /** [clientId, highest order id] of a previous run. */
  readonly orderIds?: readonly (readonly [number, number])[];
  /** The order ids changed (the venue's state must be saved). */
  readonly changed: () => void;
  /** Why the venue's state cannot be saved now, if it cannot (orders are refused meanwhile). */
  readonly unsaveable: () => string | undefined;
}

export class TradingDesk {
  private readonly maxOrderId: Map<number, number>;
  private readonly pendingCommissions = new Map<number, CommissionReport[]>();

  constructor(private readonly options: TradingOptions) {
    this.maxOrderId = new Map(options.orderIds?.map(([clientId, id]) => [clientId, id]));
  }

  /** [clientId, highest order id it sent], for the venue's state. */
  orderIds(): [number, number][] {
    return [...this.maxOrderId];
  }

  /** The next order id a client may use: above every id it has sent. */
  nextValidId(clientId: number): number {
    return (this.maxOrderId.get(clientId) ?? 0) + 1;
  }

  placeOrder(session: ClientSession, req: PlaceOrderRequest): void {
    const clientId = session.clientId ?? 0;
    const id = req.orderId;
    const refuse = (code: number, text: string) => session.error(id, code, text);
    // A fill the venue could not record would be lost on its next restart: no new business until it can.
    const unsaveable = this.options.unsaveable();
    if (unsaveable !== undefined) {
      refuse(ERR.ORDER_REJECTED, `Order rejected - reason:the simulator cannot save its account (${unsaveable})`);
      return;
    }

    const unsupported = [...req.unsupported];
    if (!req.transmit) unsupported.push('orders with transmit=false (TWS would hold them without sending)');
    if (req.parentId !== 0) unsupported.push('bracket/child orders (parentId)');
    if (req.ocaGroup !== '') unsupported.push('OCA groups');
    if (unsupported.length > 0) {
      this.noteOrderId(clientId, id);
      refuse(ERR.ORDER_REJECTED, `Order rejected - reason:${unsupported.join(', ')} are not supported by the DualDesk simulator`);
      return;
    }
    const instrument = this.options.marketData.resolve(session, id, req.contract);
    if (!instrument) return;
    const action = req.action.toUpperCase();
    if (action !== 'BUY' && action !== 'SELL') {
      refuse(ERR.BAD_REQUEST, TEXT.badRequest('cB', `action '${req.action}' is not BUY or SELL`));
      return;
    }
    const orderType = ORDER_TYPES[req.orderType.toUpperCase()];
    if (!orderType) {
      refuse(ERR.ORDER_REJECTED, `Order rejected - reason:order type '${req.orderType}' is not supported by the DualDesk simulator (MKT, LMT, STP, STP LMT)`);
      return;
    }
    const tif = TIFS[req.tif.toUpperCase()];
    if (!tif) {
      refuse(ERR.ORDER_REJECTED, `Order rejected - reason:time in force '${req.tif}' is not supported by the DualDesk simulator (DAY, GTC, IOC)`);
      return;
    }
    const ticket: OrderTicket = {
      orderId: id,
      clientId,
      instrument,
      action,
      totalQuantity: req.totalQuantity ?? 0,
      orderType,
      ...(req.lmtPrice === undefined ? {} : { lmtPrice: req.lmtPrice }),
      ...(req.auxPrice === undefined ? {} : { auxPrice: req.auxPrice }),
      tif,
      outsideRth: req.outsideRth,
      orderRef: req.orderRef,
      account: req.account,
    };
    // Noted first, so the state the engine's events save already holds it.
    this.noteOrderId(clientId, id);
    const result = this.options.engine.place(ticket);
    if (!result.ok) refuse(result.error.code, result.error.message);
  }

  private noteOrderId(clientId: number, id: number): void {
    if (id <= (this.maxOrderId.get(clientId) ?? 0)) return;
    this.maxOrderId.set(clientId, id);
    this.options.changed();
  }

  cancelOrder(session: ClientSession, orderId: number): void {
    const result = this.options.engine.cancel(orderId, session.clientId ?? 0);
    if (!result.ok) {
      session.error(orderId, result.error.code, result.error.message);
      return;
    }
    session.error(orderId, ERR.ORDER_CANCELLED, TEXT.cancelled);
  }

  globalCancel(): void {
    this.options.engine.cancelAll();
  }

  /** reqOpenOrders (own orders) or reqAllOpenOrders (every client's). */
  sendOpenOrders(session: ClientSession, all: boolean): void {
    for (const order of this.options.engine.openOrders()) {
      if (!all && order.clientId !== session.clientId) continue;
      session.send(openOrderMessage(session.version, order, this.options.accountId));
      session.send(orderStatusMessage(session.version, order));
    }
    session.send(openOrderEnd());
  }

  sendCompletedOrders(session: ClientSession): void {
    for (const order of this.options.engine.completedOrders()) {
      session.send(completedOrder(session.version, wireContract(order.instrument), wireOrder(order, this.options.accountId)));
    }
    session.send(completedOrdersEnd());
  }

  sendExecutions(session: ClientSession, req: Req<'reqExecutions'>): void {
    const f = req.filter;
    let since: number | undefined;
    if (f.time.trim() !== '') {
      try {
        const day = /^(\d{4})(\d{2})(\d{2})$/.exec(f.time.trim());
        since = day ? fromLocal(+day[1]!, +day[2]!, +day[3]!, 0, 0, 0, TWS_TIME_ZONE) : parseEndDateTime(f.time, this.options.now());
      } catch (err) {
        session.error(req.reqId, ERR.BAD_REQUEST, TEXT.badRequest('ef', (err as Error).message));
        return;
      }
    }
    const side = f.side.trim().toUpperCase();
    for (const e of this.options.engine.executions()) {
      const order = this.options.engine.order(e.orderId, e.clientId);
      const instrument = order?.instrument;
      if (!instrument) continue;
      // Client id 0 (the ExecutionFilter default) means every client.
      if (f.clientId !== undefined && f.clientId !== 0 && e.clientId !== f.clientId) continue;
      if (f.account !== '' && f.account !== e.account) continue;
      if (since !== undefined && e.time < since) continue;
      if (f.symbol !== '' && f.symbol.toUpperCase() !== instrument.symbol) continue;
      if (f.secType !== '' && f.secType.toUpperCase() !== instrument.secType) continue;
      if (f.exchange !== '' && f.exchange.toUpperCase() !== instrument.exchange && f.exchange.toUpperCase() !== e.exchange) continue;
      if (side !== '' && !((side === 'BUY' && e.side === 'BOT') || (side === 'SELL' && e.side === 'SLD') || side === e.side)) continue;
      session.send(executionMessage(session.version, req.reqId, e, instrument));
      const commission = this.options.engine.commission(e.execId);
      if (commission) session.send(commissionMessage(commission));
    }
    session.send(executionDataEnd(req.reqId));
  }

  /** The matching engine's events, delivered to the client that owns the order (if it is connected). */
  onEngineEvent(event: EngineEvent): void {
    if (event.kind === 'account') return;
    if (event.kind === 'execution') {
      const { execution, commission } = event;
      const session = this.options.sessionOf(execution.clientId);
      const order = this.options.engine.order(execution.orderId, execution.clientId);
      if (session && order) session.send(executionMessage(session.version, -1, execution, order.instrument));
      const queue = this.pendingCommissions.get(execution.clientId) ?? [];
      queue.push(commission);
      this.pendingCommissions.set(execution.clientId, queue);
      return;
    }
    this.sendOrder(event.order);
  }

  private sendOrder(order: VenueOrder): void {
    const session = this.options.sessionOf(order.clientId);
    const commissions = this.pendingCommissions.get(order.clientId);
    this.pendingCommissions.delete(order.clientId);
    if (!session) return;
    session.send(openOrderMessage(session.version, order, this.options.accountId));
    session.send(orderStatusMessage(session.version, order));
    for (const c of commissions ?? []) session.send(commissionMessage(c));
  }
}
