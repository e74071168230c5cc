import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export type { Registry };

/**
 * One registry per desk (not prom-client's global one), so several desks in one process, as in
 * the tests, keep their numbers apart. Default metrics include process CPU/memory and event-loop lag.
 */
export function createMetricsRegistry(labels: { version: string }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const info = new Gauge({
    name: 'dualdesk_build_info',
    help: 'DualDesk version of this process (always 1).',
    labelNames: ['version'] as const,
    registers: [registry],
  });
  info.set(labels, 1);
  return registry;
}
