// The bench runner (bench/run.ts): its command line, and the figures it gathers from the benches it
// runs into one JSON array, driven against tiny fixture benches in a temp dir (BENCH_DIR).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, parseArgs, UsageError, type FigureRow } from '../../../bench/lib/runner';
import { median, quantile } from '../../../bench/lib/stats';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const reportModule = join(root, 'bench/lib/report.ts');
const available = ['marketdata.bench.ts', 'stream-kafka.bench.ts', 'stream.bench.ts'];

describe('bench runner arguments', () => {
  it('selects benches by name prefix, all when none is named', () => {
    expect(parseArgs([], available).files).toEqual(available);
    expect(parseArgs(['stream'], available).files).toEqual(['stream-kafka.bench.ts', 'stream.bench.ts']);
    expect(parseArgs(['stream.', 'market'], available).files).toEqual(['marketdata.bench.ts', 'stream.bench.ts']);
  });

  it('reads --quick and --json <file> wherever they stand', () => {
    expect(parseArgs(['stream', '--quick', '--json', '/tmp/x.json'], available)).toMatchObject({ quick: true, json: '/tmp/x.json' });
    expect(parseArgs(['--json=/tmp/y.json', 'stream'], available)).toMatchObject({ quick: false, json: '/tmp/y.json' });
    expect(parseArgs(['stream'], available)).toMatchObject({ quick: false, json: undefined });
  });

  it.each([
    [['stream', '--fast'], /unknown option '--fast'/],
    [['stream', '--json'], /'--json <file>' argument missing/],
    [['stream', '--json='], /--json needs a file name/],
    [['nothing'], /no benchmark matches nothing; have: marketdata, stream-kafka, stream/],
    [['stream', 'nothing'], /no benchmark matches nothing/],
  ])('refuses %j with a clear message', (argv, message) => {
    expect(() => parseArgs(argv, available)).toThrow(UsageError);
    expect(() => parseArgs(argv, available)).toThrow(message);
  });
});

describe('bench statistics', () => {
  it('takes the median of an even count as the mean of the middle two (two rounds: not the better one)', () => {
    expect(median([106.5, 58.8])).toBeCloseTo(82.65, 10);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('takes quantiles by nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).toBe(50);
    expect(quantile(sorted, 0.99)).toBe(99);
    expect(quantile(sorted, 1)).toBe(100);
  });
});

describe('bench runner figures', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-runner-'));
    // Reports two figures (one with a baseline) and whether it was asked to be quick.
    writeFileSync(
      join(dir, 'alpha.bench.ts'),
      `import { QUICK, report } from ${JSON.stringify(reportModule)};\n` +
        `report({ figure: 'alpha.throughput', unit: 'msg/s', value: 300, baseline: 200 });\n` +
        `report({ figure: 'alpha.quick', unit: 'flag', value: QUICK ? 1 : 0 });\n` +
        `process.stdout.write('| alpha | table |\\n');\n`,
    );
    // Reports a figure, then fails.
    writeFileSync(join(dir, 'beta.bench.ts'), `import { report } from ${JSON.stringify(reportModule)};\nreport({ figure: 'beta.p50', unit: 'ms', value: 2 });\nprocess.exit(3);\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/run.ts'), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, BENCH_DIR: dir, BENCH_QUICK: '', BENCH_REPORT_FILE: '' },
    });
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as FigureRow[];

  it('writes every figure as {suite, figure, unit, value, baseline, ratio} and passes --quick down', () => {
    const out = join(dir, 'quick.json');
    const r = run('alpha', '--quick', '--json', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('| alpha | table |');
    expect(read(out)).toEqual([
      { suite: 'alpha', figure: 'alpha.throughput', unit: 'msg/s', value: 300, baseline: 200, ratio: 1.5 },
      { suite: 'alpha', figure: 'alpha.quick', unit: 'flag', value: 1, baseline: null, ratio: null },
    ]);
    const full = join(dir, 'full.json');
    expect(run('alpha', '--json', full).status).toBe(0);
    expect(read(full).find((f) => f.figure === 'alpha.quick')?.value).toBe(0);
  });

  it('exits 1 when a bench fails, keeping the figures gathered from every bench', () => {
    const out = join(dir, 'both.json');
    const r = run('--json', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('beta.bench.ts failed (exit 3)');
    expect(read(out).map((f) => `${f.suite}:${f.figure}`)).toEqual(['alpha:alpha.throughput', 'alpha:alpha.quick', 'beta:beta.p50']);
  });

  it('exits 2 on a usage error, before running anything', () => {
    const out = join(dir, 'never.json');
    const r = run('alpha', '--json', out, '--slow');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--slow'[\s\S]*usage: npm run bench --/);
    expect(existsSync(out)).toBe(false);
    expect(run('gamma').stderr).toContain('no benchmark matches gamma; have: alpha, beta');
    expect(run('alpha', '--json').status).toBe(2);
  });

  it('reads a bench that reported nothing as no figures, and a line that is not a figure as an error', () => {
    expect(collect('none', join(dir, 'missing.jsonl'))).toEqual([]);
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"value": 1}\n');
    expect(() => collect('bad', bad)).toThrow(/bad reported a line that is not a figure/);
  });
});
