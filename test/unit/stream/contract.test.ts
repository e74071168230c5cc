// The channel-independent parts of the stream (src/shared/stream), which the browser reuses: frame
// encoding, topic patterns, the circuit breaker and the sequence tracker.
import { encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  ClientFrameSchema,
  DataFrameBatch,
  decodeFrames,
  encodeBatch,
  encodeFrame,
  parseServerFrame,
  SequenceTracker,
  ServerFrameSchema,
  topicMatcher,
  type DataFrame,
  type TrackerEvent,
} from '../../../src/shared/stream';

const data = (seq: number, prev = seq - 1, epoch = 'e1'): DataFrame => ({ op: 'data', epoch, seq, prev, ts: 1_000 + seq, topic: 't', data: seq });
const delivered = (events: TrackerEvent[]) => events.flatMap((e) => (e.kind === 'deliver' ? [e.frame.seq] : []));

describe('frame codec', () => {
  it('concatenates frames encoded once into one batch message that decodes as the array, for every header size', () => {
    for (const n of [1, 15, 16, 65_535, 65_536]) {
      const frames = Array.from({ length: n }, (_, i) => encodeFrame(data(i + 1)));
      const decoded = decodeFrames(encodeBatch(frames));
      expect(decoded).toHaveLength(n);
      expect(decoded[n - 1]).toEqual(data(n));
      // The same bytes msgpack itself would produce for the array.
      if (n <= 16) expect(encodeBatch(frames)).toEqual(encode(Array.from({ length: n }, (_, i) => data(i + 1))));
    }
  });

  it('encodes a batch of data frames by hand to the very bytes encodeFrame and encodeBatch give, whatever the numbers, topics and data', () => {
    const num = fc.oneof(fc.nat(), fc.integer({ min: 0, max: 0xffff_ffff }), fc.maxSafeNat(), fc.integer(), fc.double({ noNaN: true }), fc.constant(0x1_0000_0000));
    const frame = fc.record({
      op: fc.constant('data' as const),
      epoch: fc.string(),
      seq: num,
      prev: num,
      ts: num,
      topic: fc.oneof(fc.constantFrom('md.quote.AAPL', 'order.1'), fc.string({ maxLength: 300 })),
      data: fc.jsonValue(),
    });
    fc.assert(
      fc.property(fc.string(), fc.array(frame, { maxLength: 40 }), (epoch, frames) => {
        const batch = new DataFrameBatch(epoch, 16);
        const own = frames.map((f) => ({ ...f, epoch }));
        for (const f of own) batch.add(f);
        const { message, offsets } = batch.seal();
        expect(message).toEqual(encodeBatch(own.map((f) => encodeFrame(f))));
        own.forEach((f, i) => expect(message.subarray(offsets[i], offsets[i + 1])).toEqual(encodeFrame(f)));
        expect(offsets).toHaveLength(own.length + 1);
      }),
      { numRuns: 300 },
    );
    // Data left out (undefined) is encoded as the encoder does: the key omitted.
    const batch = new DataFrameBatch('e');
    batch.add({ ...data(1), data: undefined });
    expect(decodeFrames(batch.seal().message)).toEqual([{ op: 'data', epoch: 'e1', seq: 1, prev: 0, ts: 1_001, topic: 't' }]);
  });

  it('copies each encoded frame, so a later encode does not overwrite an earlier one', () => {
    const a = encodeFrame({ op: 'hb', epoch: 'e', head: 1, ts: 1 });
    encodeFrame({ op: 'hb', epoch: 'x', head: 2, ts: 2 });
    expect(decodeFrames(a)).toEqual([{ op: 'hb', epoch: 'e', head: 1, ts: 1 }]);
  });

  it('refuses exactly the server frames the schema refuses, and gives what it gives (random and mutated frames)', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.maxSafeNat(),
      fc.double(),
      fc.constantFrom(-1, -0, 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, true),
      fc.array(fc.nat(), { maxLength: 2 }),
      fc.dictionary(fc.string(), fc.nat()),
    );
    const op = fc.constantFrom('data', 'welcome', 'snapshot', 'hb', 'reset', 'error', 'nope', 1);
    const keys = ['op', 'epoch', 'seq', 'prev', 'ts', 'topic', 'data', 'head', 'resumed', 'state', 'reason', 'code', 'message', 'extra'];
    const random = fc.dictionary(fc.constantFrom(...keys), value).chain((d) => op.map((o) => ({ ...d, op: o })));
    const valid = fc.record({
      op: fc.constant('data'),
      epoch: fc.string(),
      seq: fc.maxSafeNat(),
      prev: fc.maxSafeNat(),
      ts: fc.double({ noNaN: true, noDefaultInfinity: true }),
      topic: fc.string(),
      data: value,
    });
    // A valid data frame with one field replaced by anything, or removed.
    const mutated = fc.tuple(valid, fc.constantFrom(...keys), fc.option(value, { nil: undefined }), fc.boolean()).map(([f, k, v, drop]) => {
      const m: Record<string, unknown> = { ...f };
      if (drop) delete m[k];
      else m[k] = v;
      return m;
    });
    const notObjects = fc.oneof(value, fc.constant([{ op: 'data' }]));
    fc.assert(
      fc.property(fc.oneof(random, valid, mutated, notObjects), (raw) => {
        const schema = ServerFrameSchema.safeParse(raw);
        const own = parseServerFrame(raw);
        expect(own !== undefined, JSON.stringify(raw)).toBe(schema.success);
        if (schema.success) expect(own).toEqual(schema.data);
      }),
      { numRuns: 3_000 },
    );
  });

  it('validates client frames: ops, positions, topic patterns and replay ranges', () => {
    expect(ClientFrameSchema.safeParse({ op: 'hello', resume: { epoch: 'e', seq: 5 }, topics: ['md.quote.*', 'order.>'] }).success).toBe(true);
    for (const bad of [
      { op: 'hello', topics: ['a..b'] },
      { op: 'hello', resume: { epoch: '', seq: 1 } },
      { op: 'hello', resume: { epoch: 'e', seq: -1 } },
      { op: 'hello', extra: 1 },
      { op: 'replay', from: 0, to: 3 },
      { op: 'replay', from: 5, to: 3 },
      { op: 'replay', from: 1, to: 1_000_000 },
      { op: 'subscribe' },
    ]) {
      expect(ClientFrameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('topic patterns', () => {
  it('matches words, * for one word and > for the rest', () => {
    const m = topicMatcher(['md.quote.*', 'order.>'])!;
    expect(['md.quote.AAPL', 'order.42', 'order.42.fill'].map(m)).toEqual([true, true, true]);
    expect(['md.quote', 'md.quote.AAPL.x', 'md.bar.AAPL', 'order', 'orders.1'].map(m)).toEqual([false, false, false, false, false]);
    expect(topicMatcher([])).toBeUndefined();
    expect(topicMatcher(undefined)).toBeUndefined();
  });
});

describe('circuit breaker', () => {
  it('opens on the fourth consecutive failure, half-opens after the cool-down, and closes on a successful trial', () => {
    let now = 0;
    const changes: string[] = [];
    const b = new CircuitBreaker(
      () => now,
      { coolDownMs: 1_000 },
      (s) => changes.push(s),
    );
    for (let i = 0; i < 3; i++) b.failure('x');
    expect(b.state).toBe('closed');
    b.failure('x');
    expect(b.state).toBe('open');
    expect(b.allows()).toBe(false);
    now += 1_000;
    expect(b.state).toBe('half-open');
    b.failure('trial');
    expect(b.state).toBe('open');
    now += 1_000;
    expect(b.allows()).toBe(true);
    b.success();
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('opens on an error rate over 5 % in 30 s, once there is enough volume, and forgets old outcomes', () => {
    let now = 0;
    const b = new CircuitBreaker(() => now);
    for (let i = 0; i < 95; i++) b.success();
    for (let i = 0; i < 5; i++) {
      b.failure('x');
      b.success(); // never consecutive
    }
    expect(b.state).toBe('closed'); // 5 of 105
    now += 31_000; // the window slides past those
    for (let i = 0; i < 20; i++) b.success();
    b.failure('x');
    b.success();
    b.failure('x');
    expect(b.state).toBe('open'); // 2 of 23 in the window
  });

  it('trips at once on a trigger that needs no counting', () => {
    const b = new CircuitBreaker(() => 0);
    b.trip('3 heartbeats missed');
    expect(b.state).toBe('open');
  });
});

describe('sequence tracker', () => {
  it('delivers in order, drops duplicates, buffers early frames and releases them when the gap fills', () => {
    const t = new SequenceTracker();
    expect(delivered(t.accept(data(1)))).toEqual([1]);
    expect(t.accept(data(1))).toEqual([]);
    expect(t.accept(data(4))).toEqual([{ kind: 'gap', from: 2, to: 3 }]);
    expect(t.accept(data(5))).toEqual([{ kind: 'gap', from: 2, to: 4 }]);
    expect(t.missing()).toEqual({ from: 2, to: 3 });
    expect(delivered(t.accept(data(2)))).toEqual([2]);
    expect(delivered(t.accept(data(3)))).toEqual([3, 4, 5]);
    expect(t.state()).toMatchObject({ lastSeq: 5, buffered: 0, gapsDetected: 1, duplicates: 1 });
    expect(t.missing()).toBeUndefined();
  });

  it('follows prev for a filtered subscriber, and moves without delivering through unwanted frames', () => {
    const t = new SequenceTracker();
    t.reset('e1', 10);
    expect(delivered(t.accept(data(15, 10)))).toEqual([15]);
    expect(delivered(t.accept(data(16), false))).toEqual([]);
    expect(t.lastSeq).toBe(16);
    expect(delivered(t.accept(data(20, 16)))).toEqual([20]);
  });

  it('reports a new epoch instead of delivering, and bounds what it buffers', () => {
    const t = new SequenceTracker(3);
    t.accept(data(1));
    expect(t.accept(data(1, 0, 'e2'))).toEqual([{ kind: 'epoch-changed', previous: 'e1', epoch: 'e2' }]);
    for (const seq of [20, 30, 40, 50, 10]) t.accept(data(seq));
    expect(t.state().buffered).toBe(3);
    // Full, it keeps the nearest: 50 was not kept, and 10 took the place of 40.
    expect(t.missing()).toEqual({ from: 2, to: 9 });
    for (let seq = 2; seq < 10; seq++) t.accept(data(seq));
    expect(t.lastSeq).toBe(10);
    expect(delivered(t.accept(data(11)))).toEqual([11]);
    expect(t.missing()).toEqual({ from: 12, to: 19 });
    for (let seq = 12; seq < 20; seq++) t.accept(data(seq));
    expect(t.lastSeq).toBe(20);
    expect(t.missing()).toEqual({ from: 21, to: 29 });
  });
});
