import { randomBytes } from 'node:crypto';
import type { Fill, Instrument, Order, OrderSide, OrderState, OrderType, TimeInForce } from '../../shared';
import type { Database } from './database';

interface OrderRow {
  seq: number;
  id: string;
  instrument: string;
  con_id: number;
  symbol: string;
  side: string;
  quantity: number;
  type: string;
  limit_price: number | null;
  stop_price: number | null;
  tif: string;
  outside_rth: number;
  reduce_only: number;
  origin: string;
  state: string;
  filled: number;
  avg_fill_price: number;
  venue_order_id: number | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
  cid: string | null;
}

interface FillRow {
  exec_id: string;
  order_id: string;
  con_id: number;
  symbol: string;
  side: string;
  quantity: number;
  price: number;
  multiplier: number;
  commission: number;
  time: number;
}

/** An order with what the journal keeps beside it: the resolved instrument (to modify or flatten after a restart). */
export interface JournaledOrder {
  readonly order: Order;
  readonly instrument: Instrument;
  readonly outsideRth: boolean;
  /** The correlation id of the command that placed it (or of its adoption): its venue events are logged with it. */
  readonly cid?: string;
}

export type NewOrder = Omit<Order, 'id'>;

const OPEN_STATES: readonly OrderState[] = ['new', 'submitted', 'partially-filled'];

/**
 * The execution journal in the mode's database: orders (their current state), an append-only log of
 * what happened to each (intents written before anything is sent: write-ahead), and every fill applied,
 * keyed by the venue's execution id so each is applied exactly once. Every write is one transaction,
 * durable (synchronous=FULL) before it returns.
 */
export class OrderJournalRepository {
  readonly deskId: string;
  private readonly insertOrder;
  private readonly nextNumber;
  private readonly updateOrder;
  private readonly insertEvent;
  private readonly insertFill;
  private readonly updateCommission;
  private readonly selectOrder;
  private readonly selectByVenueId;
  private readonly selectOpen;
  private readonly selectRecent;
  private readonly selectFills;
  private readonly selectFill;
  private readonly selectRecentFills;
  private readonly selectEvents;
  private readonly createTx;
  private readonly updateTx;
  private readonly fillTx;

