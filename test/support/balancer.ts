// A real load balancer for relay tests: Debian's haproxy running docs/relay/haproxy.cfg, the documented
// configuration, with its listen address and relay lines replaced (127.0.0.1 and the test's ports).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/kafka/broker';
import { ensureHaproxy } from '../../scripts/haproxy';
import { repoRoot } from './paths';

export const HAPROXY_CONFIG = join(repoRoot, 'docs', 'relay', 'haproxy.cfg');

export interface BalancerBackend {
  /** The relay's viewer port (TLS, passed through). */
  readonly port: number;
  /** Its ops port: haproxy checks GET /ready there. */
  readonly opsPort: number;
}

export interface Balancer {
  readonly port: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2_000;

/** The documented configuration with the listen address on 127.0.0.1:`port` and one server line per backend. */
export function renderHaproxyConfig(template: string, port: number, backends: readonly BalancerBackend[]): string {
  const bind = /^(\s*)bind \S+\s+# viewers-bind$/m;
  const relays = /^(\s*)# relays: begin\n[\s\S]*?^\s*# relays: end$/m;
  if (!bind.test(template) || !relays.test(template)) throw new Error(`${HAPROXY_CONFIG} lost its 'viewers-bind' line or its 'relays: begin/end' block`);
  return template
    .replace(bind, (_, indent: string) => `${indent}bind 127.0.0.1:${port}  # viewers-bind`)
    .replace(relays, (_, indent: string) =>
      [`${indent}# relays: begin`, ...backends.map((b, i) => `${indent}server relay${i + 1} 127.0.0.1:${b.port} check port ${b.opsPort}`), `${indent}# relays: end`].join('\n'),
    );
}

/**
 * Runs haproxy in the foreground (-db) on the documented configuration, resolving once its port
 * accepts. It is killed after `maxLifetimeSeconds` whatever happens to the test (and to the test
 * runner); stop() ends it sooner.
 */
export async function startBalancer(options: { backends: readonly BalancerBackend[]; maxLifetimeSeconds: number }): Promise<Balancer> {
  const haproxy = ensureHaproxy();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'dualdesk-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, renderHaproxyConfig(readFileSync(HAPROXY_CONFIG, 'utf8'), port, options.backends));
  // Under coreutils' timeout, so haproxy ends by itself even when the test runner dies (SIGTERM is passed on to it).
  const proc = spawn('timeout', ['-s', 'KILL', String(options.maxLifetimeSeconds), haproxy, '-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-8_000));
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const cut = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(cut);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    await acceptsOn(port, exited, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}

/** Tries the port until a connection succeeds; fails when haproxy exits first or the time is up. */
async function acceptsOn(port: number, exited: Promise<void>, output: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    if (gone) throw new Error(`haproxy exited before accepting on 127.0.0.1:${port}:\n${output()}`);
    if (await connects(port)) return;
    if (performance.now() > deadline) throw new Error(`haproxy did not accept on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${output()}`);
    await new Promise((r) => setImmediate(r));
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
