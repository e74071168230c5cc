// The stream server's recall hook: a source whose history reaches further back than `oldest` (a relay
// reading Kafka) is asked for it, and the connection waits for it, sending nothing, before going on.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { decodeFrames, encodeFrame, STREAM_PROTOCOL, type ServerFrame } from '../../src/shared/stream';
import { systemClock } from '../../src/main/clock';
import { createLogger, createMetricsRegistry } from '../../src/main/ops';
import { StreamServer, type StreamFeed, type StreamHistory, type StreamSource } from '../../src/main/transport';
import { DEFAULT_RELAY_WINDOW, EpochFeed } from '../../src/main/share/relay';
import { startStreamDesk } from '../support/stream';
import { until } from '../support/wait';

/** The desk's stream with its history cut at `start`: a recall brings it back from `from` (or not, as the test says). */
function windowed(source: StreamSource, start: number) {
  let cut = start;
  const asked: number[] = [];
  let answer: ((bring: boolean) => void) | undefined;
  const journal: StreamHistory = {
    get oldest() {
      return Math.max(source.journal.oldest, cut);
    },
    read: (from, to, limit) => source.journal.read(Math.max(from, cut), to, limit),
    recall: (from) => {
      asked.push(from);
      return new Promise<void>((resolve) => {
        answer = (bring) => {
          if (bring) cut = Math.min(cut, from);
          resolve();
        };
      });
    },
  };
  const feed: StreamFeed = { publisher: source.publisher, journal };
  return { feed, asked, settle: (bring: boolean) => answer?.(bring) };
}

async function serveFeed(feed: StreamFeed): Promise<string> {
  return (await serve(feed)).url;
}

