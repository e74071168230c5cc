import { connect, type Socket } from 'node:net';
import { EventName } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/main/sim/protocol/framing';
import { connectClient, IbTestClient } from '../support/ib';
import { startSim } from '../support/sim';
import { until } from '../support/wait';

/** A raw TCP client that completes the API handshake by hand. */
async function rawClient(port: number, version = 'v100..193'): Promise<{ socket: Socket; received: () => string[]; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  let buffer = Buffer.alloc(0);
  const messages: string[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 4 && buffer.length >= 4 + buffer.readUInt32BE(0)) {
      const len = buffer.readUInt32BE(0);
      messages.push(buffer.subarray(4, 4 + len).toString('utf8'));
      buffer = buffer.subarray(4 + len);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const hello = Buffer.from(version, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(hello.length);
  socket.write(Buffer.concat([Buffer.from('API\0', 'latin1'), len, hello]));
  return { socket, received: () => messages, closed };
}

describe('simulator: connecting', () => {
  it('negotiates version 193 with @stoqey/ib and opens like TWS: accounts, next id, farm status', async () => {
    const { port, clock } = await startSim();
    const client = await connectClient(port, 7);
    expect(client.ib.serverVersion).toBe(193);
    expect(client.events(EventName.managedAccounts)).toEqual([['DU1234567']]);
    expect(client.events(EventName.nextValidId)).toEqual([[1]]);
    expect(client.infoCodes()).toEqual(expect.arrayContaining([2104, 2106, 2158]));
    const since = client.mark();
    client.ib.reqCurrentTime();
    expect(await client.waitFor(EventName.currentTime, () => true, since)).toEqual([Math.floor(clock.now() / 1000)]);
  });

  it('announces min(client max, 193) to an older client', async () => {
    const { port } = await startSim();
    const raw = await rawClient(port, 'v100..150');
    await until(() => raw.received().length > 0, 'the handshake reply');
    expect(raw.received()[0]?.split('\0')[0]).toBe('150');
    raw.socket.destroy();
  });

  it('presents a live-looking account when asked', async () => {
    const { port } = await startSim({ liveAccount: 'U7654321' });
    const client = await connectClient(port, 1);
    expect(client.events(EventName.managedAccounts)).toEqual([['U7654321']]);
  });

  it('refuses a second connection with a client id in use (326) and keeps the first', async () => {
    const { port } = await startSim();
    const first = await connectClient(port, 3);
    const second = new IbTestClient(port);
    second.ib.connect(3);
    // Id -1: @stoqey/ib reports it as info, as it does for TWS.
    const [text] = await second.waitFor(EventName.info, (a) => a[1] === 326);
    expect(text).toMatch(/client id is already in use/);
    await second.waitFor(EventName.disconnected);
    const since = first.mark();
    first.ib.reqCurrentTime();
    await first.waitFor(EventName.currentTime, () => true, since);
    // Once the first leaves, the id is free again.
    first.disconnect();
    await first.waitFor(EventName.disconnected);
    const third = await connectClient(port, 3);
    expect(third.ib.isConnected).toBe(true);
  });

  it('answers malformed and unknown requests with error 321 and keeps the connection', async () => {
    const { port } = await startSim();
    const raw = await rawClient(port);
    raw.socket.write(encodeFrame(['71', '2', '44', '']));
    await until(() => raw.received().some((m) => m.split('\x00')[0] === '9'), 'nextValidId');
    raw.socket.write(encodeFrame(['8', '1', 'lots'])); // reqIds with a non-number
    raw.socket.write(encodeFrame(['777', '1'])); // no such request
    raw.socket.write(encodeFrame(['1', '11'])); // reqMktData cut short
    const isBadRequestError = (m: string) => m.split('\x00')[0] === '4' && m.split('\x00')[3] === '321';
    await until(() => raw.received().filter(isBadRequestError).length === 3, 'three 321 errors');
    raw.socket.write(encodeFrame(['49', '1']));
    await until(() => raw.received().some((m) => m.split('\x00')[0] === '49'), 'currentTime after the bad requests');
    raw.socket.destroy();
  });

  it('closes connections that do not speak the API, and goes on serving', async () => {
    const { port } = await startSim();
    const garbage = connect(port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => garbage.once('close', () => resolve()));
    garbage.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed;
    const client = await connectClient(port, 2);
    expect(client.ib.isConnected).toBe(true);
  });

  it('enforces pacing: over 50 messages a second get error 100, and the connection survives', async () => {
    let wall = 0; // the wire clock, frozen so that the whole burst falls within one second
    const { port } = await startSim({ wallNow: () => wall });
    const client = await connectClient(port, 5, { maxReqPerSec: 1_000 });
    const since = client.mark();
    for (let i = 0; i < 80; i++) client.ib.reqCurrentTime();
    // Every request is either answered or refused with error 100.
    const refused = () => client.infoCodes(since).filter((c) => c === 100).length;
    const answered = () => client.events(EventName.currentTime, since).length;
    await client.waitUntil(() => refused() + answered() === 80, 'an answer or a refusal for each of the 80 requests');
    expect(answered()).toBe(49); // START_API used one of the 50 slots of this second
    expect(refused()).toBe(31);
    expect(client.ib.isConnected).toBe(true);
    wall += 1_001;
    const after = client.mark();
    client.ib.reqCurrentTime();
    await client.waitFor(EventName.currentTime, () => true, after);
  });
});
