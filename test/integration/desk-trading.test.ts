// The trading core wired in the desk, driven through its one command router against the demo venue
// (the simulator in-process, real TCP): orders, risk refusals, flatten, the kill switch and re-arm,
// and what reaches the stream.
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { EquitySnapshot, Order, Position } from '../../src/shared';
import { startStreamDesk, subscribe, type TestStream } from '../support/stream';
import { until, untilAsync } from '../support/wait';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

async function demoDesk(): Promise<TestStream> {
  const s = await startStreamDesk({ demo: true });
  await until(() => s.desk.core?.execution?.lastReconciliation !== undefined, 'the venue in sync and reconciled');
  return s;
}

async function ok<T>(s: TestStream, name: string, args: unknown = {}): Promise<T> {
  const r = await s.desk.command(name, args);
  if (!r.ok) throw new Error(`${name} refused: ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

async function refused(s: TestStream, name: string, args: unknown) {
  const r = await s.desk.command(name, args);
  if (r.ok) throw new Error(`${name} was accepted`);
  return r.error;
}

const orderOf = async (s: TestStream, id: string) => (await ok<Order[]>(s, 'getOrders')).find((o) => o.id === id);
const positionOf = async (s: TestStream, conId: number) => (await ok<Position[]>(s, 'getPositions')).find((p) => p.conId === conId)?.quantity ?? 0;

describe('the trading core through the desk’s commands (demo venue)', () => {
  it('places an order that fills into a position and equity, all of it on the stream', async () => {
    const s = await demoDesk();
    const { received } = await subscribe(s);
    const order = await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 100, type: 'MKT' } });
    expect(order).toMatchObject({ symbol: 'AAPL', side: 'BUY', quantity: 100, tif: 'DAY', origin: 'desk' });
    await until(() => received.frames.some((f) => f.topic === `order.${order.id}` && (f.data as Order).state === 'filled'), 'the filled order on the stream');
    expect(await positionOf(s, order.conId)).toBe(100);
    const equity = await ok<EquitySnapshot>(s, 'getEquity');
    expect(equity.totalTrades).toBe(1);
    // What happened since joining came live; what was there before (the venue's status) in the snapshot.
    const topics = [...received.frames.map((f) => f.topic), ...Object.keys(received.snapshots[0]?.state ?? {})];
    for (const t of ['order.', 'fill', 'position.AAPL', 'equity', 'md.quote.AAPL', 'venue.status', 'risk.state'])
      expect(
        topics.some((x) => x.startsWith(t)),
        t,
      ).toBe(true);
  });

  it('refuses bad input and what risk refuses, each with its reason, and carries on', async () => {
    const s = await demoDesk();
    expect(await refused(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: -5, type: 'LMT' } })).toEqual({
      code: 'invalid-arguments',
      message: expect.stringMatching(/Quantity must be above 0.*Limit price is required for a LMT order/) as unknown,
    });
    expect(await refused(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1_000_000, type: 'MKT' } })).toMatchObject({
      code: 'max-order-quantity',
      message: expect.stringMatching(/exceeds the maximum/) as unknown,
    });
    expect(await refused(s, 'placeOrder', { ticket: { instrument: { symbol: 'ZZZZ', secType: 'STK' }, side: 'BUY', quantity: 1, type: 'MKT' } })).toMatchObject({
      code: 'unknown-instrument',
    });
    expect(await refused(s, 'nope', {})).toMatchObject({ code: 'unknown-command' });
    expect(await refused(s, 'switchMode', { mode: 'live' })).toMatchObject({ code: 'confirm-required' });
    expect(await refused(s, 'setRiskLimits', { limits: { priceBandPct: -1 } })).toMatchObject({
      code: 'invalid-risk-limits',
      message: expect.stringMatching(/priceBandPct/) as unknown,
    });
    const order = await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 10, type: 'MKT' } });
    expect(order.quantity).toBe(10);
  });

  it('modifies and cancels a working order, and flattens a position', async () => {
    const s = await demoDesk();
    const entry = await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 50, type: 'MKT' } });
    await until(() => s.desk.core?.execution?.order(entry.id)?.state === 'filled', 'the entry filled');
    const quote = s.desk.core!.marketData!.quote(entry.conId)!;
    const price = Math.round(quote.bid! * 0.97 * 100) / 100;
    const working = await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 20, type: 'LMT', limitPrice: price, tif: 'GTC' } });
    await until(() => s.desk.core?.execution?.order(working.id)?.state === 'submitted', 'working');
    await ok(s, 'modifyOrder', { orderId: working.id, quantity: 30 });
    await until(() => s.desk.core?.execution?.order(working.id)?.quantity === 30, 'the modify confirmed');
    await ok(s, 'cancelOrder', { orderId: working.id });
    await until(() => s.desk.core?.execution?.order(working.id)?.state === 'cancelled', 'cancelled');
    const exits = await ok<Order[]>(s, 'flatten', { conId: entry.conId });
    expect(exits).toEqual([expect.objectContaining({ side: 'SELL', quantity: 50, reduceOnly: true })]);
    await until(() => s.desk.core?.portfolio.position(entry.conId)?.quantity === 0, 'flat');
    expect((await orderOf(s, exits[0]!.id))?.state).toBe('filled');
  });

  it('refuses new orders while the stream cannot be written (the screens would not show them), lets cancels through, and takes orders again once it recovers', async () => {
    const s = await demoDesk();
    const publisher = s.desk.stream!.publisher;
    const entry = await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 5, type: 'MKT' } });
    await until(() => s.desk.core?.execution?.order(entry.id)?.state === 'filled', 'the entry filled');
    const price = Math.round(s.desk.core!.marketData!.quote(entry.conId)!.bid! * 0.97 * 100) / 100;
    const working = await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 20, type: 'LMT', limitPrice: price, tif: 'GTC' } });
    await until(() => s.desk.core?.execution?.order(working.id)?.state === 'submitted', 'working');
    // Another process holds the journal's write lock: the desk's commits fail (SQLITE_BUSY once SQLite's 5 s wait is over).
    const other = new BetterSqlite3(join(s.dataDir, 'paper-stream.db'));
    other.exec('BEGIN IMMEDIATE');
    const release = () => {
      if (!other.open) return;
      other.exec('COMMIT');
      other.close();
    };
    onTestFinished(release);
    publisher.publish('t', 'a message the journal cannot take');
    await until(() => publisher.failure !== undefined, 'the journal’s commits failing', 30_000);
    const ticket = { instrument: AAPL, side: 'BUY', quantity: 5, type: 'MKT' };
    expect(await refused(s, 'placeOrder', { ticket })).toMatchObject({
      code: 'stream-unavailable',
      message: expect.stringMatching(/stream that feeds the screens cannot be written .*database is locked/) as unknown,
    });
    expect(await ok(s, 'previewOrder', { ticket })).toMatchObject({ ok: false, code: 'stream-unavailable' });
    // A change to a working order is as blind as a new one; the venue keeps the order as it was.
    expect(await refused(s, 'modifyOrder', { orderId: working.id, quantity: 40 })).toMatchObject({ code: 'stream-unavailable' });
    expect(s.desk.core?.execution?.order(working.id)?.quantity).toBe(20);
    await ok(s, 'cancelOrder', { orderId: working.id });
    await until(() => s.desk.core?.execution?.order(working.id)?.state === 'cancelled', 'cancelled while the stream is failing');
    release();
    await until(() => publisher.failure === undefined, 'the journal’s commits recovered', 30_000);
    const after = await ok<Order>(s, 'placeOrder', { ticket });
    expect(after.quantity).toBe(5);
  });

  it('kill switch: flat and halted, orders refused until the trader re-arms', async () => {
    const s = await demoDesk();
    const entry = await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 100, type: 'MKT' } });
    await until(() => s.desk.core?.portfolio.position(entry.conId)?.quantity === 100, 'the position');
    const report = await ok<{ flat: boolean; exits: Order[] }>(s, 'killSwitch', { reason: 'test drill' });
    expect(report.flat).toBe(true);
    expect(report.exits).toHaveLength(1);
    expect(await ok(s, 'getRiskStatus')).toMatchObject({ state: 'HALTED', latched: true, reason: expect.stringMatching(/Kill switch: test drill/) as unknown });
    expect(await refused(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } })).toMatchObject({ code: 'trading-halted' });
    expect(await ok(s, 'rearm')).toMatchObject({ state: 'ACTIVE' });
    expect((await ok<Order>(s, 'placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } })).quantity).toBe(1);
  });

  it('previews an order with the gate’s verdict without recording it, lists fills with commissions, and reports health', async () => {
    const s = await demoDesk();
    const unknown = await ok<{ ok: boolean; code?: string }>(s, 'previewOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 10, type: 'MKT' } });
    expect(unknown).toMatchObject({ ok: false, code: 'unknown-instrument' });
    const md = await ok<{ instrument: { conId: number }; bars5s: unknown[] }>(s, 'subscribe', { instrument: AAPL });
    expect(Array.isArray(md.bars5s)).toBe(true);
    await until(() => s.desk.core?.marketData?.quote(md.instrument.conId) !== undefined, 'a first quote');
    const ticket = { instrument: { ...AAPL, conId: md.instrument.conId }, side: 'BUY', quantity: 10, type: 'MKT' };
    expect(await ok(s, 'previewOrder', { ticket })).toEqual({ ok: true });
    expect(await ok(s, 'previewOrder', { ticket: { ...ticket, quantity: 1_000_000 } })).toMatchObject({ ok: false, code: 'max-order-quantity' });
    // A preview records nothing: the duplicate guard does not see it, so the same order still goes out.
    await ok(s, 'previewOrder', { ticket });
    const order = await ok<Order>(s, 'placeOrder', { ticket });
    // The same ticket again within the duplicate window: the preview says so before sending.
    expect(await ok(s, 'previewOrder', { ticket })).toMatchObject({ ok: false, code: 'duplicate-order' });
    await untilAsync(
      async () => (await ok<{ commission: number; orderId: string }[]>(s, 'getFills')).some((f) => f.orderId === order.id && f.commission > 0),
      'the fill with its commission',
    );

    const health = await ok<{
      mode: string;
      session: string;
      venue?: { synced: boolean };
      checks: Record<string, { ok: boolean }>;
      stream: { head: number } | null;
      kafka: unknown;
    }>(s, 'getHealth');
    expect(health).toMatchObject({ mode: 'paper', venue: { synced: true }, checks: { venue: { ok: true }, stream: { ok: true }, journal: { ok: true } }, kafka: null });
    expect(health.stream?.head).toBeGreaterThan(0);
    expect(await refused(s, 'armLive', { confirm: true })).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/LIVE mode only/) as unknown });
    expect(await refused(s, 'armLive', {})).toMatchObject({ code: 'invalid-arguments' });
  });
});
