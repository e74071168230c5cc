// Execution against the simulator over TCP: write-ahead journal, state machine, exactly-once fills,
// reconciliation after a reconnect, adoption of unknown orders, and the kill switch.
import { describe, expect, it } from 'vitest';
import { DeskCommandError, type Fill, type Order, type TradingState } from '../../src/shared';
import { MessageBus, type CoreTopics } from '../../src/main/bus';
import { ExecutionEngine, KillSwitch, type GateVerdict, type OrderIntent } from '../../src/main/execution';
import { createLogger } from '../../src/main/ops';
import { OrderJournalRepository } from '../../src/main/store';
import { startSim } from '../support/sim';
import { nextEvent, startAdapter } from '../support/venue';
import { until } from '../support/wait';
import { CON_ID } from '../support/fixtures';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

/** The execution engine wired to a real adapter, journal and bus, with a gate and trading control the test steers. */
async function startExecution(options: { reconnect?: { initialMs: number; maxMs: number }; clientId?: number } = {}) {
  const { sim, clock, port } = await startSim();
  const t = startAdapter(port, { ...(options.reconnect ? { reconnect: options.reconnect } : {}), ...(options.clientId ? { clientId: options.clientId } : {}) });
  const journal = new OrderJournalRepository(t.store.db);
  const bus = new MessageBus<CoreTopics>();
  const published: { topic: string; data: unknown }[] = [];
  bus.subscribeAny('>', (data, topic) => published.push({ topic, data }));
  const gate = { refuse: undefined as GateVerdict | undefined, seen: [] as OrderIntent[] };
  const control = { current: 'ACTIVE' as TradingState, halts: [] as string[] };
  const fills = { applied: [] as Fill[], commissions: [] as [string, number][] };
  const engine = new ExecutionEngine({
    journal,
    venue: t.adapter,
    bus,
    gate: {
      check: (intent) => {
        gate.seen.push(intent);
        return gate.refuse ?? { ok: true };
      },
    },
    control: {
      state: () => control.current,
      halt: (reason) => {
        control.current = 'HALTED';
        control.halts.push(reason);
      },
    },
    fills: { applyFill: (f) => fills.applied.push(f), applyCommission: (id, c) => fills.commissions.push([id, c]) },
    clock: sim.clock,
    logger: createLogger({ level: 'silent' }),
  });
  engine.start();
  // The composition root calls each resync's steps; here reconciliation is the only one.
  t.adapter.on('resynced', (s) => engine.resynced(s));
  await t.adapter.whenReady();
  await until(() => engine.lastReconciliation !== undefined, 'the first reconciliation');
  const events = (db = t.store.db) => db.prepare<[], { order_id: string; kind: string }>('SELECT order_id, kind FROM order_events ORDER BY seq').all();
  return { sim, clock, t, journal, bus, published, gate, control, fills, engine, events };
}

