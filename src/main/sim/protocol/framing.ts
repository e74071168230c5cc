// Framing of the TWS socket protocol (v100+): the client opens with `API\0`, a 4-byte big-endian
// length and `v<min>..<max>`; after that every message, both ways, is a 4-byte big-endian length
// followed by NUL-terminated UTF-8 fields.

/** A frame larger than this is a broken or hostile peer, not a message. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;

const API_PREFIX = Buffer.from('API\0', 'latin1');

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export type Inbound =
  { readonly kind: 'hello'; readonly minVersion: number; readonly maxVersion: number; readonly options: string } | { readonly kind: 'message'; readonly fields: string[] };

/** Turns the client's byte stream into the handshake and then messages. Throws ProtocolError on garbage. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private greeted = false;

  push(chunk: Buffer): Inbound[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: Inbound[] = [];
    for (;;) {
      if (!this.greeted) {
        if (this.buffer.length < API_PREFIX.length) {
          if (!API_PREFIX.subarray(0, this.buffer.length).equals(this.buffer)) throw new ProtocolError('expected the API handshake');
          return out;
        }
        if (!this.buffer.subarray(0, API_PREFIX.length).equals(API_PREFIX)) throw new ProtocolError('expected the API handshake');
        const body = this.takeFrame(API_PREFIX.length);
        if (body === undefined) return out;
        out.push(parseHello(body.toString('utf8')));
        this.greeted = true;
        continue;
      }
      const body = this.takeFrame(0);
      if (body === undefined) return out;
      const fields = body.toString('utf8').split('\0');
      // Every field is NUL-terminated, so the split leaves one empty string after the last NUL.
      if (fields.pop() !== '') throw new ProtocolError('a message field is not NUL-terminated');
      out.push({ kind: 'message', fields });
    }
  }

  private takeFrame(offset: number): Buffer | undefined {
    if (this.buffer.length < offset + 4) return undefined;
    const length = this.buffer.readUInt32BE(offset);
    if (length > MAX_FRAME_BYTES) throw new ProtocolError(`frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
    if (this.buffer.length < offset + 4 + length) return undefined;
    const body = this.buffer.subarray(offset + 4, offset + 4 + length);
    this.buffer = this.buffer.subarray(offset + 4 + length);
    return body;
  }
}

function parseHello(text: string): Inbound {
  const match = /^v(\d+)(?:\.\.(\d+))?(?: (.*))?$/s.exec(text);
  if (!match?.[1]) throw new ProtocolError(`malformed version announcement '${text.slice(0, 40)}'`);
  const minVersion = Number(match[1]);
  const maxVersion = match[2] === undefined ? minVersion : Number(match[2]);
  if (maxVersion < minVersion) throw new ProtocolError(`version range v${minVersion}..${maxVersion} is empty`);
  return { kind: 'hello', minVersion, maxVersion, options: match[3] ?? '' };
}

/** One message: length prefix, then each field followed by a NUL. */
export function encodeFrame(fields: readonly string[]): Buffer {
  let text = '';
  for (const f of fields) text += `${f}\0`;
  const length = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(4 + length);
  frame.writeUInt32BE(length, 0);
  frame.write(text, 4, 'utf8');
  return frame;
}
