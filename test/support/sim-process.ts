import { spawn } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import { httpRequest } from './http';
import { binDualdesk } from './paths';

export interface SimProcess {
  readonly port: number;
  /** With `{ control: true }`: POSTs a fault to the simulator's control port (`fault('restart?downMs=3000')`). */
  readonly fault: (what: string) => Promise<void>;
  /** Kills the simulator (SIGKILL, as a crash would) and resolves once it has exited. */
  readonly kill: () => Promise<void>;
}

/** `dualdesk sim` (the built CLI) in its own process, as TWS would be; killed when the test ends. */
export async function startSimProcess(args: readonly string[] = [], options: { control?: boolean; port?: number } = {}): Promise<SimProcess> {
  const port = options.port ?? (await freePort());
  const controlPort = options.control ? await freePort() : undefined;
  const controlArgs = controlPort === undefined ? [] : ['--control-port', String(controlPort)];
  const proc = spawn(process.execPath, [binDualdesk, 'sim', '--port', String(port), '--log-level', 'warn', ...controlArgs, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  onTestFinished(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    proc.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('DualDesk simulator on')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`dualdesk sim exited (${code}): ${err}`)));
  });
  const fault = async (what: string) => {
    if (controlPort === undefined) throw new Error('start the simulator with { control: true } to inject faults');
    const res = await httpRequest(`http://127.0.0.1:${controlPort}/faults/${what}`, { method: 'POST', headers: { 'x-dualdesk-sim': '1' } });
    if (res.status !== 200) throw new Error(`sim fault ${what}: ${res.status} ${res.body}`);
  };
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  return { port, fault, kill };
}
