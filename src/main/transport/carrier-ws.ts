// The WebSocket carrier: a `ws` WebSocket as a StreamPeer, and ws's framing of a message shared by many peers.
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { StreamPeer } from './stream-types';

/** ws's framing (exported, not in its types). */
const { Sender } = wsModule as unknown as { Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] } };

/** The unmasked binary WebSocket frame of a message, as a server sends it. */
function binaryFrame(bytes: Uint8Array): Buffer {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts = Sender.frame(data, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: true });
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}

/** A `ws` WebSocket as a StreamPeer: the server's one code path serves WebSockets through this. */
export function webSocketPeer(ws: WebSocket): StreamPeer {
  // ws keeps the upgraded socket here; frames written to it directly share its write queue (and
  // bufferedAmount) with ws's own, in order. No compression is negotiated, so ws never holds frames back.
  const socket = (ws as unknown as { _socket?: Duplex })._socket;
  return {
    get readyState() {
      return ws.readyState === ws.OPEN ? 'open' : ws.readyState === ws.CLOSED ? 'closed' : 'closing';
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (bytes, flushed) => ws.send(bytes, { binary: true }, flushed),
    // One frame for every viewer of a round and one write each: through ws each send frames the message
    // again and writes header and payload corked, a writev, which cost 2x the CPU per viewer (profiled).
    sendShared: (message) => {
      if (!socket || ws.extensions !== '' || ws.readyState !== ws.OPEN) {
        ws.send(message.bytes, { binary: true });
        return;
      }
      message.wire ??= binaryFrame(message.bytes);
      socket.write(message.wire);
    },
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
    listen: (events) => {
      ws.on('message', (data: RawData, isBinary: boolean) =>
        events.message(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), isBinary),
      );
      ws.on('close', () => events.close());
      ws.on('error', (err) => events.error(err.message));
    },
  };
}
