// A bench child built as DualDesk ships: one esbuild bundle of its TypeScript (packages left to node_modules),
// run by plain node. tsx keeps every function's name (esbuild's keepNames), which gives each closure its own
// property store: about 4 KiB of heap per viewer of the share server that the built app does not have.
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles a bench child script (a URL from import.meta.url) to node_modules/.cache/dualdesk-bench/<name>.mjs; returns that path. */
export async function builtScript(script: URL): Promise<string> {
  const entry = fileURLToPath(script);
  // Inside the project, so the bundle's packages resolve from its node_modules.
  const cache = fileURLToPath(new URL('../../node_modules/.cache/dualdesk-bench/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  // One file per entry, replaced at each build (a rename, so a child starting meanwhile reads a whole one).
  const outfile = join(cache, basename(entry).replace(/\.ts$/, '.mjs'));
  const staging = join(mkdtempSync(cache), basename(outfile));
  await build({ entryPoints: [entry], outfile: staging, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  renameSync(staging, outfile);
  rmSync(dirname(staging), { recursive: true, force: true });
  return outfile;
}
