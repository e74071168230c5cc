import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import { tempDir } from '../support/fs';
import { httpRequest } from '../support/http';
import { readTopic, seqsOf } from '../support/kafka';
import { serveUntilExit, startServe } from '../support/serve';
import { untilAsync } from '../support/wait';

describe('dualdesk serve (the built CLI, as a process)', () => {
  it('serves health, readiness and metrics, guards itself with a control token, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(tempDir(), 'desk');
    const port = await freePort();
    const serve = await startServe(['--data-dir', dataDir, '--port', String(port)]);

    const tokenFile = join(dataDir, 'control-token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(serve.url.origin).toBe(`http://127.0.0.1:${port}`);
    expect(serve.url.searchParams.get('token')).toBe(token);

    const base = `http://127.0.0.1:${port}`;
    expect((await httpRequest(`${base}/health`)).status).toBe(200);
    const ready = await httpRequest(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, dependencies: { venue: { ok: false, reason: 'not configured' } } });
    expect((await httpRequest(`${base}/metrics`)).body).toContain('nodejs_eventloop_lag_seconds');
    expect((await httpRequest(`${base}/api/info`)).status).toBe(401);
    expect((await httpRequest(`${base}/api/info?token=${token}`)).json()).toMatchObject({ mode: 'paper' });
    // The built web UI is served at /.
    expect((await httpRequest(`${base}/`)).body).toContain('<div id="root">');

    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);

    const logs = serve
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const lifecycle = logs
      .filter((l) => l['msg'] === 'started' || l['msg'] === 'stopped')
      .map((l) => `${String(l['msg'])} ${typeof l['service'] === 'string' ? l['service'] : 'desk'}`);
    // Intake (the local server) starts last and stops first; the stream's WebSocket side stops before the trading scope.
    expect(lifecycle).toEqual([
      'started trading',
      'started stream-server',
      'started local-server',
      'stopped local-server',
      'stopped stream-server',
      'stopped trading',
      'stopped desk',
    ]);
    expect(serve.stdout()).not.toContain(token);
    // Paper state lives in its own database.
    expect(statSync(join(dataDir, 'paper.db')).isFile()).toBe(true);
  });

  it('keeps live state apart from paper state and reuses the control token across restarts', async () => {
    const dataDir = tempDir();
    const first = await startServe(['--data-dir', dataDir, '--port', '0', '--mode', 'live']);
    first.proc.kill('SIGINT');
    expect(await first.exited).toBe(0);
    const second = await startServe(['--data-dir', dataDir, '--port', '0'], { DUALDESK_LOG_LEVEL: 'warn' });
    expect(second.url.searchParams.get('token')).toBe(first.url.searchParams.get('token'));
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(statSync(join(dataDir, 'live.db')).isFile()).toBe(true);
    expect(statSync(join(dataDir, 'paper.db')).isFile()).toBe(true);
    expect(second.stdout()).toBe('');
  });

  it('with --demo, starts the simulator in-process, connects to it in paper mode and becomes ready', async () => {
    const serve = await startServe(['--data-dir', tempDir(), '--port', '0', '--demo', '--log-level', 'warn']);
    let ready = await httpRequest(`${serve.url.origin}/ready`);
    // Readiness is a state to poll, as an operator's probe would.
    for (let i = 0; i < 200 && ready.status !== 200; i++) ready = await httpRequest(`${serve.url.origin}/ready`);
    expect(ready.status).toBe(200);
    const venue = ready.json<{ dependencies: { venue: { ok: boolean; detail: string } } }>().dependencies.venue;
    expect(venue.detail).toMatch(/^connected to 127\.0\.0\.1:\d+ as DU1234567 \(paper\), in sync$/);
    expect((await httpRequest(`${serve.url.origin}/metrics`)).body).toMatch(/^dualdesk_venue_state\{state="connected"\} 1$/m);
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it('with --demo --kafka, the bundled outbox worker copies the venue’s messages to the paper topic', async () => {
    const brokers = inject('kafkaBrokers');
    const dataDir = tempDir();
    const topic = `serve-${randomUUID()}`;
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ kafka: { topic } }));
    const serve = await startServe(['--data-dir', dataDir, '--port', '0', '--demo', '--kafka', brokers.join(','), '--log-level', 'warn']);
    const base = serve.url.origin;
    // Readiness and metrics are states to poll, as an operator's probe would.
    type Ready = { dependencies: Record<string, { ok: boolean; detail?: string }> };
    let ready: Ready | undefined;
    await untilAsync(async () => {
      ready = (await httpRequest(`${base}/ready`)).json<Ready>();
      return ready.dependencies['venue']?.ok === true && ready.dependencies['kafka']?.ok === true;
    }, 'the venue and Kafka ready');
    expect(ready?.dependencies['kafka']?.detail).toContain(`topic ${topic}.paper`);
    let acked = 0;
    await untilAsync(async () => {
      acked = Number(/^dualdesk_kafka_acked_seq (\d+)$/m.exec((await httpRequest(`${base}/metrics`)).body)?.[1] ?? 0);
      return acked > 0;
    }, 'Kafka acknowledging the venue messages');

    const records = await readTopic({ brokers }, `${topic}.paper`);
    expect(records.length).toBeGreaterThanOrEqual(acked);
    expect(seqsOf(records)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1));
    const frames = records.map((r) => r.frame);
    // The trading core's messages: its trading state, the venue's status, the account's equity.
    expect(frames.map((f) => f.topic)).toEqual(expect.arrayContaining(['risk.state', 'venue.status', 'equity']));

    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.stdout()).not.toContain('Kafka outbox worker failed');
  });

  it('exits 1 with a clear message when its port is taken', async () => {
    const first = await startServe(['--data-dir', tempDir(), '--port', '0']);
    const port = first.url.port;
    await expect(startServe(['--data-dir', tempDir(), '--port', port])).rejects.toThrow(/exited \(1\)[\s\S]*EADDRINUSE/);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});

