// `dualdesk tail`, the built CLI as an operator runs it: against `serve --demo` through its data dir,
// with --topics, --stats and --resume, its refusals, and its failover to Kafka when the WebSocket goes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import { CONTROL_TOKEN_FILE } from '../../src/main/app';
import type { Workspace } from '../../src/shared';
import { settingsFor } from '../support/kafka';
import { binDualdesk } from '../support/paths';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';
import { startStreamHost } from '../support/stream-host';
import { tempDir } from '../support/fs';
import { until, untilAsync } from '../support/wait';

interface Line {
  readonly epoch: string;
  readonly seq: number;
  readonly ts: number;
  readonly topic: string;
  readonly data: unknown;
}

interface Tail {
  readonly proc: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | string>;
}

/** Runs `dualdesk tail` through the bin, collecting its JSON lines; killed when the test ends. */
function runTail(args: readonly string[], env: Record<string, string> = {}): Tail {
  const proc = spawn(process.execPath, [binDualdesk, 'tail', ...args], { env: { ...process.env, DUALDESK_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  createInterface({ input: proc.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  onTestFinished(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, lines, stdout: () => out, stderr: () => err, exited };
}

const frames = (t: Tail) => t.lines as unknown as Line[];
const consecutive = (seqs: readonly number[]) => seqs.every((s, i) => i === 0 || s === (seqs[i - 1] as number) + 1);

describe('dualdesk tail against serve --demo', () => {
  let dataDir: string;
  let serve: ServeProcess | undefined;
  let token: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-tail-'));
    // The port in the data dir's config: `tail --data-dir` finds the desk there.
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ server: { port: await freePort() } }));
    serve = await startServe(['--data-dir', dataDir, '--demo', '--log-level', 'warn'], {}, { suite: true });
    token = readFileSync(join(dataDir, CONTROL_TOKEN_FILE), 'utf8').trim();
    // Quotes flow for what the desk watches.
    await serveCommand(serve, 'subscribe', { instrument: { symbol: 'AAPL', secType: 'STK' } });
    await serveCommand(serve, 'subscribe', { instrument: { symbol: 'MSFT', secType: 'STK' } });
    // The desk streams its own watchlist too (AAPL, MSFT, SPY): SPY leaves it, so the quotes are those subscribed here.
    let spy: number | undefined;
    await untilAsync(
      async () => (spy = (await serveCommand<Workspace>(serve as ServeProcess, 'getWorkspace')).watchlist.find((e) => e.word === 'SPY')?.instrument.conId) !== undefined,
      'SPY resolved on the desk’s watchlist',
    );
    await serveCommand(serve, 'removeFromWatchlist', { conId: spy });
  });

  afterAll(async () => {
    await stopServe(serve);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the quotes of --topics md.quote.* as JSON lines in seq order, and stops cleanly on SIGINT', async () => {
    const t = runTail(['--data-dir', dataDir, '--topics', 'md.quote.*']);
    await until(
      () => t.lines.length >= 12,
      () => `12 lines (${t.lines.length}; stderr: ${t.stderr()})`,
    );
    const got = frames(t);
    expect(Object.keys(got[0] as object).sort()).toEqual(['data', 'epoch', 'seq', 'topic', 'ts']);
    expect(got.every((f) => /^md\.quote\.(AAPL|MSFT)$/.test(f.topic))).toBe(true);
    expect(new Set(got.map((f) => f.topic))).toEqual(new Set(['md.quote.AAPL', 'md.quote.MSFT']));
    expect(got.every((f, i) => i === 0 || f.seq > (got[i - 1] as Line).seq)).toBe(true);
    expect(new Set(got.map((f) => f.epoch)).size).toBe(1);
    t.proc.kill('SIGINT');
    expect(await t.exited).toBe(0);
    // The token is read from the data dir: never in the arguments, the output or the diagnostics.
    expect(t.proc.spawnargs.join(' ')).not.toContain(token);
    expect(t.stdout()).not.toContain(token);
    expect(t.stderr()).not.toContain(token);
  });

  it('without a filter prints every seq, consecutive; --resume epoch:seq continues after it without a repeat', async () => {
    const first = runTail(['--data-dir', dataDir]);
    await until(
      () => first.lines.length >= 8,
      () => `8 lines (${first.lines.length}; stderr: ${first.stderr()})`,
    );
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const seen = frames(first);
    expect(consecutive(seen.map((f) => f.seq))).toBe(true);
    const at = seen[4] as Line;

    const resumed = runTail(['--data-dir', dataDir, '--resume', `${at.epoch}:${at.seq}`]);
    await until(
      () => resumed.lines.length >= 8,
      () => `8 resumed lines (${resumed.lines.length}; stderr: ${resumed.stderr()})`,
    );
    resumed.proc.kill('SIGINT');
    expect(await resumed.exited).toBe(0);
    const again = frames(resumed);
    expect(again[0]?.seq).toBe(at.seq + 1);
    expect(consecutive(again.map((f) => f.seq))).toBe(true);
    // What both saw after the position is the same messages.
    const overlap = seen.filter((f) => f.seq > at.seq);
    expect(again.slice(0, overlap.length)).toEqual(overlap);
  });

  it('--stats prints one line of statistics a second with a rate above 0', async () => {
    const t = runTail(['--data-dir', dataDir, '--stats']);
    await until(
      () => t.lines.some((l) => (l['messagesPerSecond'] as number) > 0) && t.lines.length >= 2,
      () => `a stats line with a rate (${JSON.stringify(t.lines)}; stderr: ${t.stderr()})`,
    );
    const line = t.lines.find((l) => (l['messagesPerSecond'] as number) > 0) as Record<string, unknown>;
    expect(line).toMatchObject({ channel: 'websocket', failovers: 0, gapsDetected: 0 });
    expect(line['bytesPerSecond']).toBeGreaterThan(0);
    expect(line['lastSeq']).toBeGreaterThan(0);
    const latency = line['latencyMs'] as { p50: number; p99: number };
    expect(latency.p99).toBeGreaterThanOrEqual(latency.p50);
    expect(latency.p50).toBeGreaterThanOrEqual(0);
    t.proc.kill('SIGINT');
    expect(await t.exited).toBe(0);
  });

  it('exits 1 with one line when the desk refuses the token (DUALDESK_TOKEN)', async () => {
    const t = runTail(['--data-dir', dataDir], { DUALDESK_TOKEN: 'not-the-desk-token' });
    expect(await t.exited).toBe(1);
    expect(t.stderr().trim().split('\n')).toEqual([expect.stringMatching(/cannot reach the desk's stream at .*: the desk refused the control token \(401\)/)]);
    expect(t.stderr()).not.toContain('not-the-desk-token');
  });

  it('ends quietly when its stdout is closed (| head)', async () => {
    const t = runTail(['--data-dir', dataDir]);
    await until(() => t.lines.length >= 1, 'a first line');
    t.proc.stdout?.destroy();
    expect(await t.exited).toBe(0);
    expect(t.stderr()).not.toMatch(/EPIPE|error/i);
  });
});

describe('dualdesk tail refusals', () => {
  it.each([
    [['--data-dir', '/tmp', '--resume', 'nope'], /--resume.*epoch:seq/],
    [['--url', 'ws://127.0.0.1:7800/stream?token=abc'], /must not carry the token/],
    [['--url', 'http://127.0.0.1:7800/stream'], /ws:\/\/ or wss:\/\//],
    [['--data-dir', '/tmp', '--topics', 'md..quote'], /topic patterns/],
    [['--url', 'ws://127.0.0.1:7800/stream'], /no control token/],
    [['--data-dir', '/tmp', '--mode', 'demo'], /--mode/],
    [['--url', 'ws://127.0.0.1:7800/stream', '--port', '7801'], /--port applies to --data-dir/],
  ])('tail %j exits 2 with one line', async (args, message) => {
    const t = runTail(args);
    expect(await t.exited).toBe(2);
    expect(t.stderr().trim().split('\n')).toHaveLength(1);
    expect(t.stderr()).toMatch(message);
    expect(t.stdout()).toBe('');
  });

  it('exits 1 with one line when the desk cannot be reached and there is no Kafka', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ server: { port: await freePort() } }));
    writeFileSync(join(dir, CONTROL_TOKEN_FILE), 'a-token-that-must-not-show\n', { mode: 0o600 });
    const t = runTail(['--data-dir', dir]);
    expect(await t.exited).toBe(1);
    const errLines = t.stderr().trim().split('\n');
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(/cannot reach the desk's stream at ws:\/\/127\.0\.0\.1:\d+\/stream: .*ECONNREFUSED/);
    expect(t.stderr() + t.stdout()).not.toContain('a-token-that-must-not-show');
  });
});

describe('dualdesk tail with Kafka', () => {
  it('fails over to Kafka when the WebSocket server goes away and keeps printing consecutive seqs', async () => {
    const settings = settingsFor(inject('kafkaBrokers'));
    const host = await startStreamHost({ dir: tempDir(), kafka: settings });
    onTestFinished(() => host.close());
    const tokenFile = join(tempDir(), 'token');
    writeFileSync(tokenFile, `${host.token}\n`, { mode: 0o600 });
    const load = setInterval(() => {
      for (let i = 0; i < 20; i++) host.publisher.publish(`md.quote.S${i % 3}`, { i });
    }, 10);
    onTestFinished(() => clearInterval(load));

    const t = runTail(['--url', host.url, '--kafka', settings.brokers.join(','), '--kafka-topic', settings.topic, '--token-file', tokenFile]);
    await until(
      () => t.lines.length >= 500,
      () => `500 lines (${t.lines.length}; stderr: ${t.stderr()})`,
    );
    await host.stopWebSocket();
    const cutAt = host.journal.head;
    // The standby delivers from Kafka before the triggers declare the failover: wait for both.
    await until(
      () => (frames(t).at(-1)?.seq ?? 0) > cutAt + 500 && /failing over to Kafka/.test(t.stderr()),
      () => `past ${cutAt + 500} from Kafka, and the failover (at ${frames(t).at(-1)?.seq}; stderr: ${t.stderr()})`,
      60_000,
    );
    expect(t.stderr()).toMatch(/failing over to Kafka/);
    const seqs = frames(t).map((f) => f.seq);
    expect(consecutive(seqs)).toBe(true);
    t.proc.kill('SIGINT');
    expect(await t.exited).toBe(0);
    expect(t.stderr()).not.toContain(host.token);
  });

  it('--resume with the WebSocket down reads the rest from Kafka, from right after the position', async () => {
    const settings = settingsFor(inject('kafkaBrokers'));
    const host = await startStreamHost({ dir: tempDir(), kafka: settings });
    onTestFinished(() => host.close());
    for (let i = 0; i < 300; i++) host.publisher.publish(`md.quote.S${i % 3}`, { i });
    await host.publisher.flush();
    const head = host.journal.head;
    await host.outbox!.whenAcked(head);
    await host.stopWebSocket();
    const from = head - 200;

    const t = runTail(['--url', host.url, '--kafka', settings.brokers.join(','), '--kafka-topic', settings.topic, '--resume', `${host.journal.epoch}:${from}`], {
      DUALDESK_TOKEN: host.token,
    });
    await until(
      () => t.lines.length >= 200,
      () => `200 lines from Kafka (${t.lines.length}; stderr: ${t.stderr()})`,
      60_000,
    );
    expect(frames(t).map((f) => f.seq)).toEqual(Array.from({ length: 200 }, (_, i) => from + 1 + i));
    t.proc.kill('SIGTERM');
    expect(await t.exited).toBe(0);
    expect(t.stderr()).not.toContain(host.token);
  });
});
