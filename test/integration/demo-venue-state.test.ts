// `serve --demo` restarted on the same data directory: the demo venue is the same paper account
// (its positions, orders and executions kept in <data-dir>/demo-venue.json), and its new fills
// carry execution ids no earlier run used, so none is taken for a duplicate and dropped.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Order, Position } from '../../src/shared';
import type { ReconciliationReport } from '../../src/main/execution';
import { tempDir } from '../support/fs';
import { startServe, type ServeProcess } from '../support/serve';
import { startAdapter } from '../support/venue';
import { untilAsync } from '../support/wait';

const SPY = { symbol: 'SPY', secType: 'STK' as const };

interface Result<T> {
  ok: boolean;
  value?: T;
  error?: { code: string; message: string };
}

function client(s: ServeProcess) {
  const token = s.url.searchParams.get('token') ?? '';
  const command = async <T>(name: string, args: unknown = {}): Promise<Result<T>> => {
    const res = await fetch(`${s.url.origin}/api/commands/${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(args),
    });
    return (await res.json()) as Result<T>;
  };
  const reconciled = () => untilAsync(async () => Boolean((await command<ReconciliationReport | null>('getReconciliation')).value), 'the venue in sync and reconciled');
  /** Buys at market and waits until the order is done; answers the order as DualDesk shows it. */
  const buy = async (quantity: number): Promise<Order> => {
    const placed = await command<Order>('placeOrder', { ticket: { instrument: SPY, side: 'BUY', quantity, type: 'MKT' } });
    expect(placed.error).toBeUndefined();
    const id = placed.value!.id;
    let order: Order | undefined;
    await untilAsync(async () => {
      order = (await command<Order[]>('getOrders')).value?.find((o) => o.id === id);
      return order !== undefined && ['filled', 'cancelled', 'rejected'].includes(order.state);
    }, `order ${id} done`);
    return order!;
  };
  const position = async () => (await command<Position[]>('getPositions')).value?.find((p) => p.symbol === 'SPY')?.quantity ?? 0;
  return { command, reconciled, buy, position };
}

const serveDemo = (dataDir: string) => startServe(['--data-dir', dataDir, '--port', '0', '--demo', '--log-level', 'info']);

/** The in-process simulator's port, from its 'simulator listening' log line. */
function demoVenuePort(s: ServeProcess): number {
  for (const line of s.stdout().split('\n')) {
    if (!line.includes('simulator listening')) continue;
    return (JSON.parse(line) as { port: number }).port;
  }
  throw new Error('the demo venue did not log its address');
}

let watchers = 90;

/** The venue's own SPY position, read by another API client. */
async function venuePosition(s: ServeProcess): Promise<number> {
  const watcher = startAdapter(demoVenuePort(s), { clientId: watchers++ });
  await watcher.adapter.whenReady();
  const snapshot = await watcher.adapter.resync();
  return snapshot.positions.find((p) => p.symbol === 'SPY')?.quantity ?? 0;
}

describe('serve --demo restarted on the same data directory', () => {
  it('keeps the paper account and fills the next order in full: DualDesk and the venue both hold 10 SPY', async () => {
    const dataDir = tempDir();
    const first = await serveDemo(dataDir);
    const a = client(first);
    await a.reconciled();
    expect(await a.buy(5)).toMatchObject({ state: 'filled', filledQuantity: 5 });
    await untilAsync(async () => (await a.position()) === 5, 'DualDesk holding 5 SPY');
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await serveDemo(dataDir);
    const b = client(second);
    await b.reconciled();
    expect(await b.buy(5)).toMatchObject({ state: 'filled', filledQuantity: 5 });
    await untilAsync(async () => (await b.position()) === 10, 'DualDesk holding 10 SPY');
    expect(await venuePosition(second)).toBe(10);
    expect((await b.command<ReconciliationReport>('getReconciliation')).value).toMatchObject({ clean: true });
    expect(statSync(join(dataDir, 'demo-venue.json')).mode & 0o777).toBe(0o600);
  });
});
