// `npm run bench -- [suite...] [--quick] [--json <file>]`: runs each bench/*.bench.ts in its own Node
// process, one after another (never in parallel: two cores), and prints their markdown tables for
// docs/BENCHMARKS.md; with --json, also the figures they report (bench/lib/report.ts) as one array.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collect, parseArgs, suiteOf, USAGE, UsageError, type FigureRow, type RunOptions } from './lib/runner';

// BENCH_DIR: where the bench files are (tests point it at fixtures); bench/ by default.
const dir = process.env['BENCH_DIR'] ?? fileURLToPath(new URL('.', import.meta.url));
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
let options: RunOptions;
try {
  options = parseArgs(process.argv.slice(2), all);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`bench: ${err.message}\nusage: ${USAGE}\n`);
  process.exit(2);
}

const figuresDir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-figures-'));
process.stdout.write(
  `# DualDesk benchmarks — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}${options.quick ? ' (--quick)' : ''}\n\n`,
);
let failed = 0;
const figures: FigureRow[] = [];
try {
  for (const file of options.files) {
    const suite = suiteOf(file);
    const reportFile = join(figuresDir, `${suite}.jsonl`);
    const env = { ...process.env, BENCH_SUITE: suite, BENCH_REPORT_FILE: reportFile, ...(options.quick ? { BENCH_QUICK: '1' } : {}) };
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, file)], { stdio: 'inherit', env, cwd: fileURLToPath(new URL('..', import.meta.url)) });
    if (r.status !== 0) {
      failed++;
      process.stderr.write(`${file} failed (exit ${r.status ?? r.signal})\n`);
    }
    figures.push(...collect(suite, reportFile));
    process.stdout.write('\n');
  }
} finally {
  rmSync(figuresDir, { recursive: true, force: true });
}
if (options.json !== undefined) {
  writeFileSync(options.json, `${JSON.stringify(figures, null, 2)}\n`);
  process.stderr.write(`bench: ${figures.length} figures written to ${options.json}\n`);
}
process.exit(failed === 0 ? 0 : 1);
