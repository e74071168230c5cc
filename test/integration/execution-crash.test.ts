// The desk process killed with SIGKILL between the order journal's write and the venue's
// acknowledgement (failpoints), restarted against the same venue (the simulator in its own process):
// reconciliation leaves no duplicate order and no lost fill.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Order, Position } from '../../src/shared';
import type { ReconciliationReport } from '../../src/main/execution';
import { tempDir } from '../support/fs';
import { startServe, type ServeProcess } from '../support/serve';
import { startSimProcess } from '../support/sim-process';
import { startAdapter } from '../support/venue';
import { untilAsync } from '../support/wait';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

async function serve(dataDir: string, simPort: number, failpoints?: string): Promise<ServeProcess> {
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ venue: { paperPort: simPort, clientId: 7 } }));
  return startServe(['--data-dir', dataDir, '--port', '0', '--venue', 'tws', '--log-level', 'warn'], failpoints ? { DUALDESK_FAILPOINTS: failpoints } : {});
}

function client(s: ServeProcess) {
  const token = s.url.searchParams.get('token') ?? '';
  const command = async <T>(name: string, args: unknown = {}): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }> => {
    const res = await fetch(`${s.url.origin}/api/commands/${name}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(args),
    });
    return (await res.json()) as { ok: boolean; value?: T; error?: { code: string; message: string } };
  };
  const reconciled = () => untilAsync(async () => Boolean((await command<ReconciliationReport | null>('getReconciliation')).value), 'the venue in sync and reconciled');
  return { command, reconciled };
}

let watchers = 90;

/** What the venue itself holds, read by another API client (a fresh one each time, so it reports every execution). */
async function venueView(simPort: number) {
  const watcher = startAdapter(simPort, { clientId: watchers++ });
  await watcher.adapter.whenReady();
  return watcher.adapter.resync();
}

describe('a desk killed between the order journal and the venue’s acknowledgement', () => {
  it('before the order was sent: after the restart the order is marked not sent, and the venue never had it', async () => {
    const { port: simPort } = await startSimProcess();
    const dataDir = tempDir();
    const first = await serve(dataDir, simPort, 'execution.after-journal-write');
    await client(first).reconciled();
    await expect(client(first).command('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 100, type: 'MKT' } })).rejects.toThrow();
    expect(await first.exited).toBe('SIGKILL');

    const second = await serve(dataDir, simPort);
    const c = client(second);
    await c.reconciled();
    const orders = (await c.command<Order[]>('getOrders')).value!;
    expect(orders).toEqual([expect.objectContaining({ symbol: 'AAPL', quantity: 100, state: 'rejected', reason: expect.stringMatching(/^Not sent/) as unknown })]);
    expect((await c.command<ReconciliationReport>('getReconciliation')).value).toMatchObject({ clean: true, notSent: [expect.objectContaining({ id: orders[0]!.id })] });
    const venue = await venueView(simPort);
    expect([...venue.openOrders, ...venue.completedOrders].filter((o) => o.orderRef === orders[0]!.id)).toEqual([]);
    expect(venue.positions.filter((p) => p.quantity !== 0)).toEqual([]);
  });

  it('after the order was sent: after the restart the order is found at the venue, its fill applied exactly once, and nothing is sent twice', async () => {
    const { port: simPort } = await startSimProcess();
    const dataDir = tempDir();
    const first = await serve(dataDir, simPort, 'execution.after-send');
    await client(first).reconciled();
    await expect(client(first).command('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 100, type: 'MKT' } })).rejects.toThrow();
    expect(await first.exited).toBe('SIGKILL');

    for (let restart = 1; restart <= 2; restart++) {
      const next = await serve(dataDir, simPort);
      const c = client(next);
      await c.reconciled();
      const orders = (await c.command<Order[]>('getOrders')).value!;
      expect(orders).toHaveLength(1);
      const venue = await venueView(simPort);
      const atVenue = [...venue.openOrders, ...venue.completedOrders].filter((o) => o.orderRef === orders[0]!.id);
      // The bytes were on their way when the process died; the kernel delivered them (or not): the journal follows the venue either way.
      if (atVenue.length === 1) {
        await untilAsync(async () => (await c.command<Order[]>('getOrders')).value?.[0]?.state === 'filled', 'the order filled');
        // One execution at the venue, and the journal's order filled by exactly it.
        const executions = venue.newExecutions.filter((e) => e.orderRef === orders[0]!.id);
        expect(executions.map((e) => e.shares)).toEqual([100]);
        expect((await c.command<Order[]>('getOrders')).value?.[0]).toMatchObject({ filledQuantity: 100, avgFillPrice: executions[0]!.price });
        await untilAsync(async () => (await c.command<Position[]>('getPositions')).value?.find((p) => p.symbol === 'AAPL')?.quantity === 100, 'the position');
        expect(venue.positions.find((p) => p.symbol === 'AAPL')?.quantity).toBe(100);
      } else {
        expect(atVenue).toEqual([]);
        expect(orders[0]).toMatchObject({ state: 'rejected', reason: expect.stringMatching(/^Not sent/) as unknown });
      }
      next.proc.kill('SIGTERM');
      expect(await next.exited).toBe(0);
    }
  });
});
