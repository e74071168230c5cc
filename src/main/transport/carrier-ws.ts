// The WebSocket carrier: a `ws` WebSocket as a StreamPeer, and ws's framing of a message shared by many peers.
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { SharedMessage, StreamPeer, StreamPeerEvents } from './stream-types';

/** ws's framing (exported, not in its types). */
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] } };

/** The unmasked binary WebSocket frame of a message, as a server sends it. */
function binaryFrame(bytes: Uint8Array): Buffer {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts = Sender.frame(data, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true });
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/**
 * A `ws` WebSocket as a StreamPeer: the server's one code path serves WebSockets through this. A class, its
 * methods on the prototype: a share server or relay holds a thousand of these, and a closure per method each
 * was a kilobyte of heap per viewer (heap snapshots of the share benchmark).
 */
export class WebSocketPeer implements StreamPeer {
  // ws keeps the upgraded socket here; frames written to it directly share its write queue (and
  // bufferedAmount) with ws's own, in order. No compression is negotiated, so ws never holds frames back.
  private readonly socket: Duplex | undefined;

  constructor(private readonly ws: WebSocket) {
    this.socket = (ws as unknown as { _socket?: Duplex })._socket;
  }

  get readyState(): StreamPeer['readyState'] {
    const ws = this.ws;
    return ws.readyState === ws.OPEN ? 'open' : ws.readyState === ws.CLOSED ? 'closed' : 'closing';
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(bytes: Uint8Array, flushed?: () => void): void {
    this.ws.send(bytes, { binary: true }, flushed);
  }

  // One frame for every viewer of a round and one write each: through ws each send frames the message
  // again and writes header and payload corked, a writev, which cost 2x the CPU per viewer (profiled).
  sendShared(message: SharedMessage): void {
    const ws = this.ws;
    if (!this.socket || ws.extensions !== '' || ws.readyState !== ws.OPEN) {
      ws.send(message.bytes, { binary: true });
      return;
    }
    message.wire ??= binaryFrame(message.bytes);
    this.socket.write(message.wire);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  listen(events: StreamPeerEvents): void {
    const ws = this.ws;
    ws.on('message', (data: RawData, isBinary: boolean) => events.message(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), isBinary));
    ws.on('close', () => events.close());
    ws.on('error', (err) => events.error(err.message));
  }
}
