import { describe, expect, it } from 'vitest';
import { encodeBatch, encodeFrame, type DataFrame } from '../../../src/shared/stream';
import { type JournalRow, readRecord, type RecordCursor, recordFrames, recordSpan, runRecord, streamRecord } from '../../../src/main/transport';

const EPOCH = 'e-current';
const T0 = 1_700_000_000_000;

function frameOf(seq: number, epoch = EPOCH): DataFrame {
  return { op: 'data', epoch, seq, prev: seq - 1, ts: T0 + seq, topic: `md.quote.S${seq % 3}`, data: { bid: 100 + seq / 100 } };
}

function rowOf(seq: number, epoch = EPOCH): JournalRow {
  const f = frameOf(seq, epoch);
  return { seq, ts: f.ts, topic: f.topic, frame: encodeFrame(f) };
}

const rows = (from: number, to: number, epoch = EPOCH) => Array.from({ length: to - from + 1 }, (_, i) => rowOf(from + i, epoch));

/** A record as a consumer gets it: headers as Buffers. */
function consumed(m: ReturnType<typeof streamRecord>) {
  const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(String(v))]));
  return { value: m.value as Buffer, headers };
}

/** A record of the previous release: one frame, headers epoch and seq. */
function oldRecord(seq: number, epoch = EPOCH) {
  return { value: Buffer.from(encodeFrame(frameOf(seq, epoch))), headers: { epoch: Buffer.from(epoch), seq: Buffer.from(String(seq)) } };
}

const cursorAt = (seq: number, epoch = EPOCH): RecordCursor => ({ position: { epoch, ts: T0 + seq }, lastSeq: seq, ownEpochSeen: false });
const seqs = (frames: readonly DataFrame[]) => frames.map((f) => f.seq);

