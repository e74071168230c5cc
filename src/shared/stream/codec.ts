// msgpack encoding of frames: one Encoder/Decoder each (reused: creating them per call is slow).
import { Decoder, Encoder } from '@msgpack/msgpack';
import type { ServerFrame } from './frames';

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

/**
 * A batch message from frames already encoded: a msgpack array header followed by the frames' bytes,
 * so a message encoded once (in the journal) is never encoded again for the wire.
 */
export function encodeBatch(frames: readonly Uint8Array[]): Uint8Array {
  const n = frames.length;
  const header = n < 16 ? new Uint8Array([0x90 | n]) : n < 0x10000 ? new Uint8Array([0xdc, n >> 8, n & 0xff]) : new Uint8Array([0xdd, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
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

export type { ServerFrame };
