// The simulator's control socket: a loopback HTTP endpoint that drives the fault injector from the
// command line or another process (`curl -X POST -H 'x-dualdesk-sim: 1' 127.0.0.1:7498/faults/drop`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../ops';
import type { Simulator } from './simulator';

/** A header browsers cannot add to cross-site requests without a CORS preflight, which is never granted. */
export const CONTROL_HEADER = 'x-dualdesk-sim';

type Action = (sim: Simulator, query: URLSearchParams) => unknown;

const ACTIONS: Readonly<Record<string, Action>> = {
  '/faults/drop': (sim) => sim.faults.dropConnections(),
  '/faults/stall': (sim, q) => sim.faults.stall(q.get('on') !== '0'),
  '/faults/connectivity-lost': (sim) => sim.faults.connectivityLost(),
  '/faults/connectivity-restored': (sim, q) => sim.faults.connectivityRestored(q.get('dataKept') !== '0'),
  '/faults/farm-down': (sim) => sim.faults.farmDown(),
  '/faults/farm-up': (sim) => sim.faults.farmUp(),
  '/faults/restart': (sim, q) => sim.faults.restart(numberParam(q, 'downMs', 1_000, 0, 600_000)),
  '/faults/up': (sim) => sim.faults.up(),
  '/faults/reject-next-order': (sim, q) => sim.faults.rejectNextOrder(q.get('reason') ?? undefined),
  '/faults/latency': (sim, q) => sim.faults.setLatency(numberParam(q, 'ms', 0, 0, 60_000)),
};

class BadParam extends Error {}

function numberParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new BadParam(`${name} must be a number from ${min} to ${max}`);
  return n;
}

export function startControlServer(sim: Simulator, port: number, logger: Logger): Promise<Server> {
  const server: Server = createServer((req, res) => {
    void handle(sim, req, res, (server.address() as AddressInfo).port, logger);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function handle(sim: Simulator, req: IncomingMessage, res: ServerResponse, port: number, logger: Logger): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const host = req.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    reply(403, { error: 'host not allowed' });
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/status') {
    reply(200, { accountId: sim.accountId, address: sim.address, clients: sim.clients(), now: new Date(sim.clock.now()).toISOString() });
    return;
  }
  const action = ACTIONS[url.pathname];
  if (!action) {
    reply(404, { error: `no such control: ${url.pathname}`, controls: ['GET /status', ...Object.keys(ACTIONS).map((p) => `POST ${p}`)] });
    return;
  }
  if (req.method !== 'POST') {
    reply(405, { error: 'use POST' });
    return;
  }
  if (req.headers[CONTROL_HEADER] !== '1') {
    reply(403, { error: `send the header '${CONTROL_HEADER}: 1'` });
    return;
  }
  try {
    await action(sim, url.searchParams);
    logger.info({ control: url.pathname, query: url.search }, 'sim control');
    reply(200, { ok: true });
  } catch (err) {
    reply(err instanceof BadParam ? 400 : 500, { error: (err as Error).message });
  }
}