async function serve(feed: StreamFeed): Promise<{ url: string; server: StreamServer }> {
  const server = new StreamServer({
    logger: createLogger({ level: 'silent' }),
    metrics: createMetricsRegistry({ version: 'test' }),
    clock: systemClock,
    authorize: () => ({ who: 'test' }),
  });
  server.setSource(feed);
  const http = createServer();
  http.on('upgrade', (req, socket, head) => server.handleUpgrade(req, socket, head, 'token'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    await server.close();
    await new Promise((resolve) => http.close(resolve));
  });
  return { url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/stream`, server };
}

async function client(url: string, first: object[]) {
  const frames: ServerFrame[] = [];
  const ws = new WebSocket(url, [STREAM_PROTOCOL]);
  onTestFinished(() => ws.terminate());
  ws.on('message', (data: Buffer) => frames.push(...(decodeFrames(data) as ServerFrame[])));
  await new Promise((resolve) => ws.once('open', resolve));
  for (const f of first) ws.send(encodeFrame(f));
  return { ws, frames };
}

const dataSeqs = (frames: readonly ServerFrame[]) => frames.flatMap((f) => (f.op === 'data' ? [f.seq] : []));

describe('the stream server recalls older history from a source that can', () => {
  it('a resume older than the history waits for the recall, sending nothing, then resumes with no gap', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    for (let i = 0; i < 100; i++) publisher.publish('t', i);
    await publisher.flush();
    const head = publisher.head;
    const w = windowed(s.desk.stream!, head - 20);
    const url = await serveFeed(w.feed);
    const from = head - 60;
    const resuming = await client(url, [{ op: 'hello', resume: { epoch: publisher.epoch, seq: from } }]);
    await until(() => w.asked.length === 1, 'the recall');
    expect(w.asked).toEqual([from + 1]);
    // A live subscriber sees new messages and heartbeats go by; the resuming one is sent only heartbeats (at its position) meanwhile.
    const live = await client(url, [{ op: 'hello' }]);
    // Published after its snapshot: committed before its hello was read, the message would be in the snapshot, not a data frame.
    await until(() => live.frames.some((f) => f.op === 'snapshot'), 'the live snapshot');
    publisher.publish('t', 'while recalling');
    await until(() => live.frames.some((f) => f.op === 'data') && live.frames.filter((f) => f.op === 'hb').length >= 2, 'the live subscriber served');
    await until(() => resuming.frames.length > 0, 'a heartbeat while recalling');
    expect(resuming.frames.every((f) => f.op === 'hb' && f.head === from)).toBe(true);
    w.settle(true);
    await until(() => dataSeqs(resuming.frames).at(-1) === publisher.head, 'the resume');
    expect(resuming.frames.find((f) => f.op !== 'hb')).toMatchObject({ op: 'welcome', resumed: true, epoch: publisher.epoch });
    expect(dataSeqs(resuming.frames)).toEqual(Array.from({ length: publisher.head - from }, (_, i) => from + 1 + i));
  });

  it('a recall that does not bring the position back ends in a reset and a snapshot, as without one', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    for (let i = 0; i < 50; i++) publisher.publish('t', i);
    await publisher.flush();
    const w = windowed(s.desk.stream!, publisher.head - 10);
    const url = await serveFeed(w.feed);
    const resuming = await client(url, [{ op: 'hello', resume: { epoch: publisher.epoch, seq: 5 } }]);
    await until(() => w.asked.length === 1, 'the recall');
    w.settle(false);
    await until(() => resuming.frames.some((f) => f.op === 'snapshot'), 'the snapshot');
    expect(resuming.frames.map((f) => f.op)).toEqual(['reset', 'welcome', 'snapshot']);
    expect(resuming.frames[1]).toMatchObject({ resumed: false });
    expect(w.asked).toEqual([6]);
  });

  it('a replay older than the history is recalled, then served; a second replay meanwhile is busy', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    for (let i = 0; i < 80; i++) publisher.publish('t', i);
    await publisher.flush();
    const head = publisher.head;
    const w = windowed(s.desk.stream!, head - 10);
    const url = await serveFeed(w.feed);
    const c = await client(url, [{ op: 'hello' }]);
    await until(() => c.frames.some((f) => f.op === 'snapshot'), 'the snapshot');
    c.ws.send(encodeFrame({ op: 'replay', from: head - 40, to: head - 30 }));
    await until(() => w.asked.length === 1, 'the recall');
    c.ws.send(encodeFrame({ op: 'replay', from: head - 5, to: head }));
    await until(() => c.frames.some((f) => f.op === 'error'), 'the busy answer');
    expect(c.frames.find((f) => f.op === 'error')).toMatchObject({ code: 'replay-busy' });
    expect(dataSeqs(c.frames)).toEqual([]);
    w.settle(true);
    await until(() => dataSeqs(c.frames).length === 11, 'the replay');
    expect(dataSeqs(c.frames)).toEqual(Array.from({ length: 11 }, (_, i) => head - 40 + i));
    expect(w.asked).toEqual([head - 40]);
  });
});

describe('the stream server waits for a source behind the stream (a relay) to reach a resume', () => {
  const frame = (seq: number, epoch = 'E') => ({ op: 'data' as const, epoch, seq, prev: seq - 1, ts: seq, topic: 't', data: seq });
  function relayFeed(head: number, epoch = 'E', readBefore: (epoch: string) => boolean = () => false): EpochFeed {
    const feed = new EpochFeed(epoch, 0, DEFAULT_RELAY_WINDOW, () => Promise.resolve([]), undefined, readBefore);
    for (let seq = 1; seq <= head; seq++) feed.append([frame(seq, epoch)], BigInt(seq), undefined);
    return feed;
  }

  it('a resume ahead of the head waits, heartbeats meanwhile, and resumes with no gap once the relay reaches it', async () => {
    const feed = relayFeed(10);
    const url = await serveFeed(feed);
    const resuming = await client(url, [{ op: 'hello', resume: { epoch: 'E', seq: 15 } }]);
    await until(() => resuming.frames.length > 0, 'a heartbeat while waiting');
    expect(resuming.frames.every((f) => f.op === 'hb')).toBe(true);
    for (let seq = 11; seq <= 20; seq++) feed.append([frame(seq)], BigInt(seq), undefined);
    await until(() => dataSeqs(resuming.frames).at(-1) === 20, 'the resume');
    const answers = resuming.frames.filter((f) => f.op !== 'hb' && f.op !== 'data');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ op: 'welcome', epoch: 'E', resumed: true });
    expect(dataSeqs(resuming.frames)).toEqual([16, 17, 18, 19, 20]);
  });

  it('a resume the relay does not reach within the wait is reset with a snapshot', async () => {
    const url = await serveFeed(relayFeed(10));
    const resuming = await client(url, [{ op: 'hello', resume: { epoch: 'E', seq: 15 } }]);
    await until(() => resuming.frames.some((f) => f.op === 'snapshot'), 'the snapshot', 15_000);
    expect(resuming.frames.filter((f) => f.op !== 'hb').map((f) => f.op)).toEqual(['reset', 'welcome', 'snapshot']);
  });

  it('a command-like frame from a hello that waits closes it (4000)', async () => {
    const url = await serveFeed(relayFeed(10));
    const resuming = await client(url, [{ op: 'hello', resume: { epoch: 'E', seq: 15 } }]);
    const closed = new Promise<number>((resolve) => resuming.ws.once('close', resolve));
    resuming.ws.send(encodeFrame({ op: 'order', symbol: 'AAPL' }));
    expect(await closed).toBe(4000);
  });

  it('a resume in an epoch the relay has not read yet waits, unreset; once the relay reads that epoch the viewer is closed (1012) with no reset and resumes in it with no gap', async () => {
    const old = relayFeed(10, 'E');
    const { url, server } = await serve(old);
    const waiting = await client(url, [{ op: 'hello', resume: { epoch: 'F', seq: 3 } }]);
    await until(() => waiting.frames.length > 0, 'a heartbeat while waiting');
    // Heartbeats at its own position: its epoch, its seq.
    expect(waiting.frames.every((f) => f.op === 'hb' && f.epoch === 'F' && f.head === 3)).toBe(true);
    const closed = new Promise<number>((resolve) => waiting.ws.once('close', resolve));
    // The relay reaches the desk's new epoch, as RelayStream hands it over: the server first, then the old feed superseded.
    const next = relayFeed(5, 'F', (e) => e === 'E');
    server.setSource(next);
    old.supersede();
    expect(await closed).toBe(1012);
    expect(waiting.frames.filter((f) => f.op !== 'hb')).toEqual([]);
    const resumed = await client(url, [{ op: 'hello', resume: { epoch: 'F', seq: 3 } }]);
    await until(() => dataSeqs(resumed.frames).at(-1) === 5, 'the resume');
    expect(resumed.frames.filter((f) => f.op !== 'hb' && f.op !== 'data')).toEqual([{ op: 'welcome', epoch: 'F', head: 5, resumed: true }]);
    expect(dataSeqs(resumed.frames)).toEqual([4, 5]);
  });

  it('a viewer waiting for a later epoch than the one the relay reaches next is not reset into that one: it waits again', async () => {
    const old = relayFeed(10, 'E');
    const { url, server } = await serve(old);
    const waiting = await client(url, [{ op: 'hello', resume: { epoch: 'G', seq: 3 } }]);
    await until(() => waiting.frames.length > 0, 'a heartbeat while waiting');
    const closed = new Promise<number>((resolve) => waiting.ws.once('close', resolve));
    server.setSource(relayFeed(5, 'F', (e) => e === 'E'));
    old.supersede();
    expect(await closed).toBe(1012);
    expect(waiting.frames.filter((f) => f.op !== 'hb')).toEqual([]);
    const again = await client(url, [{ op: 'hello', resume: { epoch: 'G', seq: 3 } }]);
    await until(() => again.frames.length > 0, 'a heartbeat while waiting again');
    expect(again.frames.every((f) => f.op === 'hb' && f.epoch === 'G')).toBe(true);
  });

  it('a resume in an epoch the relay read before its current one is reset at once, before any heartbeat', async () => {
    const url = await serveFeed(relayFeed(10, 'F', (e) => e === 'E'));
    const resuming = await client(url, [{ op: 'hello', resume: { epoch: 'E', seq: 3 } }]);
    await until(() => resuming.frames.some((f) => f.op === 'snapshot'), 'the snapshot');
    expect(resuming.frames.map((f) => f.op)).toEqual(['reset', 'welcome', 'snapshot']);
    expect(resuming.frames[0]).toMatchObject({ epoch: 'F', reason: 'the stream was recreated: new epoch' });
  });
});
