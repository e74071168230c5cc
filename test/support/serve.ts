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

export interface ServeExit {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `dualdesk serve` expecting it to fail: resolves with its exit code and output once the
 * process has exited (the test's timeout bounds a process that never does); rejects as soon as it
 * serves instead. `user` runs it as
 * another user (uid, gid), so that permissions apply even when the tests run as root.
 */
export async function serveUntilExit(args: readonly string[], { user }: { user?: { uid: number; gid: number } } = {}): Promise<ServeExit> {
  const proc = spawn(process.execPath, [binDualdesk, 'serve', ...args], {
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const code = await new Promise<number | string>((resolve, reject) => {
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (/is serving at/.test(stderr)) reject(new Error(`dualdesk serve started instead of failing:\n${stderr}`));
    });
    proc.once('close', (c, signal) => resolve(c ?? signal ?? -1));
  });
  return { code, stdout, stderr };
}

/**
 * A command straight to a serve process's HTTP API, with the control token it printed (what a page
 * shows is checked against it); throws with the answer when it is refused.
 */
export async function serveCommand<T>(serve: ServeProcess, name: string, args: object = {}): Promise<T> {
  const res = await fetch(new URL(`/api/commands/${name}`, serve.url.origin), {
    method: 'POST',
    headers: { authorization: `Bearer ${serve.url.searchParams.get('token') ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  const body = (await res.json()) as { ok: boolean; value: T };
  if (!body.ok) throw new Error(`${name} refused: ${JSON.stringify(body)}`);
  return body.value;
}

/** Stops a suite's serve process (SIGCONT first, in case a test left it stopped) and waits for it to exit. */
export async function stopServe(serve: ServeProcess | undefined): Promise<void> {
  if (!serve || serve.proc.exitCode !== null || serve.proc.signalCode !== null) return;
  serve.proc.kill('SIGCONT');
  serve.proc.kill('SIGTERM');
  await serve.exited;
}
