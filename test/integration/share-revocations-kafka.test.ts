// The desk publishes its revoked viewer tokens on the stream (share.revocations), so they reach Kafka
// and every relay: at every stream start (each trading mode's topic) and after every revocation,
// including one made by `dualdesk token revoke` while `serve` runs. Read back with a plain consumer.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { REVOCATIONS_TOPIC, ViewerTokens, type RevocationList } from '../../src/main/share';
import { tempDir } from '../support/fs';
import { readTopic, type TopicEntry } from '../support/kafka';
import { binDualdesk } from '../support/paths';
import { startServe } from '../support/serve';
import { startStreamDesk } from '../support/stream';
import { untilAsync } from '../support/wait';

const brokers = inject('kafkaBrokers');

/** Runs the built `dualdesk token …` to its end; its stdout. */
function token(args: readonly string[]): Promise<string> {
  const proc = spawn(process.execPath, [binDualdesk, 'token', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DUALDESK_DATA_DIR: '' } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => proc.once('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`dualdesk token ${args[0]} exited ${code}: ${stderr}`)))));
}

async function created(dataDir: string, label: string): Promise<{ id: string; expiresAt: number }> {
  const out = JSON.parse(await token(['create', '--scope', 'market', '--ttl', '8h', '--label', label, '--data-dir', dataDir, '--json'])) as { id: string; expiresAt: string };
  return { id: out.id, expiresAt: Date.parse(out.expiresAt) };
}

const lists = (entries: readonly TopicEntry[]) => entries.filter((e) => e.frame.topic === REVOCATIONS_TOPIC);

/** Reads the topic until its latest revocation list satisfies `check`. */
async function latestList(topic: string, check: (list: RevocationList) => boolean, what: string): Promise<{ entries: TopicEntry[]; list: RevocationList }> {
  let found: { entries: TopicEntry[]; list: RevocationList } | undefined;
  await untilAsync(async () => {
    const entries = await readTopic({ brokers }, topic);
    const last = lists(entries).at(-1);
    if (last && check(last.frame.data as RevocationList)) found = { entries, list: last.frame.data as RevocationList };
    return found !== undefined;
  }, what);
  return found!;
}

const byExpiry = (a: { id: string; expiresAt: number }, b: { id: string; expiresAt: number }) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : 1);

describe('share.revocations on Kafka', () => {
  it('serve publishes the list at start, and again after `dualdesk token revoke` while it runs', async () => {
    const dataDir = tempDir();
    const topic = `revocations-${randomUUID()}`;
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ kafka: { brokers, topic } }));
    const early = await created(dataDir, 'revoked before the desk started');
    const later = await created(dataDir, 'revoked while it runs');
    await created(dataDir, 'never revoked');
    await token(['revoke', early.id, '--data-dir', dataDir]);

    const serve = await startServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'warn']);
    const atStart = await latestList(`${topic}.paper`, (l) => l.revoked.length > 0, 'the list published at start');
    expect(atStart.list).toEqual({ revoked: [{ id: early.id, expiresAt: early.expiresAt }] });

    await token(['revoke', later.id, '--data-dir', dataDir]);
    const after = await latestList(`${topic}.paper`, (l) => l.revoked.length > 1, 'the list after the CLI revoked a token');
    expect(after.list).toEqual({
      revoked: [
        { id: early.id, expiresAt: early.expiresAt },
        { id: later.id, expiresAt: later.expiresAt },
      ].sort(byExpiry),
    });
    // Two lists, the full one each time, in the stream's order like any message.
    const sent = lists(after.entries);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.seq).toBeGreaterThan(sent[0]!.seq);

    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it("every trading mode's stream gets the list when it starts (each mode's topic, each epoch)", async () => {
    const dataDir = tempDir();
    const topic = `revocations-${randomUUID()}`;
    const register = await ViewerTokens.open(dataDir);
    const made = await register.create({ scope: ['market'], ttlMs: 3_600_000, label: 'x' });
    register.revoke(made.id);
    register.close();
    const s = await startStreamDesk({ dataDir, kafka: { brokers, topic } });
    const expected = { revoked: [{ id: made.id, expiresAt: made.expiresAt }] };
    expect(s.desk.stream!.publisher.snapshot().state[REVOCATIONS_TOPIC]).toEqual(expected);
    await s.desk.switchMode('live');
    await s.desk.stream!.publisher.flush();
    expect(s.desk.stream!.publisher.snapshot().state[REVOCATIONS_TOPIC]).toEqual(expected);
    expect((await latestList(`${topic}.live`, (l) => l.revoked.length > 0, 'the live topic’s list')).list).toEqual(expected);
    expect((await latestList(`${topic}.paper`, (l) => l.revoked.length > 0, 'the paper topic’s list')).list).toEqual(expected);
  });
});
