// `npm run bench [name...]`: runs each bench/*.bench.ts in its own Node process, one after another
// (never in parallel: two cores), and prints their markdown tables for docs/BENCHMARKS.md.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
const selected = wanted.length === 0 ? all : all.filter((f) => wanted.some((w) => f.startsWith(w)));
if (selected.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}; have: ${all.join(', ')}\n`);
  process.exit(2);
}

process.stdout.write(`# DualDesk benchmarks — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}\n\n`);
let failed = 0;
for (const file of selected) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${file}`], { stdio: 'inherit', cwd: fileURLToPath(new URL('..', import.meta.url)) });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`${file} failed (exit ${r.status ?? r.signal})\n`);
  }
  process.stdout.write('\n');
}
process.exit(failed === 0 ? 0 : 1);