  constructor(private readonly db: Database) {
    this.deskId = loadDeskId(db);
    this.nextNumber = db.prepare<[], { n: number }>('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM orders');
    this.insertOrder = db.prepare(
      `INSERT INTO orders (id, instrument, con_id, symbol, side, quantity, type, limit_price, stop_price, tif, outside_rth, reduce_only, origin,
                           state, filled, avg_fill_price, venue_order_id, reason, created_at, updated_at, cid)
       VALUES (@id, @instrument, @con_id, @symbol, @side, @quantity, @type, @limit_price, @stop_price, @tif, @outside_rth, @reduce_only, @origin,
               @state, @filled, @avg_fill_price, @venue_order_id, @reason, @created_at, @updated_at, @cid)`,
    );
    this.updateOrder = db.prepare(
      `UPDATE orders SET quantity = @quantity, limit_price = @limit_price, stop_price = @stop_price, tif = @tif, state = @state, filled = @filled,
              avg_fill_price = @avg_fill_price, venue_order_id = @venue_order_id, reason = @reason, updated_at = @updated_at
       WHERE id = @id`,
    );
    this.insertEvent = db.prepare('INSERT INTO order_events (order_id, kind, detail, at, cid) VALUES (?, ?, ?, ?, ?)');
    this.insertFill = db.prepare(
      `INSERT OR IGNORE INTO fills (exec_id, order_id, con_id, symbol, side, quantity, price, multiplier, commission, time)
       VALUES (@execId, @orderId, @conId, @symbol, @side, @quantity, @price, @multiplier, @commission, @time)`,
    );
    this.updateCommission = db.prepare('UPDATE fills SET commission = ? WHERE exec_id = ?');
    this.selectOrder = db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?');
    this.selectByVenueId = db.prepare<[number], OrderRow>('SELECT * FROM orders WHERE venue_order_id = ? ORDER BY seq DESC LIMIT 1');
    this.selectOpen = db.prepare<[], OrderRow>(`SELECT * FROM orders WHERE state IN ('new', 'submitted', 'partially-filled') ORDER BY seq`);
    this.selectRecent = db.prepare<[number], OrderRow>('SELECT * FROM orders ORDER BY seq DESC LIMIT ?');
    this.selectFills = db.prepare<[string], FillRow>('SELECT * FROM fills WHERE order_id = ? ORDER BY time, exec_id');
    this.selectFill = db.prepare<[string], FillRow>('SELECT * FROM fills WHERE exec_id = ?');
    this.selectRecentFills = db.prepare<[number], FillRow>('SELECT * FROM fills ORDER BY time DESC, exec_id DESC LIMIT ?');
    this.selectEvents = db.prepare<[string], { kind: string; detail: string; at: number; cid: string | null }>(
      'SELECT kind, detail, at, cid FROM order_events WHERE order_id = ? ORDER BY seq',
    );
    this.createTx = db.transaction((o: NewOrder, instrument: Instrument, outsideRth: boolean, detail: string, cid: string | null): Order => {
      const id = `${this.deskId}-${(this.nextNumber.get() as { n: number }).n}`;
      const order: Order = { ...o, id };
      this.insertOrder.run({ ...toRow(order, instrument, outsideRth), cid });
      this.insertEvent.run(id, 'intent-place', detail, o.createdAt, cid);
      return order;
    });
    this.updateTx = db.transaction((order: Order, kind: string, detail: string, cid: string | null) => {
      const changed = this.updateOrder.run(updateParams(order)).changes;
      if (changed !== 1) throw new Error(`order ${order.id} is not in the journal`);
      this.insertEvent.run(order.id, kind, detail, order.updatedAt, cid);
    });
    this.fillTx = db.transaction((fill: Fill, order: Order | undefined, cid: string | null): boolean => {
      if (this.insertFill.run(fill).changes !== 1) return false;
      if (order) {
        this.updateOrder.run(updateParams(order));
        this.insertEvent.run(order.id, 'fill', JSON.stringify({ execId: fill.execId, quantity: fill.quantity, price: fill.price }), fill.time, cid);
      }
      return true;
    });
  }

  /**
   * Writes a new order and its intent; the id is assigned here (deskId-number). Durable before it returns.
   * `cid` is the order's correlation id (the placing command's), kept with the order and each of its events.
   */
  create(order: NewOrder, instrument: Instrument, outsideRth: boolean, detail: object = {}, cid?: string): Order {
    return this.createTx(order, instrument, outsideRth, JSON.stringify(detail), cid ?? null);
  }

  /** Writes an order's new state with what happened (an intent before it is sent, or the venue's answer), under `cid` (the command's or the order's). */
  update(order: Order, kind: string, detail: object = {}, cid?: string): void {
    this.updateTx(order, kind, JSON.stringify(detail), cid ?? null);
  }

  /** Applies a fill once: false when this execution id was already applied. `order` is the order's state after it. */
  recordFill(fill: Fill, order?: Order, cid?: string): boolean {
    return this.fillTx(fill, order, cid ?? null);
  }

  /** An order's events, oldest first: what happened, when, and under which correlation id. */
  events(orderId: string): { kind: string; detail: string; at: number; cid: string | null }[] {
    return this.selectEvents.all(orderId);
  }

  /** The commission of an applied fill; false when the fill is unknown. */
  recordCommission(execId: string, commission: number): boolean {
    return this.updateCommission.run(commission, execId).changes === 1;
  }

  get(id: string): JournaledOrder | undefined {
    const row = this.selectOrder.get(id);
    return row ? fromRow(row) : undefined;
  }

