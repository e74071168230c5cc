// The Socket.IO 4 baseline of the stream benchmark (issue 13): a Socket.IO server with the msgpack
// parser (the viewers' stack of the design document) carrying the same data frames, one event per
// message, to one socket.io-client subscriber (bench/lib/stream-subscriber.ts) on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import * as msgpackParser from 'socket.io-msgpack-parser';
import type { WebSocket } from 'ws';
import { quote, TOKEN, type Sink } from './stream-rig';

/** The event each message travels in. */
export const SOCKETIO_EVENT = 'm';
/** Stop generating above this many packets queued in engine.io or this many bytes unsent (the bare loop's 4 MiB). */
const MAX_QUEUED = 20_000;
const HIGH_WATER = 4 * 1024 * 1024;

export interface SocketIoStream {
  readonly url: string;
  /** Resolves with the sink once the (one) client has connected. */
  readonly connected: Promise<Sink>;
  close(): Promise<void>;
}

/** engine.io's connection internals: its write queue and its transport (a `ws` socket on the websocket transport). */
interface EngineConn {
  readonly writeBuffer: unknown[];
  readonly transport: { readonly socket?: WebSocket; once(event: 'drain', f: () => void): void; off(event: 'drain', f: () => void): void };
}

export async function startSocketIoStream(): Promise<SocketIoStream> {
  const epoch = randomBytes(9).toString('base64url');
  const http = createServer((_req, res) => res.writeHead(404).end());
  const io = new Server(http, { parser: msgpackParser, serveClient: false, transports: ['websocket'], perMessageDeflate: false, maxHttpBufferSize: 1e6 });
  io.use((socket, next) => next((socket.handshake.auth as { token?: string }).token === TOKEN ? undefined : new Error('unauthorized')));
  const first = new Promise<Socket>((resolve) => io.once('connection', resolve));
  const port = await new Promise<number>((resolve) => http.listen(0, '127.0.0.1', () => resolve((http.address() as AddressInfo).port)));
  const connected = first.then((socket): Sink => {
    const conn = socket.conn as unknown as EngineConn;
    let seq = 0;
    return {
      emit(n) {
        for (let k = 0; k < n; k++) {
          seq++;
          const q = quote(seq);
          socket.emit(SOCKETIO_EVENT, { op: 'data', epoch, seq, prev: seq - 1, ts: Date.now(), topic: q.topic, data: q.data });
        }
      },
      room: () => conn.writeBuffer.length < MAX_QUEUED && (conn.transport.socket?.bufferedAmount ?? 0) < HIGH_WATER,
      // The transport's 'drain' (its last packet written) or, at the latest, the next millisecond.
      progress: () =>
        new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            conn.transport.off('drain', done);
            resolve();
          };
          const timer = setTimeout(done, 1);
          conn.transport.once('drain', done);
        }),
      get issued() {
        return seq;
      },
    };
  });
  return {
    url: `http://127.0.0.1:${port}`,
    connected,
    async close() {
      io.disconnectSockets(true);
      await io.close(); // and the http server
    },
  };
}
