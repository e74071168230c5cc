// The documented haproxy configuration (docs/relay/haproxy.cfg) in front of two real TLS 1.3 servers
// standing in for relays, each with its /ready: TLS passes through, connections are spread over both,
// and once one dies (its port and its /ready gone) every new connection reaches the other.
import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadShareCertificate, type ShareCertificate } from '../../src/main/share';
import { startBalancer } from '../support/balancer';
import { tempDir } from '../support/fs';
import { repoRoot } from '../support/paths';

interface Backend {
  readonly name: string;
  readonly port: number;
  readonly opsPort: number;
  ready: boolean;
  /** Its viewer port and its ops port closed, open connections cut: a relay that died. */
  kill(): Promise<void>;
}

const listen = (server: HttpServer | ReturnType<typeof createTlsServer>) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
const closed = (server: HttpServer | ReturnType<typeof createTlsServer>) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A TLS 1.3 server that tells each client its name and keeps the connection, with a /ready beside it. */
async function backend(name: string, certificate: ShareCertificate): Promise<Backend> {
  const sockets = new Set<Socket>();
  const tls = createTlsServer({ cert: certificate.cert, key: certificate.key, minVersion: 'TLSv1.3' }, (socket) => {
    socket.on('error', () => undefined);
    socket.write(`${name}\n`);
  });
  tls.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const ops = createHttpServer((req, res) => {
    res.writeHead(req.url === '/ready' && b.ready ? 200 : 503).end();
  });
  let dead = false;
  const b: Backend = {
    name,
    port: await listen(tls),
    opsPort: await listen(ops),
    ready: true,
    kill: async () => {
      if (dead) return;
      dead = true;
      ops.closeAllConnections();
      for (const s of sockets) s.destroy();
      await Promise.all([closed(tls), closed(ops)]);
    },
  };
  onTestFinished(() => b.kill());
  return b;
}

/** Connects through the balancer, verifying the backend's certificate; resolves with the name it was told, the socket kept open. */
function reach(port: number, certificate: ShareCertificate): Promise<{ name: string; protocol: string | null; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca: certificate.cert });
    onTestFinished(() => void socket.destroy());
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.endsWith('\n')) resolve({ name: text.trim(), protocol: socket.getProtocol(), socket });
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`closed before a backend answered (got ${JSON.stringify(text)})`)));
  });
}

const tally = (names: readonly string[]) => names.reduce<Record<string, number>>((t, n) => ({ ...t, [n]: (t[n] ?? 0) + 1 }), {});

describe('haproxy with the documented configuration (real TLS 1.3 backends)', () => {
  it('passes TLS through, spreads connections over both backends, and sends every new one to the survivor when one dies', async () => {
    const certificate = await loadShareCertificate({ dataDir: tempDir() });
    const a = await backend('relay-a', certificate);
    const b = await backend('relay-b', certificate);
    const balancer = await startBalancer({ backends: [a, b], maxLifetimeSeconds: 60 });
    onTestFinished(() => balancer.stop());

    // Held open one after another: leastconn gives each new one to the backend with fewer.
    const spread: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await reach(balancer.port, certificate);
      expect(r.protocol).toBe('TLSv1.3');
      spread.push(r.name);
    }
    expect(tally(spread)).toEqual({ 'relay-a': 3, 'relay-b': 3 });

    await a.kill();
    const after: string[] = [];
    for (let i = 0; i < 6; i++) after.push((await reach(balancer.port, certificate)).name);
    expect(tally(after)).toEqual({ 'relay-b': 6 });
  });

  it('takes a backend whose /ready says 503 out of the pool, and back when it is ready again', async () => {
    const certificate = await loadShareCertificate({ dataDir: tempDir() });
    const a = await backend('relay-a', certificate);
    const b = await backend('relay-b', certificate);
    const balancer = await startBalancer({ backends: [a, b], maxLifetimeSeconds: 60 });
    onTestFinished(() => balancer.stop());

    // Not ready, yet still accepting TLS (Kafka lost, say): only the health check can tell.
    a.ready = false;
    const lastOf = async (n: number) => {
      const names: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await reach(balancer.port, certificate);
        names.push(r.name);
        r.socket.destroy();
      }
      return names;
    };
    await expect.poll(async () => tally(await lastOf(4)), { timeout: 15_000, interval: 0 }).toEqual({ 'relay-b': 4 });
    a.ready = true;
    await expect.poll(async () => (await lastOf(4)).includes('relay-a'), { timeout: 15_000, interval: 0 }).toBe(true);
  });

  it('fails loudly, with haproxy’s own words, when haproxy refuses the configuration', async () => {
    // A backend port of 0 is refused by haproxy: startBalancer fails loudly instead of hanging.
    await expect(startBalancer({ backends: [{ port: 0, opsPort: 0 }], maxLifetimeSeconds: 10 })).rejects.toThrow(/haproxy exited before accepting/);
  });

  it('haproxy ends by itself after its lifetime even when the process that started it was SIGKILLed', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../support/balancer-child.ts', import.meta.url)), '3'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    const port = Number(first.value);
    expect(port).toBeGreaterThan(0);
    child.kill('SIGKILL');
    const accepts = () =>
      new Promise<boolean>((resolve) => {
        const socket = connectTcp({ host: '127.0.0.1', port });
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    expect(await accepts()).toBe(true);
    // Still serving without its runner; then its 8 s lifetime ends it (with room for a loaded machine).
    await expect.poll(accepts, { timeout: 30_000, interval: 250 }).toBe(false);
  });
});
