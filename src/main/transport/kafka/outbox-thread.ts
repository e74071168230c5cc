// Starts the outbox's worker thread wherever DualDesk runs from. Built (the CLI, Electron), electron-vite
// writes the worker entry to out/main/kafka-outbox-worker.js while this code lands in out/main/*.js or
// out/main/chunks/*.js; from source (vitest, tsx) it is outbox-worker.ts beside this file, loaded
// through tsx, which a worker does not inherit from `--import tsx`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OutboxWorkerData } from './outbox-protocol';

/** A variable, so that bundlers leave the (source-only) resolution alone. */
const TSX_API = 'tsx/esm/api';

/** Where the worker module may be, relative to this module: built (beside it, or one folder up from chunks/), then source. */
const CANDIDATES = ['./kafka-outbox-worker.js', '../kafka-outbox-worker.js', './outbox-worker.ts'] as const;

/** The worker module's URL; throws naming every place looked at when there is none. */
export function outboxWorkerUrl(): URL {
  // Built from a list (never `new URL('literal', import.meta.url)`), which bundlers would rewrite into an asset.
  const urls = CANDIDATES.map((c) => new URL(c, import.meta.url));
  const found = urls.find((u) => existsSync(fileURLToPath(u)));
  if (!found) throw new Error(`the Kafka outbox worker module is missing (looked for ${urls.map((u) => fileURLToPath(u)).join(', ')}); rebuild DualDesk`);
  return found;
}

export function startOutboxWorker(data: OutboxWorkerData): Worker {
  const url = outboxWorkerUrl();
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: data });
  // From source: register tsx's loader inside the worker, then import the .ts entry (tsx is a devDependency).
  // Its ESM entry: the CommonJS one that require.resolve finds cannot register from an eval'd worker.
  const tsx = import.meta.resolve(TSX_API);
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { eval: true, workerData: data, execArgv: [] });
}
