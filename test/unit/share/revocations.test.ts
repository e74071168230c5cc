// The desk's revocation list on its stream, with a real journal and register: a standing list is sent
// again every few hours, so Kafka's retention never drops the last copy while its tokens are valid.
import { describe, expect, it, onTestFinished } from 'vitest';
import { VirtualClock } from '../../../src/main/clock';
import { createLogger } from '../../../src/main/ops';
import { REVOCATIONS_REPUBLISH_MS, REVOCATIONS_TOPIC, RevocationPublisher, ViewerTokens } from '../../../src/main/share';
import { openStream } from '../../support/kafka';
import { tempDir } from '../../support/fs';

const START = Date.parse('2026-12-05T10:00:00Z');

describe('the revocation list on the stream', () => {
  it('sends the list at the stream start and again every REVOCATIONS_REPUBLISH_MS, even empty', async () => {
    const clock = new VirtualClock(START);
    const tokens = await ViewerTokens.open(tempDir(), { now: () => clock.now() });
    const stream = await openStream(tempDir(), clock);
    const lists: unknown[] = [];
    stream.publisher.onCommitted((batch) => {
      for (const f of batch.frames) if (f.topic === REVOCATIONS_TOPIC) lists.push(f.data);
    });
    const publisher = new RevocationPublisher(tokens, createLogger({ level: 'silent' }), clock);
    onTestFinished(async () => {
      publisher.close();
      tokens.close();
      await stream.journal.close();
    });
    publisher.setSource(stream);

    // Nothing revoked: the empty list at the start and at every resend (relays wait for one per epoch).
    const empty = { revoked: [] };
    await expect.poll(async () => (await stream.publisher.flush(), lists)).toEqual([empty]);
    clock.advance(REVOCATIONS_REPUBLISH_MS * 2);
    await stream.publisher.flush();
    expect(lists).toEqual([empty, empty, empty]);

    const made = await tokens.create({ scope: ['market'], ttlMs: 7 * 24 * 3_600_000, label: 'mentor' });
    tokens.revoke(made.id);
    await expect.poll(async () => (await stream.publisher.flush(), lists.length)).toBe(4);
    const list = { revoked: [{ id: made.id, expiresAt: made.expiresAt }] };
    expect(lists[3]).toEqual(list);

    clock.advance(REVOCATIONS_REPUBLISH_MS - 1);
    await stream.publisher.flush();
    expect(lists).toHaveLength(4);
    clock.advance(1);
    await stream.publisher.flush();
    expect(lists.slice(3)).toEqual([list, list]);

    // Closed: no more resends.
    publisher.close();
    clock.advance(REVOCATIONS_REPUBLISH_MS);
    await stream.publisher.flush();
    expect(lists).toHaveLength(5);
  });
});
