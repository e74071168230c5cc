// WebSocketPeer's fragments (what viewers are sent): a message larger than fragmentBytes goes out as
// WebSocket fragments of at most that size, each written once the last has left, and what is sent
// meanwhile waits its turn — read off the wire (a real ws server's TCP socket) and at a real ws client.
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket, { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { WebSocketPeer } from '../../src/main/transport';
import { until } from '../support/wait';

interface WireFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly length: number;
}

/** The frames in what a server wrote (unmasked, as a server sends them). */
function framesOf(bytes: Buffer): WireFrame[] {
  const out: WireFrame[] = [];
  let at = 0;
  while (at < bytes.length) {
    const b0 = bytes[at] as number;
    let length = (bytes[at + 1] as number) & 0x7f;
    let header = 2;
    if (length === 126) {
      length = bytes.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(at + 2));
      header = 10;
    }
    out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, length });
    at += header + length;
  }
  return out;
}

/** A ws server whose one connection is a WebSocketPeer, every byte written to its socket recorded; and a client receiving. */
async function pair(fragmentBytes: number) {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
    await new Promise((r) => http.close(r));
  });
  const written: Buffer[] = [];
  const peer = new Promise<WebSocketPeer>((resolve) =>
    wss.once('connection', (ws) => {
      const socket = (ws as unknown as { _socket: Socket })._socket;
      const write = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
      (socket as unknown as { write: typeof write }).write = (chunk, ...rest) => {
        written.push(Buffer.from(chunk));
        return write(chunk, ...rest);
      };
      resolve(new WebSocketPeer(ws, { fragmentBytes }));
    }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, { perMessageDeflate: false });
  onTestFinished(() => client.terminate());
  const received: Buffer[] = [];
  client.on('message', (data: Buffer) => received.push(data));
  const closed = new Promise<number>((resolve) => client.once('close', (code: number) => resolve(code)));
  await new Promise((r) => client.once('open', r));
  return { peer: await peer, received, closed, wire: () => framesOf(Buffer.concat(written)) };
}

const message = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('WebSocketPeer fragments', () => {
  it('sends a large message as fragments of at most fragmentBytes; what is sent meanwhile follows it, whole and in order', async () => {
    const { peer, received, wire } = await pair(1024);
    const flushed: string[] = [];
    peer.send(message(10_000, 1), () => flushed.push('big'));
    // Counted as buffered until it has gone: the slow-viewer policy sees it.
    expect(peer.bufferedAmount).toBeGreaterThanOrEqual(10_000 - 1024);
    peer.send(message(10, 2), () => flushed.push('small'));
    peer.sendShared({ bytes: message(20, 3) });
    peer.send(message(3_000, 4));
    await until(
      () => received.length === 4,
      () => `${received.length} of 4 messages`,
    );
    expect(received.map((m) => [m.length, m[0], m.at(-1)])).toEqual([
      [10_000, 1, 1],
      [10, 2, 2],
      [20, 3, 3],
      [3_000, 4, 4],
    ]);
    expect(flushed).toEqual(['big', 'small']);
    expect(peer.bufferedAmount).toBe(0);
    const frames = wire();
    // 10 fragments (9 of 1,024 and one of 784), then the two small messages whole, then 3 fragments.
    expect(frames.map((f) => f.length)).toEqual([...Array<number>(9).fill(1024), 784, 10, 20, 1024, 1024, 952]);
    expect(frames.map((f) => [f.opcode, f.fin])).toEqual([
      [2, false],
      ...Array.from({ length: 8 }, () => [0, false]),
      [0, true],
      [2, true],
      [2, true],
      [2, false],
      [0, false],
      [0, true],
    ]);
  });

  it('sends messages up to fragmentBytes whole, as before', async () => {
    const { peer, received, wire } = await pair(1024);
    peer.send(message(1024, 5));
    peer.sendShared({ bytes: message(900, 6) });
    await until(() => received.length === 2, 'both messages');
    expect(wire().map((f) => [f.opcode, f.fin, f.length])).toEqual([
      [2, true, 1024],
      [2, true, 900],
    ]);
  });

  it('a close asked for while a message goes out in fragments comes after it and what was sent before; nothing sent after it goes', async () => {
    const { peer, received, closed, wire } = await pair(64);
    peer.send(message(64 * 200, 7));
    // As the share server refuses a viewer (a revocation): an error frame, then the close.
    peer.send(message(10, 8));
    peer.close(4004, 'the viewer token was revoked');
    expect(peer.readyState).toBe('closing');
    peer.send(message(5, 9));
    expect(await closed).toBe(4004);
    expect(received.map((m) => [m.length, m[0]])).toEqual([
      [64 * 200, 7],
      [10, 8],
    ]);
    const frames = wire();
    expect(frames.map((f) => f.opcode).filter((op) => op === 8)).toEqual([8]);
    // The close frame is the last thing written, after 200 fragments and the small message.
    expect(frames.at(-1)?.opcode).toBe(8);
    expect(frames.slice(0, -1).map((f) => f.length)).toEqual([...Array<number>(200).fill(64), 10]);
  });

  it('a close waiting behind a message that queued another large one comes after both, once', async () => {
    const { peer, received, closed, wire } = await pair(100);
    peer.send(message(1_000, 1));
    peer.send(message(1_050, 2));
    peer.close(1012, 'stream changed');
    peer.close(4004, 'a second close is not made');
    expect(await closed).toBe(1012);
    expect(received.map((m) => [m.length, m[0]])).toEqual([
      [1_000, 1],
      [1_050, 2],
    ]);
    const frames = wire();
    expect(frames.filter((f) => f.opcode === 8)).toHaveLength(1);
    expect(frames.slice(0, -1).map((f) => f.length)).toEqual([...Array<number>(10).fill(100), ...Array<number>(10).fill(100), 50]);
  });

  it('refuses a fragment size below 1 with a clear error', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      await new Promise((r) => http.close(r));
    });
    const server = new Promise<ServerSocket>((resolve) => wss.once('connection', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`);
    await new Promise((r) => client.once('open', r));
    onTestFinished(() => client.terminate());
    const ws = await server;
    expect(() => new WebSocketPeer(ws, { fragmentBytes: 0 })).toThrow(/fragmentBytes must be at least 1/);
    expect(() => new WebSocketPeer(ws, { fragmentBytes: Number.NaN })).toThrow(/fragmentBytes must be at least 1/);
  });
});
