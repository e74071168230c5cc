import { createDesk, loadConfig } from '../src/main/app';
import { systemClock } from '../src/main/clock';
import { createLogger } from '../src/main/ops';
import { loadShareCertificate, ShareServer, ViewerTokens } from '../src/main/share';
import { ViewerSwarm } from './lib/share-rig';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dataDir = mkdtempSync(join(tmpdir(), 'measure-'));
const desk = createDesk(loadConfig({ flags: { dataDir, 'log.level': 'silent' } }), { logger: createLogger({ level: 'silent' }) });
await desk.start();
const tokens = await ViewerTokens.open(dataDir);
const certificate = await loadShareCertificate({ dataDir });
const server = new ShareServer({ host: '127.0.0.1', port: 0, certificate, authority: tokens, logger: createLogger({ level: 'silent' }), metrics: desk.metrics, clock: systemClock, limits: { maxConnectionsPerAddress: 5000, connectionsPerSecond: 100000 } });
server.setSource(desk.stream);
await server.start();
const token = (await tokens.create({ scope: ['market'], ttlMs: 3_600_000, label: 'm' })).token;
const swarm = await ViewerSwarm.start();
const gc = (globalThis as { gc?: () => void }).gc!;
gc(); gc();
const before = process.memoryUsage();
await swarm.connect(`wss://127.0.0.1:${server.address().port}/stream`, 1000, { token, dualdesk: true, concurrency: 50 });
await new Promise((r) => setTimeout(r, 1000));
gc(); gc();
const after = process.memoryUsage();
const per = (k: keyof NodeJS.MemoryUsage) => ((after[k] - before[k]) / 1000 / 1024).toFixed(1);
console.log(`per viewer KiB: rss ${per('rss')} heapUsed ${per('heapUsed')} external ${per('external')} arrayBuffers ${per('arrayBuffers')}`);
await swarm.mark();
const publisher = desk.stream!.publisher;
const t0 = performance.now();
let i = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    publisher.publish(`md.quote.${i % 7}`, { t: performance.timeOrigin + performance.now(), i: i++ });
    if (performance.now() - t0 > 5000) { clearInterval(timer); resolve(); }
  }, 10);
});
await new Promise((r) => setTimeout(r, 500));
const rep = await swarm.report();
console.log(JSON.stringify({ ...rep, published: i }));
swarm.stop();
await server.stop();
tokens.close();
await desk.stop();
process.exit(0);