describe('execution against the simulator', () => {
  it('journals the intent before sending, follows the order to filled, and applies its fill once with its commission', async () => {
    const x = await startExecution();
    const order = await x.engine.place({ instrument: AAPL, side: 'BUY', quantity: 100, type: 'MKT', tif: 'DAY' });
    expect(order).toMatchObject({ conId: CON_ID.AAPL, symbol: 'AAPL', side: 'BUY', quantity: 100, origin: 'desk', reduceOnly: false });
    expect(order.venueOrderId).toBeGreaterThan(0);
    expect(order.id).toMatch(/^[0-9A-F]{10}-1$/);
    await until(() => x.engine.order(order.id)?.state === 'filled' && x.fills.commissions.length === 1, 'the fill and its commission');
    const done = x.engine.order(order.id)!;
    expect(done).toMatchObject({ state: 'filled', filledQuantity: 100 });
    expect(x.fills.applied).toHaveLength(1);
    expect(x.fills.applied[0]).toMatchObject({ orderId: order.id, quantity: 100, side: 'BUY', conId: CON_ID.AAPL, multiplier: 1 });
    expect(x.fills.commissions[0]?.[0]).toBe(x.fills.applied[0]?.execId);
    expect(x.journal.fill(x.fills.applied[0]!.execId)?.commission).toBeGreaterThan(0);
    // Write-ahead: the intent is the first thing journaled; 'sent' follows it; the venue's news comes after.
    const kinds = x
      .events()
      .filter((e) => e.order_id === order.id)
      .map((e) => e.kind);
    expect(kinds.slice(0, 2)).toEqual(['intent-place', 'sent']);
    expect(kinds).toContain('fill');
    const states = x.published.filter((p) => p.topic === `order.${order.id}`).map((p) => (p.data as Order).state);
    expect(states[0]).toBe('new');
    expect(states.at(-1)).toBe('filled');
    expect(x.published.filter((p) => p.topic === 'fill').length).toBeGreaterThanOrEqual(1);
    expect(x.gate.seen).toHaveLength(1);
  });

  it('modifies and cancels a working order; the venue’s confirmation makes it cancelled', async () => {
    const x = await startExecution();
    const bid = x.sim.market.lastTick(CON_ID.AAPL, x.clock.now())!.bid;
    const low = Math.round((bid - 5) * 100) / 100;
    const order = await x.engine.place({ instrument: AAPL, side: 'BUY', quantity: 50, type: 'LMT', limitPrice: low, tif: 'GTC' });
    await until(() => x.engine.order(order.id)?.state === 'submitted', 'working');
    await x.engine.modify(order.id, { quantity: 70, limitPrice: low - 1 });
    await until(() => x.engine.order(order.id)?.quantity === 70, 'the modify confirmed by the venue');
    expect(x.engine.order(order.id)?.limitPrice).toBe(low - 1);
    expect(x.sim.engine.order(order.venueOrderId!, 11)).toMatchObject({ totalQuantity: 70 });
    await x.engine.cancel(order.id);
    await until(() => x.engine.order(order.id)?.state === 'cancelled', 'the cancel confirmed');
    await expect(x.engine.cancel(order.id)).rejects.toMatchObject({ code: 'order-final' });
    expect(
      x
        .events()
        .filter((e) => e.order_id === order.id)
        .map((e) => e.kind),
    ).toEqual(expect.arrayContaining(['intent-modify', 'modify-sent', 'intent-cancel']));
  });

  it('refuses orders the gate refuses, and when the venue is away, without journaling or sending anything', async () => {
    const x = await startExecution({ reconnect: { initialMs: 50, maxMs: 200 } });
    x.gate.refuse = { ok: false, code: 'max-notional', reason: 'Order notional 1,000,000 is over the limit of 100,000.' };
    await expect(x.engine.place({ instrument: AAPL, side: 'BUY', quantity: 5_000, type: 'MKT', tif: 'DAY' })).rejects.toMatchObject({
      code: 'max-notional',
      message: /over the limit/,
    });
    x.gate.refuse = undefined;
    const mark = x.t.log.length;
    const restart = x.sim.faults.restart(300);
    await nextEvent(x.t, 'status', (s) => s.state === 'lost', mark);
    const refused = await x.engine.place({ instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DeskCommandError);
    expect(refused).toMatchObject({ code: 'venue-unavailable' });
    expect((refused as Error).message).toMatch(/disconnected|lost/i);
    expect(x.journal.recent(10)).toEqual([]);
    await restart;
  });

  it('sends nothing and halts trading when the journal cannot be written', async () => {
    const x = await startExecution();
    x.t.store.db.pragma('query_only = ON');
    await expect(x.engine.place({ instrument: AAPL, side: 'BUY', quantity: 10, type: 'MKT', tif: 'DAY' })).rejects.toMatchObject({ code: 'journal-failed' });
    expect(x.control.halts[0]).toMatch(/order journal cannot be written/);
    x.t.store.db.pragma('query_only = OFF');
    expect([...x.sim.engine.openOrders(), ...x.sim.engine.completedOrders()]).toEqual([]);
  });

  it('applies fills made while disconnected exactly once, and reconciles the order to filled', async () => {
    const x = await startExecution({ reconnect: { initialMs: 50, maxMs: 200 } });
    const bid = x.sim.market.lastTick(CON_ID.AAPL, x.clock.now())!.bid;
    const order = await x.engine.place({ instrument: AAPL, side: 'BUY', quantity: 100, type: 'LMT', limitPrice: bid, tif: 'GTC' });
    await until(() => x.engine.order(order.id)?.state === 'submitted', 'working');
    const mark = x.t.log.length;
    const restart = x.sim.faults.restart(400);
    await nextEvent(x.t, 'status', (s) => s.state === 'lost', mark);
    for (let i = 0; i < 288 && x.sim.engine.order(order.venueOrderId!, 11)?.status !== 'Filled'; i++) x.clock.advance(300_000);
    expect(x.sim.engine.order(order.venueOrderId!, 11)?.status).toBe('Filled');
    await restart;
    await nextEvent(x.t, 'resynced', () => true, mark);
    await until(() => x.engine.order(order.id)?.state === 'filled', 'the order filled after reconciliation');
    expect(x.fills.applied.filter((f) => f.orderId === order.id)).toHaveLength(1);
    // Its fill came with the resync, before the reconciliation, which then had nothing left to match.
    expect(x.engine.lastReconciliation).toMatchObject({ clean: true, adopted: [], missing: [], fillMismatches: [] });
    // A second resync finds nothing new.
    await x.t.adapter.resync();
    expect(x.fills.applied.filter((f) => f.orderId === order.id)).toHaveLength(1);
    expect(x.control.halts).toEqual([]);
  });

  it('adopts a working order it did not place, shows it, and halts until the trader has seen it', async () => {
    const x = await startExecution({ reconnect: { initialMs: 50, maxMs: 200 } });
    const other = startAdapter(x.t.adapter.status().port, { clientId: 12 });
    await other.adapter.whenReady();
    const aapl = await other.adapter.resolve(AAPL);
    const bid = x.sim.market.lastTick(CON_ID.AAPL, x.clock.now())!.bid;
    await other.adapter.placeOrder({
      orderRef: 'tws-manual-1',
      instrument: aapl,
      side: 'BUY',
      quantity: 10,
      type: 'LMT',
      limitPrice: Math.round((bid - 3) * 100) / 100,
      tif: 'GTC',
    });
    // Placed while DualDesk runs: adopted as it appears (DualDesk sees every client's orders after the next resync).
    const mark = x.t.log.length;
    await x.t.adapter.resync();
    await nextEvent(x.t, 'resynced', () => true, mark);
    const report = x.engine.lastReconciliation!;
    expect(report.clean).toBe(false);
    expect(report.adopted).toEqual([expect.objectContaining({ origin: 'adopted', symbol: 'AAPL', quantity: 10, state: 'submitted' })]);
    expect(report.adopted[0]?.reason).toMatch(/orderRef tws-manual-1/);
    expect(x.control.halts.at(-1)).toMatch(/1 unknown venue order\(s\) adopted/);
    expect(x.engine.workingOrders().map((o) => o.origin)).toEqual(['adopted']);
  });

  it('kill switch: halts, cancels working orders first, flattens with a reduce-only exit, verifies flat, and stays halted', async () => {
    const x = await startExecution();
    const entry = await x.engine.place({ instrument: AAPL, side: 'BUY', quantity: 100, type: 'MKT', tif: 'DAY' });
    await until(() => x.engine.order(entry.id)?.state === 'filled', 'the position');
    const ask = x.sim.market.lastTick(CON_ID.AAPL, x.clock.now())!.ask;
    const resting = await x.engine.place({ instrument: AAPL, side: 'SELL', quantity: 100, type: 'LMT', limitPrice: Math.round((ask + 5) * 100) / 100, tif: 'GTC' });
    await until(() => x.engine.order(resting.id)?.state === 'submitted', 'the resting order');
    const kill = new KillSwitch({
      engine: x.engine,
      venue: x.t.adapter,
      control: { halt: (r) => x.control.halts.push(r) },
      clock: x.sim.clock,
      logger: createLogger({ level: 'silent' }),
    });
    const report = await kill.trigger('test');
    expect(x.control.halts[0]).toMatch(/^Kill switch: test/);
    expect(report).toMatchObject({ flat: true, remaining: [], problems: [] });
    expect(report.exits).toEqual([expect.objectContaining({ side: 'SELL', quantity: 100, type: 'MKT', reduceOnly: true, state: 'filled' })]);
    const cancelledAt = x.engine.order(resting.id)!;
    expect(cancelledAt.state).toBe('cancelled');
    // The exit was created only after the resting order's cancel was confirmed: no way for both to fill.
    expect(report.exits[0]!.createdAt).toBeGreaterThanOrEqual(cancelledAt.updatedAt);
    const positions = (await x.t.adapter.resync()).positions.filter((p) => p.quantity !== 0);
    expect(positions).toEqual([]);
  });
});
