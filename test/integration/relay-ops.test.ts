// A relay's ops port over real HTTP on loopback: /health, /ready from its checks (what the balancer
// polls), /metrics from its registry, and nothing else.
import { createServer } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/main/ops';
import { startRelayOps, type RelayOps, type RelayOpsOptions } from '../../src/main/share';
import { httpRequest } from '../support/http';

type Checks = ReturnType<RelayOpsOptions['readiness']>['checks'];

async function start(checks: () => Checks, metrics = new Registry()): Promise<RelayOps> {
  const ops = await startRelayOps({ port: 0, metrics, logger: createLogger({ level: 'silent' }), readiness: () => ({ checks: checks() }) });
  onTestFinished(() => ops.close());
  return ops;
}

describe("a relay's ops port (real HTTP)", () => {
  it('answers /health with 200, and /ready with 200 or 503 as its checks are now', async () => {
    let kafka = { ok: false, detail: 'connecting to 127.0.0.1:9092' };
    const ops = await start(() => ({ kafka, caughtUp: { ok: true, detail: 'lag 0' } }));
    expect(ops.url).toBe(`http://127.0.0.1:${ops.port}`);
    const health = await httpRequest(`${ops.url}/health`);
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok' });

    const notReady = await httpRequest(`${ops.url}/ready`);
    expect(notReady.status).toBe(503);
    expect(notReady.json()).toEqual({ ready: false, checks: { kafka: { ok: false, detail: 'connecting to 127.0.0.1:9092' }, caughtUp: { ok: true, detail: 'lag 0' } } });

    kafka = { ok: true, detail: 'connected' };
    const ready = await httpRequest(`${ops.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true });
    const head = await httpRequest(`${ops.url}/ready`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('serves its registry in Prometheus text', async () => {
    const metrics = new Registry();
    new Counter({ name: 'dualdesk_relay_test_total', help: 'A counter for the test.', registers: [metrics] }).inc(3);
    const ops = await start(() => ({}), metrics);
    const res = await httpRequest(`${ops.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toMatch(/^dualdesk_relay_test_total 3$/m);
  });

  it('answers anything else with 404 and other methods with 405', async () => {
    const ops = await start(() => ({}));
    for (const path of ['/', '/stream', '/api/info', '/ready/x']) expect((await httpRequest(`${ops.url}${path}`)).status).toBe(404);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await httpRequest(`${ops.url}/ready`, { method });
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe('GET, HEAD');
    }
  });

  it('a check that throws makes /ready answer 500, and the port keeps serving', async () => {
    let broken = true;
    const ops = await start(() => {
      if (broken) throw new Error('lag unknown');
      return { kafka: { ok: true, detail: 'connected' } };
    });
    expect((await httpRequest(`${ops.url}/ready`)).status).toBe(500);
    broken = false;
    expect((await httpRequest(`${ops.url}/ready`)).status).toBe(200);
  });

  it('fails to start with a clear error when the port is taken; close frees it', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    await expect(startRelayOps({ port, metrics: new Registry(), logger: createLogger({ level: 'silent' }), readiness: () => ({ checks: {} }) })).rejects.toThrow(
      `cannot listen for the relay's ops port on 127.0.0.1:${port}: EADDRINUSE`,
    );
    const ops = await startRelayOps({ port: 0, metrics: new Registry(), logger: createLogger({ level: 'silent' }), readiness: () => ({ checks: {} }) });
    await ops.close();
    await expect(httpRequest(`${ops.url}/health`)).rejects.toThrow(/ECONNREFUSED/);
  });
});