  byVenueOrderId(venueOrderId: number): JournaledOrder | undefined {
    const row = this.selectByVenueId.get(venueOrderId);
    return row ? fromRow(row) : undefined;
  }

  /** Orders not yet in a final state, oldest first. */
  open(): JournaledOrder[] {
    return this.selectOpen.all().map(fromRow);
  }

  recent(limit: number): JournaledOrder[] {
    return this.selectRecent.all(limit).map(fromRow);
  }

  fill(execId: string): Fill | undefined {
    const row = this.selectFill.get(execId);
    return row ? fillFromRow(row) : undefined;
  }

  /** The latest fills, newest first. */
  recentFills(limit: number): Fill[] {
    return this.selectRecentFills.all(limit).map(fillFromRow);
  }

  fillsOf(orderId: string): Fill[] {
    return this.selectFills.all(orderId).map(fillFromRow);
  }

  static isOpen(state: OrderState): boolean {
    return OPEN_STATES.includes(state);
  }
}

/** A random id per database, so order ids (IB's orderRef) never collide across desks and modes. */
function loadDeskId(db: Database): string {
  const row = db.prepare<[], { value: string }>("SELECT value FROM desk_meta WHERE key = 'desk_id'").get();
  if (row) return row.value;
  const id = randomBytes(5).toString('hex').toUpperCase();
  db.prepare("INSERT OR IGNORE INTO desk_meta (key, value) VALUES ('desk_id', ?)").run(id);
  return (db.prepare<[], { value: string }>("SELECT value FROM desk_meta WHERE key = 'desk_id'").get() as { value: string }).value;
}

function toRow(o: Order, instrument: Instrument, outsideRth: boolean): Record<string, unknown> {
  return {
    ...updateParams(o),
    instrument: JSON.stringify(instrument),
    con_id: o.conId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    outside_rth: outsideRth ? 1 : 0,
    reduce_only: o.reduceOnly ? 1 : 0,
    origin: o.origin,
    created_at: o.createdAt,
  };
}

function updateParams(o: Order) {
  return {
    id: o.id,
    quantity: o.quantity,
    limit_price: o.limitPrice ?? null,
    stop_price: o.stopPrice ?? null,
    tif: o.tif,
    state: o.state,
    filled: o.filledQuantity,
    avg_fill_price: o.avgFillPrice,
    venue_order_id: o.venueOrderId ?? null,
    reason: o.reason ?? null,
    updated_at: o.updatedAt,
  };
}

function fromRow(r: OrderRow): JournaledOrder {
  const order: Order = {
    id: r.id,
    conId: r.con_id,
    symbol: r.symbol,
    side: r.side as OrderSide,
    quantity: r.quantity,
    type: r.type as OrderType,
    ...(r.limit_price === null ? {} : { limitPrice: r.limit_price }),
    ...(r.stop_price === null ? {} : { stopPrice: r.stop_price }),
    tif: r.tif as TimeInForce,
    state: r.state as OrderState,
    filledQuantity: r.filled,
    avgFillPrice: r.avg_fill_price,
    ...(r.venue_order_id === null ? {} : { venueOrderId: r.venue_order_id }),
    ...(r.reason === null ? {} : { reason: r.reason }),
    reduceOnly: r.reduce_only === 1,
    origin: r.origin as Order['origin'],
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  return { order, instrument: JSON.parse(r.instrument) as Instrument, outsideRth: r.outside_rth === 1, ...(r.cid === null ? {} : { cid: r.cid }) };
}

function fillFromRow(r: FillRow): Fill {
  return {
    execId: r.exec_id,
    orderId: r.order_id,
    conId: r.con_id,
    symbol: r.symbol,
    side: r.side as OrderSide,
    quantity: r.quantity,
    price: r.price,
    multiplier: r.multiplier,
    commission: r.commission,
    time: r.time,
  };
}
