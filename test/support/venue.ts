import { join } from 'node:path';
import { Registry } from 'prom-client';
import { onTestFinished } from 'vitest';
import type { TradingMode } from '../../src/shared';
import { createVenueMetrics, IbAdapter, type IbAdapterOptions } from '../../src/main/ib';
import type { VenueEvents } from '../../src/main/venue';
import { createLogger } from '../../src/main/ops';
import { openStore, VenueMemoryRepository, type Store } from '../../src/main/store';
import { tempDir } from './fs';

export interface TestAdapter {
  readonly adapter: IbAdapter;
  readonly store: Store;
  readonly memory: VenueMemoryRepository;
  readonly registry: Registry;
  /** Every event the adapter emitted, in order. */
  readonly log: { name: keyof VenueEvents; args: unknown[] }[];
}

/** An adapter on a real SQLite file, connected to `port`; stopped when the test ends. */
export function startAdapter(port: number, options: Partial<IbAdapterOptions> & { mode?: TradingMode; dbFile?: string } = {}): TestAdapter {
  const mode = options.mode ?? 'paper';
  const store = openStore(options.dbFile ?? join(tempDir(), `${mode}.db`), mode);
  const memory = new VenueMemoryRepository(store.db);
  const registry = new Registry();
  const adapter = new IbAdapter({
    host: '127.0.0.1',
    port,
    clientId: 11,
    memory,
    logger: createLogger({ level: 'silent' }),
    metrics: createVenueMetrics(registry),
    ...options,
    mode,
  });
  const log: TestAdapter['log'] = [];
  const names: (keyof VenueEvents)[] = ['status', 'order', 'orderError', 'execution', 'commission', 'position', 'accountValue', 'resynced', 'alert'];
  for (const name of names) adapter.on(name, (...args: unknown[]) => log.push({ name, args }));
  adapter.start();
  onTestFinished(async () => {
    await adapter.stop();
    store.close();
  });
  return { adapter, store, memory, registry, log };
}

/** The first event (from `since` in the log) named `name` whose first argument satisfies `match`. */
export function nextEvent<K extends keyof VenueEvents>(
  t: TestAdapter,
  name: K,
  match: (arg: VenueEvents[K][0]) => boolean = () => true,
  since = 0,
  timeoutMs = 15_000,
): Promise<VenueEvents[K][0]> {
  const found = t.log.slice(since).find((e) => e.name === name && match(e.args[0] as VenueEvents[K][0]));
  if (found) return Promise.resolve(found.args[0] as VenueEvents[K][0]);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      t.adapter.off(name, listener as never);
      reject(new Error(`no '${String(name)}' event within ${timeoutMs} ms; status ${JSON.stringify(t.adapter.status())}`));
    }, timeoutMs);
    const listener = (arg: VenueEvents[K][0]) => {
      if (!match(arg)) return;
      clearTimeout(timer);
      t.adapter.off(name, listener as never);
      resolve(arg);
    };
    t.adapter.on(name, listener as never);
  });
}

export const eventsOf = <K extends keyof VenueEvents>(t: TestAdapter, name: K, since = 0): VenueEvents[K][0][] =>
  t.log
    .slice(since)
    .filter((e) => e.name === name)
    .map((e) => e.args[0] as VenueEvents[K][0]);

/** A counter's value in the adapter's registry (0 when never incremented). */
export async function metricValue(t: TestAdapter, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await t.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return Number(value?.value ?? 0);
}
