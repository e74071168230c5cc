// `dualdesk relay` as a child process (the built CLI through its bin): started and waited for its
// startup line, or run expecting it to fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { binDualdesk } from './paths';

export interface RelayProcess {
  readonly proc: ChildProcess;
  /** The viewer page's base URL, https://host:port/ */
  readonly url: URL;
  readonly fingerprint: string;
  /** The ops port's base URL, http://127.0.0.1:port */
  readonly opsUrl: string;
  /** The relay's certificate (PEM), for a viewer to trust. */
  readonly ca: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | string>;
}

const STARTED = /serving viewers at (\S+) \(TLS 1\.3, certificate SHA-256 ([0-9A-F:]+)\); ops at (\S+)/;

/** Runs `dualdesk relay <args>` (give it --data-dir or --tls-cert: its certificate is read from there); killed when the test ends unless `suite`. */
export async function startRelayProcess(args: readonly string[], { suite = false } = {}): Promise<RelayProcess> {
  const proc = spawn(process.execPath, [binDualdesk, 'relay', ...args], { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  if (!suite) {
    onTestFinished(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
  }
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const found = STARTED.exec(out);
      if (found) resolve(found);
    });
    void exited.then((code) => reject(new Error(`dualdesk relay exited (${code}) before serving:\n${err}\n${out}`)));
  });
  // The certificate given (--tls-cert), else the self-signed one in its data dir.
  const cert = args.includes('--tls-cert') ? (args[args.indexOf('--tls-cert') + 1] as string) : join(args[args.indexOf('--data-dir') + 1] as string, 'share-cert.pem');
  return {
    proc,
    url: new URL(m[1] as string),
    fingerprint: m[2] as string,
    opsUrl: m[3] as string,
    ca: readFileSync(cert, 'utf8'),
    stdout: () => out,
    stderr: () => err,
    exited,
  };
}

/** Runs `dualdesk relay <args>` expecting it to fail: its exit code and output once it has exited. */
export async function relayUntilExit(args: readonly string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [binDualdesk, 'relay', ...args], { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | string>((resolve, reject) => {
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (STARTED.test(stdout)) reject(new Error(`dualdesk relay started instead of failing:\n${stdout}`));
    });
    proc.once('close', (c, signal) => resolve(c ?? signal ?? -1));
  });
  return { code, stdout, stderr };
}

/** Stops a relay process with SIGTERM and resolves with its exit code. */
export async function stopRelayProcess(relay: RelayProcess | undefined): Promise<number | string | undefined> {
  if (!relay) return undefined;
  if (relay.proc.exitCode === null && relay.proc.signalCode === null) relay.proc.kill('SIGTERM');
  return relay.exited;
}
