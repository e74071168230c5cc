// Node's own floor per idle TLS 1.3 socket: a plain tls.createServer (no ws, no HTTP) alone in this
// process, N idle clients in a forked child; resident set and heap after full collections, before and
// after the clients connect. Run: npx tsx bench/lib/tls-floor-probe.ts [viewers=1000] [http] [write=<bytes> [chunk=<bytes>] [paced]]
// ('http' serves through https.createServer, still without an upgrade, to see what HTTP adds; 'write=<bytes>'
// writes that many bytes to each socket once (in writes of 'chunk' bytes), read by the clients, before measuring: what a socket keeps
// after it has sent something, as a viewer's snapshot is).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadShareCertificate } from '../../src/main/share';

const [, , role = 'server', a = '1000', b = ''] = process.argv;

if (role === 'client') {
  // The child: open N idle TLS connections to the port, say 'up', hold them until disconnect.
  const port = Number(a);
  const n = Number(b);
  const expected = n * Number(process.argv[5] ?? '0');
  let read = 0;
  const sockets: tls.TLSSocket[] = [];
  let open = 0;
  for (let i = 0; i < n; i++) {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      if (++open === n) process.send?.('up');
    });
    s.on('error', () => {});
    s.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (expected > 0 && read === expected) process.send?.('read');
    });
    sockets.push(s);
  }
  process.on('disconnect', () => process.exit(0));
} else {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // The viewer count is the numeric argument, wherever it is (`server 1000 http`, `http`, `500`).
  const n = Number(process.argv.slice(2).find((x) => /^\d+$/.test(x)) ?? '1000');
  const useHttp = process.argv.includes('http');
  const chunk = Number(process.argv.find((x) => x.startsWith('chunk='))?.slice('chunk='.length) ?? String(2 ** 30));
  if (!Number.isInteger(chunk) || chunk <= 0) throw new Error('chunk=<bytes> takes a positive integer');
  const write = Number(process.argv.find((x) => x.startsWith('write='))?.slice('write='.length) ?? '0');
  const dir = mkdtempSync(join(tmpdir(), 'dualdesk-tls-floor-'));
  const certificate = await loadShareCertificate({ dataDir: dir });
  const options = { cert: certificate.cert, key: certificate.key, minVersion: 'TLSv1.3' as const };
  const held: unknown[] = [];
  const server = useHttp
    ? https.createServer(options)
    : tls.createServer(options, (s) => {
        s.on('error', () => {});
        held.push(s);
      });
  if (useHttp) server.on('secureConnection', (s: tls.TLSSocket) => held.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const measure = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 200));
    }
    return process.memoryUsage();
  };
  const before = await measure();
  const port = (server.address() as { port: number }).port;
  const child = fork(fileURLToPath(import.meta.url), ['client', String(port), String(n), String(write)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise((r) => child.once('message', r));
  if (write > 0) {
    while (held.length < n) await new Promise((r) => setTimeout(r, 20));
    const read = new Promise((r) => child.once('message', r));
    const bytes = Buffer.alloc(write, 7);
    const paced = process.argv.includes('paced');
    if (!paced) for (const s of held) for (let at = 0; at < write; at += chunk) (s as tls.TLSSocket).write(bytes.subarray(at, at + chunk));
    else
      // Each chunk written once the last has left (its write callback): what the socket keeps when it never holds more than a chunk.
      await Promise.all(
        held.map(async (s) => {
          for (let at = 0; at < write; at += chunk) await new Promise<void>((r) => (s as tls.TLSSocket).write(bytes.subarray(at, at + chunk), () => r()));
        }),
      );
    await read;
  }
  const after = await measure();
  const kib = (x: number) => (x / n / 1024).toFixed(1);
  console.log(
    JSON.stringify({
      kind: useHttp ? 'https' : 'tls',
      writtenBytesPerSocket: write,
      inWritesOf: Math.min(chunk, write),
      paced: process.argv.includes('paced'),
      viewers: n,
      held: held.length,
      rssKiBPerSocket: kib(after.rss - before.rss),
      heapKiBPerSocket: kib(after.heapUsed - before.heapUsed),
      externalKiBPerSocket: kib(after.external - before.external),
    }),
  );
  child.disconnect();
  server.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
