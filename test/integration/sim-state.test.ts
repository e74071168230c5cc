// `dualdesk sim --state <file>` (the built CLI, as a process): the paper account survives the
// simulator's restart, even a kill; execution ids never repeat across runs; a state file that cannot
// be used stops the start with one clear line and exit 1 (under `serve --demo`, the demo venue's too).
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventName, OrderAction, OrderType, SecType, TimeInForce, type Contract, type Order } from '@stoqey/ib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import { tempDir } from '../support/fs';
import { connectClient, IbTestClient } from '../support/ib';
import { binDualdesk } from '../support/paths';
import { serveUntilExit } from '../support/serve';
import { until } from '../support/wait';
import { CON_ID } from '../support/fixtures';

const AAPL: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
const order = (o: Partial<Order> & Pick<Order, 'action' | 'orderType' | 'totalQuantity'>): Order => ({ tif: TimeInForce.DAY, transmit: true, ...o });

/** `dualdesk sim` as a process (as another user, if given): resolves once it serves, or with its exit and stderr if it stops first. */
async function runSim(args: readonly string[], user?: { uid: number; gid: number }) {
  const proc = spawn(process.execPath, [binDualdesk, 'sim', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...user });
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let err = '';
  let out = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const serving = await Promise.race([
    new Promise<boolean>((resolve) => proc.stderr.on('data', () => err.includes('DualDesk simulator on') && resolve(true))),
    exited.then(() => false),
  ]);
  return { proc, serving, exited, stderr: () => err, log: () => out };
}

async function startSimWithState(port: number, file: string) {
  const sim = await runSim(['--port', String(port), '--state', file]);
  if (!sim.serving) throw new Error(`dualdesk sim exited (${await sim.exited}): ${sim.stderr()}`);
  return sim;
}

async function fill(client: IbTestClient, orderId: number, quantity: number): Promise<string[]> {
  const since = client.mark();
  client.ib.placeOrder(orderId, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: quantity, orderRef: `dd-${orderId}` }));
  await client.waitFor(EventName.orderStatus, (a) => a[0] === orderId && a[1] === 'Filled', since);
  await client.waitFor(EventName.commissionReport, () => true, since);
  return client.events(EventName.execDetails, since).map((a) => (a[2] as { execId: string }).execId);
}

/** What a client sees of the account: cash, the AAPL position, working orders, executions with commissions. */
async function account(client: IbTestClient) {
  const since = client.mark();
  client.ib.reqAccountSummary(7, 'All', 'TotalCashValue');
  client.ib.reqPositions();
  client.ib.reqOpenOrders();
  client.ib.reqExecutions(9, {});
  await client.waitFor(EventName.accountSummaryEnd, () => true, since);
  await client.waitFor(EventName.positionEnd, () => true, since);
  await client.waitFor(EventName.openOrderEnd, () => true, since);
  await client.waitFor(EventName.execDetailsEnd, (a) => a[0] === 9, since);
  client.ib.cancelAccountSummary(7);
  client.ib.cancelPositions();
  return {
    cash: client.events(EventName.accountSummary, since).find((a) => a[2] === 'TotalCashValue')?.[3],
    position: client.events(EventName.position, since).find((a) => (a[1] as Contract).conId === CON_ID.AAPL)?.[2],
    working: client.events(EventName.openOrder, since).map((a) => [a[0], (a[2] as Order).lmtPrice, (a[3] as { status: string }).status]),
    executions: client.events(EventName.execDetails, since).map((a) => [(a[2] as { execId: string }).execId, (a[2] as { shares: number }).shares]),
    commissions: client.events(EventName.commissionReport, since).map((a) => (a[0] as { execId: string }).execId),
  };
}

