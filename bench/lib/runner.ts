// The bench runner's logic, apart from its process so that tests can drive it: the command line
// (`<suite...> [--quick] [--json <file>]`, parsed with commander) and the figures the benchmarks
// reported (JSON lines, see ./report.ts) gathered into one array for `--json`.
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';

export interface RunOptions {
  /** The bench files to run, in order. */
  readonly files: readonly string[];
  readonly quick: boolean;
  /** Where to write the figures as JSON, if asked. */
  readonly json: string | undefined;
}

/** A mistake on the command line: the runner prints it and exits 2. */
export class UsageError extends Error {}

export const USAGE = 'npm run bench -- [suite...] [--quick] [--json <file>]';

/** The suite a bench file is: its name without `.bench.ts`. */
export const suiteOf = (file: string): string => file.replace(/\.bench\.ts$/, '');

/** Parses the arguments after `npm run bench --`; a suite argument selects every bench whose name starts with it. */
export function parseArgs(argv: readonly string[], available: readonly string[]): RunOptions {
  const program = new Command('bench')
    .usage('[suite...] [--quick] [--json <file>]')
    .argument('[suite...]', 'name prefixes of bench/*.bench.ts (all when none)')
    .option('--quick', 'fewer and smaller rounds: every stream suite together in under 5 minutes')
    .option('--json <file>', 'write every figure the benches report as one JSON array')
    .helpOption(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(err.message.replace(/^error: /, ''));
    throw err;
  }
  const opts = program.opts<{ quick?: boolean; json?: string }>();
  if (opts.json !== undefined && opts.json.trim() === '') throw new UsageError('--json needs a file name');
  const wanted = program.processedArgs[0] as string[];
  const files = wanted.length === 0 ? [...available] : available.filter((f) => wanted.some((w) => f.startsWith(w)));
  if (files.length === 0) throw new UsageError(`no benchmark matches ${wanted.join(', ')}; have: ${available.map(suiteOf).join(', ')}`);
  const unmatched = wanted.filter((w) => !available.some((f) => f.startsWith(w)));
  if (unmatched.length > 0) throw new UsageError(`no benchmark matches ${unmatched.join(', ')}; have: ${available.map(suiteOf).join(', ')}`);
  return { files, quick: opts.quick === true, json: opts.json };
}

/** One row of the `--json` array; ratio = value / baseline (null without a baseline). */
export interface FigureRow {
  readonly suite: string;
  readonly figure: string;
  readonly unit: string;
  readonly value: number | null;
  readonly baseline: number | null;
  readonly ratio: number | null;
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** The figures one suite reported (its JSON-lines file); lines that are not a figure are an error. */
export function collect(suite: string, file: string): FigureRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return []; // the bench reported nothing
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const x = JSON.parse(l) as { figure?: unknown; unit?: unknown; value?: unknown; baseline?: unknown };
      if (typeof x.figure !== 'string' || typeof x.unit !== 'string') throw new Error(`${suite} reported a line that is not a figure: ${l}`);
      const value = finite(x.value);
      const baseline = finite(x.baseline);
      const ratio = value !== null && baseline !== null && baseline !== 0 ? value / baseline : null;
      return { suite, figure: x.figure, unit: x.unit, value, baseline, ratio };
    });
}
