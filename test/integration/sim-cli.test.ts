import { spawn } from 'node:child_process';
import { EventName } from '@stoqey/ib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import { connectClient } from '../support/ib';
import { binDualdesk } from '../support/paths';

async function startSimProcess(args: string[]) {
  const proc = spawn(process.execPath, [binDualdesk, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  let err = '';
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const banner = await new Promise<string>((resolve, reject) => {
    proc.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('\n')) resolve(err.split('\n')[0] ?? '');
    });
    void exited.then((code) => reject(new Error(`dualdesk sim exited (${code}): ${err}`)));
  });
  return { proc, banner, exited };
}

describe('dualdesk sim (the built CLI, as a process)', () => {
  it('runs the simulator with a live-looking account and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const sim = await startSimProcess(['--port', String(port), '--live-account', 'U7654321', '--symbols', 'AAPL,XYZ', '--seed', '9', '--log-level', 'warn']);
    expect(sim.banner).toBe(`DualDesk simulator on 127.0.0.1:${port} (account U7654321, seed 9)`);
    const client = await connectClient(port, 1);
    expect(client.events(EventName.managedAccounts)).toEqual([['U7654321']]);
    const since = client.mark();
    client.ib.reqContractDetails(1, { symbol: 'XYZ', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' });
    client.ib.reqContractDetails(2, { symbol: 'MSFT', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' });
    await client.waitFor(EventName.contractDetailsEnd, (a) => a[0] === 1, since);
    await client.waitFor(EventName.error, (a) => a[2] === 2 && a[1] === 200, since);
    client.disconnect();
    sim.proc.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
  });
});
