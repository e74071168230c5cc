// Orders and their ids: ids that never repeat (reserved durably in blocks), orders sent, changed and
// cancelled through the pacer, and IB's view of every order, merged from its openOrder and orderStatus.
import type { IBApi } from '@stoqey/ib';
import { priceFieldsOf } from '../../shared';
import { withCorrelation, type Logger } from '../ops';
import { VenueError, type OrderCorrelation, type VenueOrder, type VenueOrderChanges, type VenueOrderRequest } from '../venue';
import { tradingAccount } from './accounts';
import { instrumentContract } from './contracts';
import type { VenueMetrics } from './metrics';
import { PacerClosedError, type Pacer } from './pacer';
import type { VenueMemory } from './types';
import { ibOrder } from './wire';

const ORDER_ID_BLOCK = 50;
/** IB's statuses of an order that can still fill. */
const WORKING = new Set(['ApiPending', 'PendingSubmit', 'PreSubmitted', 'Submitted', 'PendingCancel']);

/** IB numbers orders per client: an order is its client id and order id. */
export const orderKey = (clientId: number, orderId: number): string => `${clientId}:${orderId}`;

export interface OrdersOptions {
  readonly clientId: number;
  /** The account to trade when the login manages several (venue.account). */
  readonly account: string | undefined;
  readonly memory: VenueMemory;
  readonly metrics: VenueMetrics;
  readonly logger: Logger;
  readonly pacer: Pacer;
  readonly connection: { readonly ib: IBApi | undefined; readonly ready: boolean; readonly orderChannelLost: boolean; readonly accounts: readonly string[] };
  /** Why new orders are refused right now, or undefined when they may go. */
  readonly tradingBlock: () => VenueError | undefined;
}

export class Orders {
  private venueNextOrderId = 0;
  private nextLocalOrderId: number | undefined;
  private reservedOrderIds = 0;
  private readonly known = new Map<string, VenueOrder>();
  /** Orders of this client whose cancel went out on this connection. */
  private readonly cancelsSent = new Set<number>();
  private readonly placed = new Map<number, VenueOrderRequest>();
  private correlation: OrderCorrelation | undefined;

  constructor(private readonly options: OrdersOptions) {}

  /** How an order's correlation id is found from IB's orderRef and order id (the execution engine knows); undefined to stop. */
  correlate(lookup: OrderCorrelation | undefined): void {
    this.correlation = lookup;
  }

  /** Runs `fn` (the log lines and handlers of a venue event of an order) under that order's correlation id, when it has one. */
  inScope(orderRef: string, orderId: number, fn: () => void): void {
    const cid = this.correlation?.(orderRef, orderId);
    if (cid === undefined) fn();
    else withCorrelation(cid, fn);
  }

  /** IB's nextValidId: ids below it are taken. */
  venueNextId(id: number): void {
    this.venueNextOrderId = Math.max(this.venueNextOrderId, id);
  }

  /** DualDesk's orderRef of an order this session placed. */
  orderRefOf(orderId: number): string | undefined {
    return this.placed.get(orderId)?.orderRef;
  }

  /** The orderRef of this client's order with this id ('' when it has none), or undefined when the id is not an order of ours. */
  ownOrderRef(orderId: number): string | undefined {
    const request = this.placed.get(orderId);
    const known = this.known.get(orderKey(this.options.clientId, orderId));
    if (request === undefined && known === undefined) return undefined;
    return request?.orderRef ?? known?.orderRef ?? '';
  }

  /**
   * The next order id: above the venue's nextValidId and above every id this desk ever used. Ids are
   * reserved durably in blocks (the high-water mark is written before any id of a block is used), so a
   * crash can skip ids but never reuse one, and only one order in ORDER_ID_BLOCK waits for an fsync.
   */
  private allocateOrderId(): number {
    this.nextLocalOrderId ??= this.options.memory.orderIdHighWaterMark() + 1;
    const id = Math.max(this.venueNextOrderId, this.nextLocalOrderId);
    if (id > this.reservedOrderIds) {
      this.reservedOrderIds = id + ORDER_ID_BLOCK - 1;
      this.options.memory.recordOrderId(this.reservedOrderIds);
    }
    this.nextLocalOrderId = id + 1;
    return id;
  }

  /** The account orders go to; undefined while the choice is ambiguous. */
  private get account(): string | undefined {
    const chosen = tradingAccount(this.options.connection.accounts, this.options.account);
    return 'account' in chosen ? chosen.account : undefined;
  }

