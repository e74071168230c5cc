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

export interface WebSocketPeerOptions {
  /**
   * Messages larger than this go out as WebSocket fragments of this size, each written once the last has left.
   * A TLS socket keeps resident, for as long as it lives, about what its largest write took (OpenSSL's and
   * Node's buffers: a 20 KB snapshot in one write costs a viewer ~20 KiB more than in 1 KiB pieces). Default: unfragmented.
   */
  readonly fragmentBytes?: number;
}

/** A message waiting behind one going out in fragments (nothing may come between a message's fragments but control frames). */
interface Queued {
  readonly bytes: Uint8Array;
  readonly flushed: (() => void) | undefined;
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
  private readonly fragmentBytes: number;
  /** Set while a message goes out in fragments: the messages sent meanwhile, in order. */
  private queued: Queued[] | undefined;
  /** Bytes not yet handed to ws: the fragmented message's rest and the queued messages. */
  private held = 0;
  /** A close asked for while a message went out in fragments: made once it and those queued behind it have gone. */
  private closing: { readonly code: number; readonly reason: string } | undefined;

  constructor(
    private readonly ws: WebSocket,
    options: WebSocketPeerOptions = {},
  ) {
    this.socket = (ws as unknown as { _socket?: Duplex })._socket;
    this.fragmentBytes = options.fragmentBytes ?? Number.POSITIVE_INFINITY;
    if (!(this.fragmentBytes >= 1)) throw new RangeError(`fragmentBytes must be at least 1, not ${options.fragmentBytes}`);
  }

  get readyState(): StreamPeer['readyState'] {
    const ws = this.ws;
    return ws.readyState === ws.OPEN && !this.closing ? 'open' : ws.readyState === ws.CLOSED ? 'closed' : 'closing';
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.held;
  }

  send(bytes: Uint8Array, flushed?: () => void): void {
    if (!this.closing) this.dispatch(bytes, flushed); // else closing once what was sent before has gone
  }

  private dispatch(bytes: Uint8Array, flushed: (() => void) | undefined): void {
    if (this.queued) {
      this.queued.push({ bytes, flushed });
      this.held += bytes.length;
    } else if (bytes.length <= this.fragmentBytes) this.ws.send(bytes, { binary: true }, flushed);
    else {
      this.queued = [];
      this.held += bytes.length;
      this.sendFragment(bytes, 0, flushed);
    }
  }

  // One frame for every viewer of a round and one write each: through ws each send frames the message
  // again and writes header and payload corked, a writev, which cost 2x the CPU per viewer (profiled).
  sendShared(message: SharedMessage): void {
    const ws = this.ws;
    if (!this.socket || ws.extensions !== '' || ws.readyState !== ws.OPEN || this.queued || message.bytes.length > this.fragmentBytes) {
      this.send(message.bytes);
      return;
    }
    message.wire ??= binaryFrame(message.bytes);
    this.socket.write(message.wire);
  }

  private sendFragment(bytes: Uint8Array, at: number, flushed: (() => void) | undefined): void {
    const end = Math.min(bytes.length, at + this.fragmentBytes);
    const last = end === bytes.length;
    this.held -= end - at;
    this.ws.send(bytes.subarray(at, end), { binary: true, fin: last }, (err) => {
      // Closed on the way: what is left is moot (the subscriber resumes from its last whole message).
      if (err) {
        this.queued = undefined;
        this.held = 0;
        this.closing = undefined;
      } else if (!last) this.sendFragment(bytes, end, flushed);
      else {
        flushed?.();
        this.sendQueued();
      }
    });
  }

  /** After a fragmented message: the messages sent meanwhile, in order (a large one fragments in turn, the rest queue behind it again). */
  private sendQueued(): void {
    const queued = this.queued ?? [];
    this.queued = undefined;
    for (const q of queued) {
      this.held -= q.bytes.length;
      this.dispatch(q.bytes, q.flushed);
    }
    const closing = this.closing;
    if (closing && !this.queued) {
      this.closing = undefined;
      this.ws.close(closing.code, closing.reason);
    }
  }

  /** Closes after a message going out in fragments, and those sent behind it (a close frame between fragments would cut it). */
  close(code: number, reason: string): void {
    if (this.queued) this.closing ??= { code, reason };
    else this.ws.close(code, reason);
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