describe('dualdesk sim --state', () => {
  it('keeps the paper account across a kill and a restart: cash, positions, working orders, next order id, executions', async () => {
    const port = await freePort();
    const file = join(tempDir(), 'venue.json');
    const first = await startSimWithState(port, file);
    const a = await connectClient(port, 1);
    const firstIds = await fill(a, 1, 100);
    const quote = (await a.waitFor(EventName.execDetails, () => true))[2] as { price: number };
    const low = Math.round((quote.price - 20) * 100) / 100;
    const since = a.mark();
    a.ib.placeOrder(2, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: low, totalQuantity: 50, tif: TimeInForce.GTC }));
    await a.waitFor(EventName.orderStatus, (x) => x[0] === 2 && x[1] === 'Submitted', since);
    const before = await account(a);
    expect(before).toMatchObject({ position: 100, working: [[2, low, 'Submitted']], executions: [[firstIds[0], 100]] });
    a.disconnect();
    // No shutdown to save on: every change is on disk when it happens.
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    await startSimWithState(port, file);
    const b = new IbTestClient(port);
    onTestFinished(() => b.disconnect());
    expect(await b.connect(1)).toBe(3);
    expect(await account(b)).toEqual(before);
    expect(before.commissions).toEqual(firstIds);
    const secondIds = await fill(b, 3, 10);
    expect(firstIds).not.toContain(secondIds[0]);
    expect((await account(b)).position).toBe(110);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'dualdesk-sim-venue', version: 1, accountId: 'DU1234567' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('tells of no fill it could not save: while the state file cannot be written nothing is reported, then the fill is saved and told', async () => {
    const dir = tempDir();
    const file = join(dir, 'venue.json');
    // Root ignores permissions: then the simulator runs as nobody, who owns the folder and will be unable to write it.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    if (user) chownSync(dir, user.uid, user.gid);
    const port = await freePort();
    const sim = await runSim(['--port', String(port), '--state', file], user);
    expect(sim.serving).toBe(true);
    const client = await connectClient(port, 1);
    await fill(client, 1, 100);

    chmodSync(dir, 0o500);
    const since = client.mark();
    client.ib.placeOrder(2, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 10 }));
    await until(() => sim.log().includes('sim cannot save its state'), 'the simulator failing to save its state');
    expect(client.events(EventName.orderStatus, since).filter((a) => a[0] === 2)).toEqual([]);

    chmodSync(dir, 0o700);
    await client.waitFor(EventName.orderStatus, (a) => a[0] === 2 && a[1] === 'Filled', since);
    // Told only once saved: the file already holds the fill the client just heard of.
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { engine: { executions: { orderId: number; shares: number }[] } };
    expect(saved.engine.executions.filter((e) => e.orderId === 2).map((e) => e.shares)).toEqual([10]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('never repeats an execution id across runs, with or without a state file', async () => {
    const ids: string[] = [];
    for (let run = 0; run < 3; run++) {
      const port = await freePort();
      const sim = await runSim(['--port', String(port)]);
      expect(sim.serving).toBe(true);
      const client = await connectClient(port, 1);
      ids.push(...(await fill(client, 1, 100)), ...(await fill(client, 2, 100)));
      client.disconnect();
      sim.proc.kill('SIGKILL');
      await sim.exited;
    }
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}\.[0-9a-f]{8}\.01\.01$/);
  });

  it('refuses to start over a state file it cannot use: one line, exit 1, the file left as it was', async () => {
    const dir = tempDir();
    const cases: [string, string, RegExp][] = [
      ['garbage.json', '{"format":"dualdesk-sim-ven', /is unusable \(not JSON: .+\); move it away to start a new paper account$/],
      ['empty.json', '', /is unusable \(not JSON: .+\)/],
      [
        'shape.json',
        JSON.stringify({ format: 'dualdesk-sim-venue', version: 1, accountId: 'DU1234567', savedAt: 0, orderIds: [], engine: { instruments: [] } }),
        /is unusable \(engine\.nextPermId: /,
      ],
      ['other.json', JSON.stringify({ format: 'something-else' }), /is unusable \(format: /],
    ];
    for (const [name, content, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, content);
      const sim = await runSim(['--port', String(await freePort()), '--state', file]);
      expect(sim.serving).toBe(false);
      expect(await sim.exited).toBe(1);
      const lines = sim.stderr().trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: the simulator's state file ${file.replace(/[.]/g, '\\.')} ${message.source}`));
      expect(readFileSync(file, 'utf8')).toBe(content);
    }
    // Another account's file is not this simulator's account.
    const file = join(dir, 'paper.json');
    const paper = await startSimWithState(await freePort(), file);
    paper.proc.kill('SIGTERM');
    expect(await paper.exited).toBe(0);
    const live = await runSim(['--port', String(await freePort()), '--state', file, '--live-account', 'U7654321']);
    expect(await live.exited).toBe(1);
    expect(live.stderr()).toBe(`error: the simulator's state file ${file} holds account DU1234567, not U7654321\n`);
  });

  it('serve --demo refuses to start over a corrupt demo-venue.json: one clear line, exit 1, the file untouched', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'demo-venue.json'), '\0\0\0\0');
    const { code, stderr } = await serveUntilExit(['--data-dir', dataDir, '--port', '0', '--demo', '--log-level', 'silent']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: simulator failed to start: the simulator's state file .*demo-venue\.json is unusable \(not JSON: [^\n\0]+\); move it away to start a new paper account\n$/,
    );
    expect(readFileSync(join(dataDir, 'demo-venue.json'), 'utf8')).toBe('\0\0\0\0');
  });
});
