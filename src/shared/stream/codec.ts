// msgpack encoding of frames: one Encoder/Decoder each (reused: creating them per call is slow).
import { Decoder, Encoder } from '@msgpack/msgpack';
import type { DataFrame, ServerFrame } from './frames';

const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

export function encodeFrame(frame: object): Uint8Array {
  // encode() returns a view into the encoder's buffer: copy, since frames outlive the next call.
  return encoder.encode(frame).slice();
}

/** Decodes a WebSocket message: one map, or an array of maps (a batch). Throws on bad bytes. */
export function decodeFrames(bytes: Uint8Array): unknown[] {
  const value = decoder.decode(bytes);
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

/** The msgpack array header of a batch of n frames (fixarray, array 16 or array 32). */
function arrayHeader(n: number): Uint8Array {
  return n < 16
    ? new Uint8Array([0x90 | n])
    : n < 0x10000
      ? new Uint8Array([0xdc, n >> 8, n & 0xff])
      : new Uint8Array([0xdd, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/**
 * A batch message from frames already encoded: a msgpack array header followed by the frames' bytes,
 * so a message encoded once (in the journal) is never encoded again for the wire.
 */
export function encodeBatch(frames: readonly Uint8Array[]): Uint8Array {
  const header = arrayHeader(frames.length);
  let length = header.length;
  for (const f of frames) length += f.length;
  const out = new Uint8Array(length);
  out.set(header, 0);
  let at = header.length;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

const HEADER_ROOM = 5; // the largest array header (array 32)
const key = (name: string) => encoder.encode(name).slice();
const KEYS = { seq: key('seq'), prev: key('prev'), ts: key('ts'), topic: key('topic'), data: key('data') } as const;
/** Encoded topic strings: topics repeat (a quote per instrument); bounded, since order topics do not. */
const topicBytes = new Map<string, Uint8Array>();
const MAX_CACHED_TOPICS = 4_096;

/**
 * Data frames of one epoch encoded straight into one buffer laid out as the wire's batch message
 * (a msgpack array of maps), each frame's bytes a range of it: the publisher encodes a message once,
 * the journal stores the ranges, the WebSocket sends the whole. The bytes equal encodeFrame's: only
 * the frame's own fields are written by hand (their names and the epoch are encoded once), `data`
 * goes through the msgpack encoder.
 */
export class DataFrameBatch {
  readonly frames: DataFrame[] = [];
  /** Where each frame starts in the buffer, then where the last one ends. */
  private readonly offsets: number[] = [HEADER_ROOM];
  private buf: Uint8Array;
  private view: DataView;
  private at = HEADER_ROOM;
  private readonly prefix: Uint8Array;

  constructor(epoch: string, capacity = 16 * 1024) {
    this.prefix = concat([key('op'), key('data'), key('epoch'), key(epoch)]);
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  get count(): number {
    return this.frames.length;
  }

  add(frame: DataFrame): void {
    if (frame.data === undefined) return this.addBytes(frame, encodeFrame(frame)); // a map of 6: rare
    this.ensure(this.prefix.length + 48);
    this.buf[this.at++] = 0x87; // fixmap of 7, in DataFrame's field order
    this.buf.set(this.prefix, this.at);
    this.at += this.prefix.length;
    this.field(KEYS.seq, frame.seq);
    this.field(KEYS.prev, frame.prev);
    this.field(KEYS.ts, frame.ts);
    this.bytes(KEYS.topic);
    this.bytes(encodedTopic(frame.topic));
    this.bytes(KEYS.data);
    this.bytes(encoder.encodeSharedRef(frame.data));
    this.frames.push(frame);
    this.offsets.push(this.at);
  }

  /**
   * The batch as one message and where each frame lies in it (offsets[i] to offsets[i + 1]): the
   * array header is written into the room left before the first frame. Views of this batch's buffer.
   */
  seal(): { readonly message: Uint8Array; readonly offsets: Uint32Array } {
    const header = arrayHeader(this.frames.length);
    const start = HEADER_ROOM - header.length;
    this.buf.set(header, start);
    const offsets = Uint32Array.from(this.offsets, (o) => o - start);
    return { message: this.buf.subarray(start, this.at), offsets };
  }

  private addBytes(frame: DataFrame, bytes: Uint8Array): void {
    this.bytes(bytes);
    this.frames.push(frame);
    this.offsets.push(this.at);
  }

  /** A number field: non-negative integers below 2^32 by hand (as the encoder writes them), others by the encoder. */
  private field(name: Uint8Array, n: number): void {
    this.bytes(name);
    if (Number.isInteger(n) && n >= 0 && n < 0x1_0000_0000) {
      this.ensure(5);
      if (n < 0x80) this.buf[this.at++] = n;
      else if (n < 0x100) {
        this.buf[this.at++] = 0xcc;
        this.buf[this.at++] = n;
      } else if (n < 0x10000) {
        this.buf[this.at++] = 0xcd;
        this.view.setUint16(this.at, n);
        this.at += 2;
      } else {
        this.buf[this.at++] = 0xce;
        this.view.setUint32(this.at, n);
        this.at += 4;
      }
    } else this.bytes(encoder.encodeSharedRef(n));
  }

  private bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  private ensure(more: number): void {
    if (this.at + more <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.at + more));
    bigger.set(this.buf.subarray(0, this.at));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

function encodedTopic(topic: string): Uint8Array {
  let b = topicBytes.get(topic);
  if (b === undefined) {
    if (topicBytes.size >= MAX_CACHED_TOPICS) topicBytes.clear();
    b = key(topic);
    topicBytes.set(topic, b);
  }
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export type { ServerFrame };
