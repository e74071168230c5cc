// A bench child built as DualDesk ships: one esbuild bundle of its TypeScript (packages left to node_modules),
// run by plain node. tsx keeps every function's name (esbuild's keepNames), which gives each closure its own
// property store: about 4 KiB of heap per viewer of the share server that the built app does not have.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundles a bench child script (a URL from import.meta.url) into a temporary directory; returns the .mjs path. */
export async function builtScript(script: URL): Promise<string> {
  const entry = fileURLToPath(script);
  // Inside the project, so the bundle's packages resolve from its node_modules.
  const cache = fileURLToPath(new URL('../../node_modules/.cache/dualdesk-bench/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  const outfile = join(mkdtempSync(cache), basename(entry).replace(/\.ts$/, '.mjs'));
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  return outfile;
}
