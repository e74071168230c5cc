// How a benchmark hands its headline figures to `npm run bench -- --json <file>`: one JSON line per
// figure appended to the file the runner names in BENCH_REPORT_FILE (a no-op when run on its own), and
// BENCH_QUICK=1 for `--quick`, which each benchmark reads to run fewer or smaller rounds.
import { appendFileSync } from 'node:fs';

/** One headline figure: `value` in `unit`, beside its `baseline` measured in the same run (null: none). */
export interface Figure {
  readonly figure: string;
  readonly unit: string;
  readonly value: number;
  readonly baseline?: number | null;
}

/** The runner's `--quick`: shrink rounds and sizes so that all the stream suites run in under 5 minutes. */
export const QUICK = process.env['BENCH_QUICK'] === '1';

/** A knob: the environment variable `name` if set, else the quick or the full value. */
export function knob(name: string, full: number, quick: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? (QUICK ? quick : full) : Number(raw);
}

/** Records a figure for the runner's JSON (the markdown tables are printed as before). */
export function report(f: Figure): void {
  const file = process.env['BENCH_REPORT_FILE'];
  if (file === undefined || file === '') return;
  const line = { figure: f.figure, unit: f.unit, value: f.value, baseline: f.baseline ?? null };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}