  /** Sends a new order; resolves with its IB order id once the message is written to the venue. */
  async place(req: VenueOrderRequest): Promise<{ orderId: number }> {
    const started = performance.now();
    const block = this.options.tradingBlock();
    if (block) throw block;
    validateOrder(req);
    const ib = this.options.connection.ib as IBApi;
    const orderId = this.allocateOrderId();
    this.placed.set(orderId, req);
    try {
      await this.options.pacer.send('order', () => ib.placeOrder(orderId, instrumentContract(req.instrument), ibOrder(req, this.account)));
    } catch (err) {
      throw err instanceof PacerClosedError ? new VenueError('venue-disconnected', 'The venue disconnected before the order was sent: it was not sent.') : err;
    }
    this.options.metrics.orderSendSeconds.observe((performance.now() - started) / 1000);
    this.options.logger.info({ orderId, orderRef: req.orderRef, symbol: req.instrument.symbol, side: req.side, quantity: req.quantity, type: req.type }, 'order sent');
    return { orderId };
  }

  /** `current` describes the order when this session did not place it (after a restart, or an adopted order). */
  async modify(orderId: number, changes: VenueOrderChanges, current?: VenueOrderRequest): Promise<void> {
    const block = this.options.tradingBlock();
    if (block) throw block;
    const original = this.placed.get(orderId) ?? current;
    if (!original) throw new VenueError('order-not-found', `Order ${orderId} was not placed by this desk session; it cannot be modified here.`);
    const req: VenueOrderRequest = { ...original, ...changes };
    validateOrder(req);
    const ib = this.options.connection.ib as IBApi;
    this.placed.set(orderId, req);
    await this.options.pacer.send('order', () => ib.placeOrder(orderId, instrumentContract(req.instrument), ibOrder(req, this.account)));
  }

  /** Cancels go out whenever the order channel is up, even when new orders are refused: reducing risk is always allowed. */
  async cancel(orderId: number): Promise<void> {
    const ib = this.orderChannel();
    this.cancelsSent.add(orderId);
    await this.options.pacer.send('cancel', () => ib.cancelOrder(orderId, ''));
  }

  /**
   * Cancels every working order of the traded account. IB's global cancel reaches every account of the
   * login, so it is used only when the login has one; with several, this client's orders of the traded
   * account are cancelled one by one (IB lets a client cancel only its own orders).
   */
  async cancelAll(): Promise<void> {
    const ib = this.orderChannel();
    const chosen = tradingAccount(this.options.connection.accounts, this.options.account);
    if ('problem' in chosen) throw new VenueError('account-not-chosen', `${chosen.problem} No cancel was sent: a global cancel would reach every account of the login.`);
    if (this.options.connection.accounts.length === 1) {
      await this.options.pacer.send('cancel', () => ib.reqGlobalCancel({}));
      return;
    }
    const working = [...this.known.values()].filter((o) => WORKING.has(o.status) && (o.account === '' || o.account === chosen.account));
    const others = working.filter((o) => o.clientId !== this.options.clientId);
    if (others.length > 0) {
      this.options.logger.warn(
        { account: chosen.account, orders: others.map((o) => ({ clientId: o.clientId, orderId: o.orderId, symbol: o.symbol })) },
        'working orders of the traded account placed by other clients: only they (or TWS) can cancel them',
      );
    }
    // Those the execution engine just cancelled are not cancelled twice.
    const mine = working.filter((o) => o.clientId === this.options.clientId && !this.cancelsSent.has(o.orderId));
    await Promise.all(mine.map((o) => this.cancel(o.orderId)));
  }

  /** The connection is gone: cancels sent on it no longer count. */
  connectionDropped(): void {
    this.cancelsSent.clear();
  }

  /** What IB just said of an order, on top of what it said before. */
  merge(orderId: number, clientId: number, fields: Partial<VenueOrder>): VenueOrder {
    const key = orderKey(clientId, orderId);
    const previous = this.known.get(key);
    const merged: VenueOrder = {
      orderId,
      clientId,
      permId: 0,
      orderRef: this.placed.get(orderId)?.orderRef ?? '',
      account: '',
      conId: 0,
      symbol: '',
      side: 'BUY',
      quantity: 0,
      type: '',
      tif: '',
      status: 'Unknown',
      filled: 0,
      remaining: 0,
      avgFillPrice: 0,
      lastFillPrice: 0,
      whyHeld: '',
      ...previous,
      ...fields,
    };
    this.known.set(key, merged);
    return merged;
  }

  private orderChannel(): IBApi {
    const { ib, ready, orderChannelLost } = this.options.connection;
    if (!ib || !ready || orderChannelLost) throw new VenueError('venue-disconnected', 'Venue disconnected: the cancel was not sent.');
    return ib;
  }
}

function validateOrder(req: VenueOrderRequest): void {
  const fail = (why: string) => {
    throw new VenueError('bad-request', why);
  };
  if (!(req.quantity > 0) || !Number.isFinite(req.quantity)) fail('The quantity must be a positive number.');
  const prices = priceFieldsOf(req.type);
  if (prices.limit && !(req.limitPrice !== undefined && req.limitPrice > 0)) fail(`A ${req.type} order needs a positive limit price.`);
  if (prices.stop && !(req.stopPrice !== undefined && req.stopPrice > 0)) fail(`A ${req.type} order needs a positive stop price.`);
  if (req.orderRef.trim() === '') fail('An order needs DualDesk’s order reference.');
}
