// What DualDesk's local server costs per request: GET /health through the desk's server (host
// check, security headers, request counter, correlation id) beside a bare node:http server that
// answers the same bytes. Sequential keep-alive requests; rounds alternate to share the noise.
import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDesk, loadConfig } from '../src/main/app';
import { createLogger } from '../src/main/ops';
import { fmt, median, summarize, table, type LatencySummary } from './lib/stats';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 5_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

async function drive(port: number): Promise<LatencySummary> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 500; i++) await once(); // warm-up
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await once();
    samples.push(performance.now() - t);
  }
  const result = summarize(samples, performance.now() - started);
  agent.destroy();
  return result;
}

const body = JSON.stringify({ status: 'ok', uptimeSeconds: 0 });
const bare = createServer((_req, res) => {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
});
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
const barePort = (bare.address() as AddressInfo).port;

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-'));
const desk = createDesk(loadConfig({ flags: { dataDir, 'server.port': 0 }, defaults: { server: { enabled: true } } }), {
  logger: createLogger({ level: 'warn' }),
});
await desk.start();
const deskPort = desk.server!.address().port;

const runs: { bare: LatencySummary[]; desk: LatencySummary[] } = { bare: [], desk: [] };
for (let round = 0; round < ROUNDS; round++) {
  runs.bare.push(await drive(barePort));
  runs.desk.push(await drive(deskPort));
}
await desk.stop();
bare.close();
rmSync(dataDir, { recursive: true, force: true });

const row = (name: string, rs: LatencySummary[]) => {
  const p50 = median(rs.map((r) => r.p50));
  const p99 = median(rs.map((r) => r.p99));
  const rate = median(rs.map((r) => r.perSecond));
  return { name, p50, p99, rate };
};
const b = row('bare node:http (baseline)', runs.bare);
const d = row('DualDesk local server', runs.desk);
process.stdout.write(
  `## local server: GET /health, ${REQUESTS} sequential keep-alive requests x ${ROUNDS} rounds (medians of rounds)\n\n` +
    table(
      ['server', 'p50 ms', 'p99 ms', 'req/s', 'req/s vs baseline'],
      [b, d].map((r) => [r.name, fmt(r.p50), fmt(r.p99), Math.round(r.rate), fmt(r.rate / b.rate, 2)]),
    ) +
    '\n',
);
