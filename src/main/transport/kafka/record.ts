// The stream's Kafka record, the one place that writes and reads it. A record carries a run of
// consecutive journal messages: value = a msgpack array of their data frames exactly as journaled
// (the bytes of a WebSocket batch), headers v=2, epoch, first, last, timestamp = the ts of the LAST
// message. Readers also take the previous release's records (one frame, headers epoch and seq).
// docs/PROTOCOL.md, "The Kafka record", is the contract.
import type { IHeaders, Message } from 'kafkajs';
import { decodeFrames, encodeBatch, parseServerFrame, type DataFrame } from '../../../shared/stream';
import type { JournalRow } from '../journal';

export const RECORD_FORMAT = '2';

/** How much one record may carry. */
export interface RecordCaps {
  readonly maxMessages: number;
  /** Of the record's value; well under the broker's message.max.bytes (1 MiB by default). */
  readonly maxBytes: number;
}

export const DEFAULT_RECORD_CAPS: RecordCaps = { maxMessages: 1_000, maxBytes: 256 * 1024 };

/** Headers, varints and the array header of one record, for byte budgets. */
export const RECORD_OVERHEAD = 96;

/** Consecutive journal messages first..last as one read hands them over: their frames back to back. */
export interface JournalRun {
  readonly first: number;
  readonly last: number;
  /** The last message's ts. */
  readonly ts: number;
  readonly frames: Uint8Array;
}

const NO_BYTES = new Uint8Array(0);

/** One record of a run: its frames behind the msgpack array header of their count. */
export function runRecord(epoch: string, run: JournalRun): Message {
  const count = run.last - run.first + 1;
  if (count < 1) throw new Error('a stream record carries at least one message');
  // encodeBatch of `count` empty frames is the array header alone (codec.ts keeps the one definition).
  const header = encodeBatch(new Array<Uint8Array>(count).fill(NO_BYTES));
  return {
    partition: 0,
    value: Buffer.concat([header, run.frames]),
    // The last message's ts: Kafka's seek by time (the first record at or after t) then lands on the
    // record holding the first message at or after t, exactly as with one record per message.
    timestamp: String(run.ts),
    headers: { v: RECORD_FORMAT, epoch, first: String(run.first), last: String(run.last) },
  };
}

/** One record of consecutive rows (at least one). */
export function streamRecord(epoch: string, rows: readonly JournalRow[]): Message {
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (!first || !last) throw new Error('a stream record carries at least one message');
  if (last.seq - first.seq + 1 !== rows.length) throw new Error(`a stream record carries consecutive messages (${first.seq}–${last.seq} is not ${rows.length})`);
  return runRecord(epoch, { first: first.seq, last: last.seq, ts: last.ts, frames: Buffer.concat(rows.map((r) => r.frame)) });
}

/** What a record holds by its headers alone: seqs first..last of an epoch (the old format: seq..seq). */
export interface RecordSpan {
  readonly epoch: string;
  readonly first: number;
  readonly last: number;
}

export function recordSpan(headers: IHeaders | undefined): RecordSpan | undefined {
  const epoch = header(headers, 'epoch');
  if (epoch === undefined) return undefined;
  const single = header(headers, 'seq');
  const first = seqOf(header(headers, 'first') ?? single);
  const last = seqOf(header(headers, 'last') ?? single);
  return first !== undefined && last !== undefined && first <= last ? { epoch, first, last } : undefined;
}

/** The data frames in a record's value (one for the old format); undefined when it is not a stream record. */
export function recordFrames(value: Buffer | null): DataFrame[] | undefined {
  if (!value) return undefined;
  let items: unknown[];
  try {
    items = decodeFrames(value);
  } catch {
    return undefined; // not msgpack
  }
  // Checked as strictly as on the WebSocket: a frame without its `prev` would hide a gap from the tracker.
  const frames: DataFrame[] = [];
  for (const item of items) {
    const frame = parseServerFrame(item);
    if (frame?.op !== 'data') return undefined;
    frames.push(frame);
  }
  return frames.length > 0 ? frames : undefined;
}

/** Where a reader is in the stream; readRecord moves it on. */
export interface RecordCursor {
  /** The position the read started from (its epoch, and its ts for an older store's tail). */
  readonly position: { readonly epoch: string; readonly ts: number };
  /** The highest seq delivered in the position's epoch. */
  lastSeq: number;
  /** A frame of the position's epoch was read: other epochs after it are newer (a recreated store). */
  ownEpochSeen: boolean;
}

export interface RecordRead {
  /** The frames after the cursor, in order. */
  readonly frames: DataFrame[];
  /** Frames dropped as already seen (or an older store's tail). */
  readonly skipped: number;
}

/**
 * The frames of a record the cursor has not seen, the cursor moved past them. A record wholly at or
 * before the cursor (same epoch) is skipped by its headers, its value never decoded: a reader behind
 * a faster WebSocket, or a record resent whole after a producer reset. Undefined: not a stream record.
 */
export function readRecord(message: { readonly value: Buffer | null; readonly headers?: IHeaders }, cursor: RecordCursor): RecordRead | undefined {
  // A later format is not read as this one (readers are upgraded before the desks that write it).
  const version = header(message.headers, 'v');
  if (version !== undefined && version !== RECORD_FORMAT) return undefined;
  const span = recordSpan(message.headers);
  if (span && span.epoch === cursor.position.epoch && span.last <= cursor.lastSeq) {
    cursor.ownEpochSeen = true;
    return { frames: [], skipped: span.last - span.first + 1 };
  }
  const frames = recordFrames(message.value);
  if (!frames) return undefined;
  const out: DataFrame[] = [];
  let skipped = 0;
  for (const frame of frames) {
    if (frame.epoch === cursor.position.epoch) {
      cursor.ownEpochSeen = true;
      if (frame.seq <= cursor.lastSeq) {
        skipped++;
        continue;
      }
      cursor.lastSeq = frame.seq;
    } else if (!cursor.ownEpochSeen && frame.ts <= cursor.position.ts) {
      // Another epoch before the position's: an older store's tail, caught by the seek margin.
      skipped++;
      continue;
    }
    out.push(frame);
  }
  return { frames: out, skipped };
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const h = headers?.[name];
  const one = Array.isArray(h) ? h[0] : h;
  return one === undefined ? undefined : one.toString();
}

function seqOf(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