/** A data directory a desk has run in and stopped cleanly: its trading database and its stream journal hold history. */
async function dataDirWithHistory(): Promise<string> {
  const dataDir = tempDir();
  const serve = await startServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'warn']);
  serve.proc.kill('SIGTERM');
  expect(await serve.exited).toBe(0);
  return dataDir;
}

/** The one line a failed start prints on stderr. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

function spoil(file: string, bytes: number, at = 0): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, randomBytes(bytes), 0, bytes, at);
  } finally {
    closeSync(fd);
  }
}

describe('dualdesk serve: a start that fails stops what it started and exits 1 with one line', () => {
  it('a corrupt paper.db', async () => {
    const dataDir = await dataDirWithHistory();
    writeFileSync(join(dataDir, 'paper.db'), randomBytes(16_384));
    const failed = await serveUntilExit(['--data-dir', dataDir, '--port', '0', '--demo']);
    expect(failed.code).toBe(1);
    expect(oneLine(failed.stderr)).toBe(`error: trading failed to start: cannot open the paper trading database ${join(dataDir, 'paper.db')}: file is not a database`);
  });

  it('a corrupt paper-stream.db', async () => {
    const dataDir = await dataDirWithHistory();
    for (const f of ['paper-stream.db-wal', 'paper-stream.db-shm']) rmSync(join(dataDir, f), { force: true });
    writeFileSync(join(dataDir, 'paper-stream.db'), randomBytes(16_384));
    const failed = await serveUntilExit(['--data-dir', dataDir, '--port', '0', '--demo']);
    expect(failed.code).toBe(1);
    expect(oneLine(failed.stderr)).toBe(`error: trading failed to start: cannot open the stream journal ${join(dataDir, 'paper-stream.db')}: file is not a database`);
  });

  it('a read-only data directory holding databases', async () => {
    const dataDir = await dataDirWithHistory();
    // Root ignores permissions: then the desk runs as nobody, who owns the directory it cannot write.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
    if (user) for (const f of [dataDir, ...readdirSync(dataDir).map((n) => join(dataDir, n))]) chownSync(f, user.uid, user.gid);
    chmodSync(dataDir, 0o500);
    try {
      // Against TWS (nothing listens: the venue only retries), the trading database is the first to fail.
      const failed = await serveUntilExit(['--data-dir', dataDir, '--port', '0', '--venue', 'tws', '--venue-host', '127.0.0.1'], user ? { user } : {});
      expect(failed.code).toBe(1);
      expect(oneLine(failed.stderr)).toMatch(
        /^error: trading failed to start: cannot open the paper trading database .*paper\.db: .*readonly.* \(the file and its directory must be writable\)$/,
      );
      // With --demo, the demo venue starts first and cannot keep its account there.
      const demo = await serveUntilExit(['--data-dir', dataDir, '--port', '0', '--demo'], user ? { user } : {});
      expect(demo.code).toBe(1);
      expect(oneLine(demo.stderr)).toMatch(/^error: simulator failed to start: cannot write the simulator's state file .*demo-venue\.json: EACCES/);
    } finally {
      chmodSync(dataDir, 0o700);
    }
  });
});

describe('dualdesk serve: trading state is never reset without a word', () => {
  it('refuses a zero-length paper.db beside a stream journal with history, and starts afresh once the journal is moved away', async () => {
    const dataDir = await dataDirWithHistory();
    writeFileSync(join(dataDir, 'paper.db'), '');
    const failed = await serveUntilExit(['--data-dir', dataDir, '--port', '0']);
    expect(failed.code).toBe(1);
    expect(oneLine(failed.stderr)).toMatch(
      /^error: trading failed to start: paper\.db holds no trading state but paper-stream\.db holds [\d,]+ messages? of epoch \S+ \(last seq \d+\): the trading database was lost or replaced; restore paper\.db .* or move paper-stream\.db .* away to start afresh$/,
    );
    // Refusing changed nothing: the next start refuses again.
    expect((await serveUntilExit(['--data-dir', dataDir, '--port', '0'])).code).toBe(1);

    // The trader's explicit choice to start afresh: the old stream journal moved away.
    const attic = join(dataDir, 'attic');
    mkdirSync(attic);
    for (const f of readdirSync(dataDir).filter((n) => n.startsWith('paper-stream.db'))) renameSync(join(dataDir, f), join(attic, f));
    const fresh = await startServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'warn']);
    fresh.proc.kill('SIGTERM');
    expect(await fresh.exited).toBe(0);
  });

  it.each(['paper.db', 'paper-stream.db'])('refuses %s when its write-ahead log has a damaged header, rather than opening it without its transactions', async (db) => {
    const dataDir = tempDir();
    const run = await startServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'warn']);
    // Killed, as a crash would: what was committed is still in the -wal files, not yet copied into the databases.
    run.proc.kill('SIGKILL');
    await run.exited;
    const wal = join(dataDir, `${db}-wal`);
    expect(statSync(wal).size).toBeGreaterThan(32);
    spoil(wal, 32);
    const failed = await serveUntilExit(['--data-dir', dataDir, '--port', '0']);
    expect(failed.code).toBe(1);
    expect(oneLine(failed.stderr)).toBe(
      `error: trading failed to start: ${wal} is damaged (its header is not a valid SQLite write-ahead log): opening ${db} would silently drop the transactions in it; ` +
        `restore both files from a backup, or move ${db}-wal away to accept that loss`,
    );
  });
});
