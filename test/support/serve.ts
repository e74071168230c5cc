import { spawn, type ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { binDualdesk } from './paths';

export interface ServeProcess {
  readonly proc: ChildProcess;
  /** The URL printed at startup, token included. */
  readonly url: URL;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
}

/**
 * Runs `dualdesk serve` (the built CLI through its bin) and waits for the line announcing its URL.
 * It is killed when the test ends, unless `suite` is set: then the suite's afterAll stops it.
 */
export async function startServe(args: readonly string[], env: Record<string, string> = {}, { suite = false } = {}): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [binDualdesk, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  if (!suite) {
    onTestFinished(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
  }
  const url = await new Promise<URL>((resolve, reject) => {
    proc.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /is serving at (\S+)/.exec(err);
      if (m?.[1]) resolve(new URL(m[1]));
    });
    void exited.then((code) => reject(new Error(`dualdesk serve exited (${code}) before serving:\n${err}\n${out}`)));
  });
  return { proc, url, stdout: () => out, stderr: () => err, exited };
}