describe('the stream Kafka record', () => {
  it('round-trips: value = the journaled frames as one msgpack batch, headers v/epoch/first/last, timestamp = the last ts', () => {
    const run = rows(11, 20);
    const record = streamRecord(EPOCH, run);
    expect(record.headers).toEqual({ v: '2', epoch: EPOCH, first: '11', last: '20' });
    expect(record.timestamp).toBe(String(T0 + 20));
    expect(record.partition).toBe(0);
    expect(Buffer.compare(record.value as Buffer, Buffer.from(encodeBatch(run.map((r) => r.frame))))).toBe(0);
    expect(recordFrames(record.value as Buffer)).toEqual(run.map((r) => frameOf(r.seq)));
    const cursor = cursorAt(10);
    expect(readRecord(consumed(record), cursor)).toEqual({ frames: run.map((r) => frameOf(r.seq)), skipped: 0 });
    expect(cursor).toMatchObject({ lastSeq: 20, ownEpochSeen: true });
    expect(() => streamRecord(EPOCH, [])).toThrow('at least one message');
  });

  it('builds a record from a run read in one piece (frames back to back) with the same bytes as from rows, at every msgpack array size', () => {
    const all = rows(1, 65_536);
    for (const n of [1, 15, 16, 1_000, 65_535, 65_536]) {
      const run = all.slice(0, n);
      const fromRun = runRecord(EPOCH, { first: 1, last: n, ts: run.at(-1)!.ts, frames: Buffer.concat(run.map((r) => r.frame)) });
      const fromRows = streamRecord(EPOCH, run);
      expect({ ...fromRun, value: undefined }).toEqual({ ...fromRows, value: undefined });
      expect(Buffer.compare(fromRun.value as Buffer, Buffer.from(encodeBatch(run.map((r) => r.frame))))).toBe(0);
      const decoded = seqs(recordFrames(fromRun.value as Buffer)!);
      expect(decoded.length === n && decoded.every((seq, i) => seq === i + 1)).toBe(true);
    }
    expect(() => streamRecord(EPOCH, [rowOf(1), rowOf(3)])).toThrow('consecutive messages (1–3 is not 2)');
  }, 30_000); // 130,000 frames encoded and decoded

  it('reads the previous format (one frame, headers epoch and seq) beside the new one', () => {
    const cursor = cursorAt(4);
    const got = [oldRecord(3), oldRecord(4), oldRecord(5), oldRecord(6), consumed(streamRecord(EPOCH, rows(7, 9))), oldRecord(10)].map((m) => readRecord(m, cursor));
    expect(got.flatMap((r) => seqs(r!.frames))).toEqual([5, 6, 7, 8, 9, 10]);
    expect(got.reduce((n, r) => n + r!.skipped, 0)).toBe(2);
    expect(recordSpan(oldRecord(3).headers)).toEqual({ epoch: EPOCH, first: 3, last: 3 });
  });

  it('skips a record at or before the position by its headers alone, without decoding its value', () => {
    // Not msgpack at all: had it been decoded, the record would be refused as not a stream record.
    const garbage = Buffer.from([0xc1, 0xc1, 0xc1]);
    const record = { value: garbage, headers: consumed(streamRecord(EPOCH, rows(1, 50))).headers };
    const cursor = cursorAt(50);
    expect(readRecord(record, cursor)).toEqual({ frames: [], skipped: 50 });
    expect(cursor).toMatchObject({ lastSeq: 50, ownEpochSeen: true });
    // Past the position, the same bytes are decoded, and refused.
    expect(readRecord(record, cursorAt(49))).toBeUndefined();
    // Old-format records too.
    expect(readRecord({ value: garbage, headers: oldRecord(7).headers }, cursorAt(7))).toEqual({ frames: [], skipped: 1 });
  });

  it('decodes a record straddling the position and drops its frames up to it', () => {
    const cursor = cursorAt(5);
    expect(readRecord(consumed(streamRecord(EPOCH, rows(3, 8))), cursor)).toEqual({ frames: rows(6, 8).map((r) => frameOf(r.seq)), skipped: 3 });
    expect(cursor.lastSeq).toBe(8);
  });

  it('tolerates at-least-once resends: a whole record repeated, or a resend that runs on past what was read', () => {
    const cursor = cursorAt(0);
    const delivered = [
      streamRecord(EPOCH, rows(1, 5)),
      streamRecord(EPOCH, rows(6, 10)),
      streamRecord(EPOCH, rows(6, 10)), // resent whole after a producer reset
      streamRecord(EPOCH, rows(6, 14)), // resent from the watermark by a restarted outbox, with more
      streamRecord(EPOCH, rows(15, 15)),
    ].flatMap((m) => readRecord(consumed(m), cursor)!.frames);
    expect(seqs(delivered)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it("drops an older store's tail before the position's epoch, passes a newer epoch after it", () => {
    const cursor = cursorAt(100, 'e-older');
    cursor.lastSeq = 100;
    // The current epoch's frames up to the position's ts are an older store's tail (from the reader's view: another epoch before its own).
    const tail = readRecord(consumed(streamRecord(EPOCH, rows(98, 102))), cursor)!;
    expect(seqs(tail.frames)).toEqual([101, 102]);
    expect(tail.skipped).toBe(3);
    const own = cursorAt(5);
    readRecord(consumed(streamRecord(EPOCH, rows(5, 6))), own);
    expect(seqs(readRecord(consumed(streamRecord('e-newer', rows(1, 2, 'e-newer'))), own)!.frames)).toEqual([1, 2]);
  });

  it('refuses what is not a stream record (and lets it be skipped)', () => {
    expect(readRecord({ value: null }, cursorAt(0))).toBeUndefined();
    expect(readRecord({ value: Buffer.from([0xc1]) }, cursorAt(0))).toBeUndefined();
    expect(readRecord({ value: Buffer.from(encodeFrame({ op: 'heartbeat', ts: 1 })) }, cursorAt(0))).toBeUndefined();
    expect(readRecord({ value: Buffer.from(encodeBatch([encodeFrame(frameOf(1)), encodeFrame({ hello: 1 })])) }, cursorAt(0))).toBeUndefined();
    // Headers that are not seqs are ignored: the value decides.
    expect(recordSpan({ epoch: 'e', first: 'x', last: '3' })).toBeUndefined();
    expect(recordSpan({ epoch: 'e', first: '4', last: '3' })).toBeUndefined();
    expect(recordSpan({ first: '1', last: '3' })).toBeUndefined();
  });

  it('reads no later format as its own, and refuses a frame without the fields the WebSocket side requires (a missing prev would hide a gap)', () => {
    const later = consumed(streamRecord(EPOCH, rows(1, 3)));
    expect(readRecord({ ...later, headers: { ...later.headers, v: Buffer.from('3') } }, cursorAt(0))).toBeUndefined();
    expect(seqs(readRecord(later, cursorAt(0))?.frames ?? [])).toEqual([1, 2, 3]);
    const { prev: _prev, ...withoutPrev } = frameOf(2);
    const bad = encodeBatch([encodeFrame(frameOf(1)), encodeFrame(withoutPrev)]);
    expect(recordFrames(Buffer.from(bad))).toBeUndefined();
    expect(recordFrames(Buffer.from(encodeBatch([encodeFrame({ ...frameOf(1), seq: 1.5 })])))).toBeUndefined();
  });
});
