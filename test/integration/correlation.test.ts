// One correlation id follows an order from the click to the fill: `dualdesk serve --demo` (the built
// CLI in its own process) takes an order over its HTTP command API, and its JSON log lines and the
// order's journal records in paper.db are read back as a trader would `grep <cid>` them.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Order } from '../../src/shared';
import { tempDir } from '../support/fs';
import { httpRequest } from '../support/http';
import { startServe, type ServeProcess } from '../support/serve';
import { until, untilAsync } from '../support/wait';

type Line = Record<string, unknown>;

const logLines = (serve: ServeProcess): Line[] =>
  serve
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);

async function command(serve: ServeProcess, name: string, args: unknown, headers: Record<string, string> = {}) {
  const token = serve.url.searchParams.get('token') ?? '';
  return httpRequest(`${serve.url.origin}/api/commands/${name}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(args),
  });
}

/** Places a market order and waits until it is filled and its fill is logged; returns the order and the cid the server answered with. */
async function placeFilled(serve: ServeProcess, quantity: number, headers: Record<string, string> = {}): Promise<{ order: Order; cid: string }> {
  const placed = await command(serve, 'placeOrder', { ticket: { instrument: { symbol: 'AAPL', secType: 'STK' }, side: 'BUY', quantity, type: 'MKT' } }, headers);
  expect(placed.status, placed.body).toBe(200);
  const cid = placed.headers['x-correlation-id'];
  expect(typeof cid).toBe('string');
  const { id } = placed.json<{ value: Order }>().value;
  let order: Order | undefined;
  await untilAsync(async () => {
    order = (await command(serve, 'getOrders', {})).json<{ value: Order[] }>().value.find((o) => o.id === id);
    return order?.state === 'filled';
  }, `order ${id} filled`);
  await until(() => logLines(serve).some((l) => l['msg'] === 'fill recorded' && l['orderId'] === id), `the fill of ${id} logged`);
  return { order: order as Order, cid: cid as string };
}

/** Every log line about the order carries its cid, and these steps are among them. */
function expectTrail(serve: ServeProcess, order: Order, cid: string): void {
  // The desk's lines (the in-process simulator's are the venue's own, as TWS's log would be).
  const about = logLines(serve).filter((l) => l['component'] !== 'sim' && (l['orderId'] === order.id || l['orderRef'] === order.id || l['orderId'] === order.venueOrderId));
  expect(about.filter((l) => l['cid'] !== cid && l['orderCid'] !== cid)).toEqual([]);
  const trail = logLines(serve).filter((l) => l['cid'] === cid);
  const steps = trail.map((l) => [l['msg'], l['state'] ?? l['command'] ?? ''].join(' ').trim());
  expect(steps).toEqual(
    expect.arrayContaining([
      'order journaled', // the write-ahead journal
      'order sent', // the venue adapter wrote it to the venue
      'order updated by the venue submitted', // the venue's acknowledgement
      'fill recorded filled', // the fill, and the order filled by it
      'order status from IB', // each status the venue sent (debug)
      'command done placeOrder',
    ]),
  );
  expect(trail.find((l) => l['msg'] === 'fill recorded')).toMatchObject({ orderId: order.id, symbol: 'AAPL', quantity: order.quantity });
}

describe('correlation ids through `serve --demo`', () => {
  it('one cid follows an order from the HTTP command through the journal and the venue to the fill', async () => {
    const dataDir = tempDir();
    const serve = await startServe(['--data-dir', dataDir, '--port', '0', '--demo', '--log-level', 'debug']);
    await untilAsync(async () => (await httpRequest(`${serve.url.origin}/ready`)).status === 200, 'the desk ready');

    // The client names the request: that id is the order's.
    const mine = await placeFilled(serve, 5, { 'x-correlation-id': 'ticket-click-0001' });
    expect(mine.cid).toBe('ticket-click-0001');
    expectTrail(serve, mine.order, mine.cid);

    // No id from the client: the server makes one and says which.
    const theirs = await placeFilled(serve, 7);
    expect(theirs.cid).toMatch(/^[0-9a-f-]{36}$/);
    expectTrail(serve, theirs.order, theirs.cid);

    // The journal keeps the order's cid, and each of its events says under which cid it was written.
    const db = new Database(join(dataDir, 'paper.db'), { readonly: true, fileMustExist: true });
    try {
      for (const { order, cid } of [mine, theirs]) {
        expect(db.prepare('SELECT cid FROM orders WHERE id = ?').get(order.id)).toEqual({ cid });
        const events = db.prepare('SELECT kind, cid FROM order_events WHERE order_id = ? ORDER BY seq').all(order.id) as { kind: string; cid: string }[];
        expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['intent-place', 'sent', 'fill']));
        expect(events.filter((e) => e.cid !== cid)).toEqual([]);
      }
    } finally {
      db.close();
    }

    // An id that is not safe to log is refused with the reason, and nothing runs: no order is placed or journaled.
    const ordersBefore = (await command(serve, 'getOrders', {})).json<{ value: Order[] }>().value.length;
    const bad = await command(
      serve,
      'placeOrder',
      { ticket: { instrument: { symbol: 'AAPL', secType: 'STK' }, side: 'BUY', quantity: 3, type: 'MKT' } },
      { 'x-correlation-id': 'spaces and\ttabs' },
    );
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'bad_request', message: expect.stringMatching(/x-correlation-id must be 1 to 64/) as unknown } });
    expect((await command(serve, 'getOrders', {})).json<{ value: Order[] }>().value).toHaveLength(ordersBefore);
    const journal = new Database(join(dataDir, 'paper.db'), { readonly: true, fileMustExist: true });
    try {
      expect(journal.prepare('SELECT COUNT(*) AS n FROM orders').get()).toEqual({ n: ordersBefore });
    } finally {
      journal.close();
    }
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });
});
