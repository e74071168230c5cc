import { spawn } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import { binDualdesk } from './paths';

/** `dualdesk sim` (the built CLI) in its own process, as TWS would be; killed when the test ends. */
export async function startSimProcess(args: readonly string[] = []): Promise<{ port: number }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [binDualdesk, 'sim', '--port', String(port), '--log-level', 'warn', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  return { port };
}
