// The DeskApi over Electron IPC, without Electron: a fake ipcMain and fake windows (webContents and
// sender frames) carry the messages as Electron does (structured clones, delivered later, in order),
// between the real preload side (createDeskApi) and the real main side (registerDeskIpc) in front of a
// real StreamServer, publisher and SQLite journal. The renderer's side of the stream is the shared
// StreamSubscriber, as in the app.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { systemClock } from '../../../src/main/clock';
import { APP_CSP, DEV_CSP, withContentSecurityPolicy } from '../../../src/main/electron/csp';
import { registerDeskIpc, type IpcEventLike, type IpcMainLike, type WebContentsLike } from '../../../src/main/electron/ipc';
import { createAppPageCheck, createSenderCheck, permissionAllowed } from '../../../src/main/electron/sender';
import { createLogger } from '../../../src/main/ops';
import { createStreamMetrics, StreamJournal, StreamPublisher, StreamServer, type StreamServerOptions } from '../../../src/main/transport';
import { ACK_EVERY_BYTES, createDeskApi, type IpcRendererLike } from '../../../src/preload/desk-api';
import { DESK_IPC_CHANNELS as C, type CommandResult, type DeskInfo } from '../../../src/shared';
import { decodeFrames, encodeFrame, StreamSubscriber, type DataFrame, type ServerFrame, type StreamSocketEvents } from '../../../src/shared/stream';
import { tempDir } from '../../support/fs';
import { memoryLogger } from '../../support/logs';
import { until } from '../../support/wait';

const APP_INDEX = pathToFileURL('/opt/DualDesk/resources/app.asar/out/renderer/index.html').href;
const INFO: DeskInfo = { product: 'DualDesk', version: '0.1.0', mode: 'paper' };
const seqs = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);

type Listener = (event: IpcEventLike, ...args: unknown[]) => void;

/** Electron's ipcMain as the main process sees it; `invoke` and `send` are the renderer's end of the wire. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  readonly listeners = new Map<string, Set<Listener>>();

  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  on(channel: string, listener: Listener): this {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return this;
  }
  removeListener(channel: string, listener: Listener): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }

  /** As ipcRenderer.invoke: arguments cloned, the handler run later, its result cloned, a throw becomes a rejection. */
  async invoke(event: IpcEventLike, channel: string, ...args: unknown[]): Promise<unknown> {
    const cloned = structuredClone(args);
    await Promise.resolve();
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    try {
      return structuredClone(await handler(event, ...cloned));
    } catch (err) {
      throw new Error(`Error invoking remote method '${channel}': ${String(err)}`, { cause: err });
    }
  }

  /** As ipcRenderer.send: arguments cloned, delivered later, in order. */
  send(event: IpcEventLike, channel: string, ...args: unknown[]): void {
    const cloned = structuredClone(args);
    queueMicrotask(() => {
      for (const l of this.listeners.get(channel) ?? []) l(event, ...cloned);
    });
  }

  listenerCount(): number {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }
}

/** A window's webContents: `send` reaches the page's ipcRenderer listeners later, in order. */
class FakeWebContents extends EventEmitter implements WebContentsLike {
  destroyed = false;
  /** Every stream event sent to this window, in order. */
  readonly streamEvents: { id: number; event: { type: string; code?: number; reason?: string; bytes?: Uint8Array } }[] = [];
  private readonly page = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();

  constructor(readonly id: number) {
    super();
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    if (channel === C.streamEvent) this.streamEvents.push({ id: args[0] as number, event: args[1] as FakeWebContents['streamEvents'][number]['event'] });
    const cloned = structuredClone(args);
    queueMicrotask(() => {
      for (const l of this.page.get(channel) ?? []) l({}, ...cloned);
    });
  }
  onPage(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
    let set = this.page.get(channel);
    if (!set) this.page.set(channel, (set = new Set()));
    set.add(listener);
  }
  closes(id: number) {
    return this.streamEvents.filter((e) => e.id === id && e.event.type === 'close').map((e) => e.event);
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }
}

let nextContentsId = 1;

/** A window: its webContents, its top frame (or an iframe, or another page) and its page's ipcRenderer. */
function fakeWindow(ipcMain: FakeIpcMain, frame: { url: string; parent: unknown } | null = { url: `${APP_INDEX}#/orders`, parent: null }) {
  const contents = new FakeWebContents(nextContentsId++);
  const event: IpcEventLike = { sender: contents, senderFrame: frame };
  const ipcRenderer: IpcRendererLike = {
    invoke: (channel, ...args) => ipcMain.invoke(event, channel, ...args),
    send: (channel, ...args) => ipcMain.send(event, channel, ...args),
    on: (channel, listener) => contents.onPage(channel, listener),
  };
  return { contents, ipcRenderer };
}

/** A real stream (SQLite journal, publisher, StreamServer) and the IPC layer in front of it. */
async function startHost(server: Partial<StreamServerOptions> = {}) {
  const dir = tempDir();
  const { logger, lines } = memoryLogger('debug');
  const metrics = new Registry();
  const journal = await StreamJournal.open(join(dir, 'stream.db'));
  const publisher = new StreamPublisher({ journal, clock: systemClock, logger, metrics: createStreamMetrics(metrics) });
  const streamServer = new StreamServer({ logger, metrics, clock: systemClock, authorize: () => undefined, ...server });
  streamServer.setSource({ journal, publisher });
  const commands: { name: string; args: unknown }[] = [];
  const command = (name: string, args: unknown): Promise<CommandResult<unknown>> => {
    commands.push({ name, args });
    // As the command router does: what a command logs carries its correlation id (if it has one).
    logger.info({ command: name }, 'command ran');
    return Promise.resolve({ ok: true, value: { ran: name } });
  };
  const ipcMain = new FakeIpcMain();
  const dispose = registerDeskIpc({ info: () => INFO, command, streamServer, logger }, { ipcMain, checkSender: createSenderCheck(APP_INDEX, undefined) });
  onTestFinished(async () => {
    dispose();
    await streamServer.close();
    await publisher.close();
    await journal.close();
  });
  const warnings = () => lines().filter((l) => l['level'] === 'warn');
  return { ipcMain, streamServer, publisher, journal, commands, warnings, lines, dispose };
}

/** A stream opened with the preload's connectStream, recording what it hears. */
function rawStream(ipcRenderer: IpcRendererLike) {
  const api = createDeskApi(ipcRenderer);
  const heard = { open: false, frames: [] as ServerFrame[], closed: undefined as { code: number; reason: string } | undefined };
  const events: StreamSocketEvents = {
    open: () => (heard.open = true),
    message: (bytes) => heard.frames.push(...(decodeFrames(bytes) as ServerFrame[])),
    close: (code, reason) => (heard.closed = { code, reason }),
    error: () => undefined,
  };
  const socket = api.connectStream(events);
  return { socket, heard };
}

/** Sends a message as the page would, with no preload in between (for the arguments a preload never sends). */
async function openRaw(win: ReturnType<typeof fakeWindow>, id: number) {
  win.ipcRenderer.send(C.streamOpen, id);
  await until(() => win.contents.streamEvents.some((e) => e.id === id), `stream ${id} answered`);
  return win.contents.streamEvents.find((e) => e.id === id)?.event;
}

describe('the DeskApi over IPC (fake ipcMain and windows; real StreamServer, publisher and SQLite journal)', () => {
  it('answers getInfo and commands from the app’s own top-level page and refuses any other sender', async () => {
    const host = await startHost();
    const app = createDeskApi(fakeWindow(host.ipcMain).ipcRenderer);
    expect(await app.getInfo()).toEqual(INFO);
    expect(await app.command('getOrders', { limit: 5 })).toEqual({ ok: true, value: { ran: 'getOrders' } });
    expect(host.commands).toEqual([{ name: 'getOrders', args: { limit: 5 } }]);
    // Arguments that are not plain data (NaN from a mistyped field) are a refusal the UI shows, not a rejection.
    expect(await app.command('modifyOrder', { orderId: 'x', quantity: Number('abc') })).toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments', message: expect.stringMatching(/quantity/i) as unknown },
    });
    expect(host.commands).toHaveLength(1);

    const strangers = {
      iframe: { url: APP_INDEX, parent: { url: APP_INDEX, parent: null } },
      'another site': { url: 'https://evil.example/index.html', parent: null },
      'another local file': { url: pathToFileURL('/tmp/evil/index.html').href, parent: null },
      'no frame (navigated away)': null,
    };
    for (const [who, frame] of Object.entries(strangers)) {
      const win = fakeWindow(host.ipcMain, frame);
      const api = createDeskApi(win.ipcRenderer);
      await expect(api.getInfo(), who).rejects.toThrow(/IPC refused: unexpected sender/);
      // The main process refuses; the preload answers it as a refusal, like every command.
      expect(await api.command('cancelAll', {}), who).toEqual({
        ok: false,
        error: { code: 'ipc-refused', message: expect.stringMatching(/IPC refused: unexpected sender/) as unknown },
      });
      // A stream: refused in the log, no connection, not a word back.
      const before = host.warnings().length;
      const { heard } = rawStream(win.ipcRenderer);
      await until(() => host.warnings().length > before, `${who}: the refusal logged`);
      expect(host.warnings().at(-1)).toMatchObject({ channel: C.streamOpen, err: 'IPC refused: unexpected sender' });
      expect(host.streamServer.connectionCount).toBe(0);
      expect(win.contents.streamEvents).toEqual([]);
      expect(heard.open).toBe(false);
    }
    expect(host.commands).toHaveLength(1);

    // In development the app's page is the dev server's, at any path of its origin.
    const dev = createSenderCheck(APP_INDEX, 'http://localhost:5173/');
    expect(() => dev({ senderFrame: { url: 'http://localhost:5173/index.html', parent: null } })).not.toThrow();
    expect(() => dev({ senderFrame: { url: 'http://localhost:5174/', parent: null } })).toThrow(/unexpected sender/);
    expect(() => dev({ senderFrame: { url: APP_INDEX, parent: null } })).toThrow(/unexpected sender/);
  });

  it('grants notifications to the app\u2019s own top-level page only, and no other permission to anyone', () => {
    const isApp = createAppPageCheck(APP_INDEX, undefined);
    expect(permissionAllowed('notifications', `${APP_INDEX}#positions`, true, isApp)).toBe(true);
    expect(permissionAllowed('notifications', APP_INDEX, false, isApp)).toBe(false);
    expect(permissionAllowed('notifications', 'https://example.com/', true, isApp)).toBe(false);
    expect(permissionAllowed('notifications', undefined, true, isApp)).toBe(false);
    for (const other of ['media', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) expect(permissionAllowed(other, APP_INDEX, true, isApp)).toBe(false);
  });

  it('gives every command its own correlation id, on the IPC line and on every line the command logs', async () => {
    const host = await startHost();
    const app = createDeskApi(fakeWindow(host.ipcMain).ipcRenderer);
    expect(await app.command('getOrders', { limit: 5 })).toMatchObject({ ok: true });
    expect(await app.command('cancelAll', {})).toMatchObject({ ok: true });
    const ran = host.lines().filter((l) => l['msg'] === 'command ran');
    const ipc = host.lines().filter((l) => l['msg'] === 'ipc command');
    expect(ran.map((l) => l['command'])).toEqual(['getOrders', 'cancelAll']);
    expect(ipc).toMatchObject([
      { command: 'getOrders', ok: true },
      { command: 'cancelAll', ok: true },
    ]);
    for (const [i, line] of ran.entries()) {
      expect(line['cid'], `${String(line['command'])} logged with a cid`).toMatch(/^[0-9a-f-]{36}$/);
      expect(ipc[i]?.['cid']).toBe(line['cid']);
    }
    expect(ran[0]?.['cid']).not.toBe(ran[1]?.['cid']);
  });

  it('refuses bad command arguments with a clear error, runs nothing, and keeps serving', async () => {
    const host = await startHost();
    const { ipcRenderer } = fakeWindow(host.ipcMain);
    let deep: unknown = {};
    for (let i = 0; i < 20; i++) deep = { deeper: deep };
    const cases: [string, unknown[], RegExp][] = [
      ['a number as the name', [42, {}], /desk:command: the command name must be a string, not the number 42/],
      ['an unknown command', ['nope', {}], /desk:command: there is no command 'nope'/],
      ['an inherited name', ['toString', {}], /there is no command 'toString'/],
      ['a string as the arguments', ['getOrders', 'limit=5'], /getOrders: the arguments must be a plain object, not a string/],
      ['an array as the arguments', ['getOrders', [5]], /the arguments must be a plain object, not an array/],
      ['no arguments object', ['getOrders', undefined], /the arguments must be a plain object, not undefined/],
      ['a Date inside', ['placeOrder', { ticket: { goodTill: new Date(0) } }], /args\.ticket\.goodTill: a Date is not plain data/],
      ['a Map inside', ['setRiskLimits', { limits: new Map([['maxOrderQty', 5]]) }], /args\.limits: a Map is not plain data/],
      ['a typed array inside', ['killSwitch', { reason: new Uint8Array(3) }], /args\.reason: a Uint8Array is not plain data/],
      ['a bigint', ['getOrders', { limit: 10n }], /args\.limit: a bigint is not plain data/],
      ['NaN', ['getOrders', { limit: Number.NaN }], /args\.limit: must be a finite number, not NaN/],
      ['too deep', ['setRiskLimits', { limits: deep }], /nested deeper than 16 levels/],
      ['too much text', ['killSwitch', { reason: 'x'.repeat(70_000) }], /more than 65536 characters of text/],
      ['too few arguments', ['getOrders'], /desk:command: expected 2 arguments, got 1/],
    ];
    for (const [what, args, message] of cases) await expect(ipcRenderer.invoke(C.command, ...args), what).rejects.toThrow(message);
    await expect(ipcRenderer.invoke(C.getInfo, 'please')).rejects.toThrow(/desk:get-info: expected 0 arguments, got 1/);
    expect(host.commands).toEqual([]);
    // Absent optional fields may come as undefined (structured cloning keeps them).
    expect(await ipcRenderer.invoke(C.command, 'killSwitch', { reason: undefined })).toMatchObject({ ok: true });
    expect(host.commands).toEqual([{ name: 'killSwitch', args: { reason: undefined } }]);
  });

  it('streams over IPC (preload → main → StreamServer): welcome and a snapshot, then data frames in order', async () => {
    const host = await startHost();
    const { publisher, streamServer } = host;
    for (let i = 0; i < 5; i++) publisher.publish(`md.quote.S${i % 2}`, { i });
    await publisher.flush();
    const win = fakeWindow(host.ipcMain);

    // The handshake, frame by frame.
    const raw = rawStream(win.ipcRenderer);
    await until(() => raw.heard.open, 'the stream open');
    raw.socket.send(encodeFrame({ op: 'hello' }));
    await until(() => raw.heard.frames.length >= 2, 'welcome and snapshot');
    expect(raw.heard.frames.slice(0, 2)).toEqual([
      { op: 'welcome', epoch: publisher.epoch, head: 5, resumed: false },
      { op: 'snapshot', epoch: publisher.epoch, seq: 5, state: { 'md.quote.S0': { i: 4 }, 'md.quote.S1': { i: 3 } } },
    ]);
    expect(streamServer.stats()).toMatchObject([{ who: 'desktop-window', state: 'live', sent: 5 }]);
    raw.socket.close(1000, 'done');
    await until(() => streamServer.connectionCount === 0, 'the server told of the close');

    // The renderer's StreamSubscriber over the preload's connectStream.
    const snapshots: number[] = [];
    const frames: DataFrame[] = [];
    const subscriber = new StreamSubscriber({
      connect: createDeskApi(win.ipcRenderer).connectStream,
      logger: createLogger({ level: 'silent' }),
      timers: systemClock,
      onSnapshot: (s) => snapshots.push(s.seq),
      onMessage: (f) => frames.push(f),
    });
    await subscriber.start();
    onTestFinished(() => subscriber.stop());
    await until(() => snapshots.length === 1, 'the snapshot');
    expect(snapshots).toEqual([5]);
    const N = 5_000;
    for (let i = 0; i < N; i++) publisher.publish(`t.${i % 3}`, { i, pad: 'p'.repeat(100) });
    await until(
      () => subscriber.state().lastSeq === 5 + N,
      () => `all ${N}: ${JSON.stringify(subscriber.state())}`,
    );
    expect(frames.map((f) => f.seq)).toEqual(seqs(N, 6));
    expect(frames.map((f) => (f.data as { i: number }).i)).toEqual(seqs(N, 0));
    expect(subscriber.state()).toMatchObject({ channel: 'websocket', websocket: 'open', gapsDetected: 0, reconnects: 0 });
    // The window acknowledged what it read: what the server counts as buffered stays under one acknowledgement's worth.
    await until(() => (streamServer.stats()[0]?.bufferedBytes ?? Infinity) < ACK_EVERY_BYTES, 'acknowledged');
    await subscriber.stop();
    await until(() => streamServer.connectionCount === 0, 'closed by the window');
    expect(host.warnings()).toEqual([]);
  });

  it('refuses bad stream arguments: a warning in the log and the stream closed with a code; the rest carries on', async () => {
    const host = await startHost();
    const win = fakeWindow(host.ipcMain);
    const send = (channel: string, ...args: unknown[]) => win.ipcRenderer.send(channel, ...args);
    const warned = async (pattern: RegExp) => {
      await until(() => host.warnings().some((w) => pattern.test(String(w['err']))), `a warning matching ${String(pattern)}`);
    };

    for (const id of ['1', 0, -3, 1.5, 2 ** 53, null]) send(C.streamOpen, id);
    send(C.streamOpen);
    await until(() => host.warnings().length === 7, 'seven refusals');
    expect(host.warnings().map((w) => w['err'])).toEqual([
      'desk:stream-open: a stream id must be a positive integer, not a string ("1")',
      'desk:stream-open: a stream id must be a positive integer, not the number 0',
      'desk:stream-open: a stream id must be a positive integer, not the number -3',
      'desk:stream-open: a stream id must be a positive integer, not the number 1.5',
      'desk:stream-open: a stream id must be a positive integer, not the number 9007199254740992',
      'desk:stream-open: a stream id must be a positive integer, not null',
      'desk:stream-open: expected 1 argument, got 0',
    ]);
    expect(host.streamServer.connectionCount).toBe(0);

    const cases: [string, (id: number) => void, number, RegExp | undefined][] = [
      ['text, not bytes', (id) => send(C.streamSend, id, 'hello'), 4000, /stream 1: a frame must be a Uint8Array \(or an acknowledged byte count\), not a string/],
      ['an array of numbers', (id) => send(C.streamSend, id, [0x80]), 4000, /stream 2: a frame must be a Uint8Array .*not an array/],
      [
        'an oversized frame',
        (id) => send(C.streamSend, id, new Uint8Array(16 * 1024 + 1)),
        1009,
        /stream 3: a frame of 16385 bytes is over the limit of 16384; stream closed \(1009\)/,
      ],
      ['an ack of bytes never sent', (id) => send(C.streamSend, id, 1_000_000), 4000, /stream 4: 1000000 is not a byte count between/],
      ['a reserved close code', (id) => send(C.streamClose, id, 1006, 'x'), 1008, /stream 5: a close code must be 1000 or an integer from 3000 to 4999, not the number 1006/],
      ['a close reason over 123 bytes', (id) => send(C.streamClose, id, 1000, 'é'.repeat(62)), 1008, /stream 6: a close reason is at most 123 bytes of UTF-8, not 124/],
      ['a close without a reason', (id) => send(C.streamClose, id, 1000), 1008, /stream 7: expected 3 arguments, got 2; stream closed \(1008\)/],
      ['a second open of the same id', (id) => send(C.streamOpen, id), 1008, /stream 8 is already open/],
      // Well-formed at the IPC boundary, refused by the stream server itself (an error frame, then a close), as over a WebSocket.
      ['bytes that are not msgpack', (id) => send(C.streamSend, id, new Uint8Array([0xc1, 0xc1])), 4000, undefined],
    ];
    let id = 0;
    for (const [what, act, code, message] of cases) {
      id++;
      expect(await openRaw(win, id), what).toEqual({ type: 'open' });
      act(id);
      await until(() => win.contents.closes(id).length > 0, `${what}: the close`);
      expect(win.contents.closes(id)[0]?.code, what).toBe(code);
      if (message) await warned(message);
    }
    await until(() => host.streamServer.connectionCount === 0, 'every refused stream closed on the server');
    // Frames and closes for streams that are not open are dropped without a fuss (they may be in flight as a stream closes).
    send(C.streamSend, 99, new Uint8Array([0x90]));
    send(C.streamClose, 99, 1000, 'bye');
    // Still serving: a good stream joins.
    const ok = rawStream(win.ipcRenderer);
    await until(() => ok.heard.open, 'a good stream');
    ok.socket.send(encodeFrame({ op: 'hello' }));
    await until(() => ok.heard.frames.some((f) => f.op === 'snapshot'), 'its snapshot');
  });

  it('closes a window’s streams when it navigates to another document, its renderer dies or it is destroyed', async () => {
    const host = await startHost();
    const win = fakeWindow(host.ipcMain);
    const api = createDeskApi(win.ipcRenderer);
    const open = async (n: number) => {
      const streams = Array.from({ length: n }, () => {
        const heard = { open: false };
        api.connectStream({ open: () => (heard.open = true), message: () => undefined, close: () => undefined, error: () => undefined });
        return heard;
      });
      await until(() => streams.every((s) => s.open), 'the streams open');
      expect(host.streamServer.connectionCount).toBe(n);
    };
    const sentBefore = () => win.contents.streamEvents.length;

    await open(2);
    win.contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true });
    win.contents.emit('did-start-navigation', { isMainFrame: false, isSameDocument: false });
    expect(host.streamServer.connectionCount).toBe(2);
    let sent = sentBefore();
    win.contents.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false });
    await until(() => host.streamServer.connectionCount === 0, 'closed on a reload');
    expect(win.contents.streamEvents.length).toBe(sent); // nothing told to a page that is going

    await open(3);
    sent = sentBefore();
    win.contents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 });
    await until(() => host.streamServer.connectionCount === 0, 'closed when the renderer died');
    expect(win.contents.streamEvents.length).toBe(sent);

    await open(2);
    win.contents.destroy(); // its send() throws from now on, as Electron's does
    await until(() => host.streamServer.connectionCount === 0, 'closed with the window');
    for (const event of ['destroyed', 'did-start-navigation', 'render-process-gone']) expect(win.contents.listenerCount(event), event).toBe(0);
    // The server's later frames (heartbeats) for those streams go nowhere and break nothing.
    host.publisher.publish('t', 'after');
    await host.publisher.flush();
    expect(host.warnings()).toEqual([]);
  });

  it('refuses a ninth stream in one window (1008), not in another, and takes one again once a stream closes', async () => {
    const host = await startHost();
    const a = fakeWindow(host.ipcMain);
    for (let id = 1; id <= 8; id++) expect(await openRaw(a, id)).toEqual({ type: 'open' });
    expect(await openRaw(a, 9)).toEqual({ type: 'close', code: 1008, reason: 'too many streams (at most 8 per window)' });
    expect(host.warnings().at(-1)).toMatchObject({ channel: C.streamOpen, err: 'desk:stream-open: stream 9 refused: this window already has 8 streams open (1008)' });
    expect(host.streamServer.connectionCount).toBe(8);

    const b = fakeWindow(host.ipcMain);
    expect(await openRaw(b, 1)).toEqual({ type: 'open' });
    expect(host.streamServer.connectionCount).toBe(9);

    a.ipcRenderer.send(C.streamClose, 3, 1000, 'done');
    await until(() => host.streamServer.connectionCount === 8, 'stream 3 closed');
    expect(await openRaw(a, 10)).toEqual({ type: 'open' });
  });

  it('flow control: a window that stops acknowledging stops getting live frames, and is caught up from the journal when it acknowledges again', async () => {
    const host = await startHost({ highWaterBytes: 64 * 1024, lowWaterBytes: 16 * 1024 });
    const { publisher, streamServer } = host;
    const win = fakeWindow(host.ipcMain);
    // A page that reads but does not acknowledge (no preload): it counts bytes and collects data frames.
    let received = 0;
    const data: number[] = [];
    let acking = false;
    win.contents.onPage(C.streamEvent, (_e, id, event) => {
      const { type, bytes } = event as { type: string; bytes?: Uint8Array };
      if (id !== 1 || type !== 'message' || !bytes) return;
      received += bytes.byteLength;
      for (const f of decodeFrames(bytes) as ServerFrame[]) if (f.op === 'data') data.push(f.seq);
      if (acking) win.ipcRenderer.send(C.streamSend, 1, received);
    });
    expect(await openRaw(win, 1)).toEqual({ type: 'open' });
    win.ipcRenderer.send(C.streamSend, 1, encodeFrame({ op: 'hello' }));
    await until(() => streamServer.stats()[0]?.state === 'live', 'joined');

    const N = 3_000;
    const pad = 'q'.repeat(200);
    for (let i = 0; i < N; i++) {
      publisher.publish('bulk', { i, pad });
      if (i % 100 === 99) await publisher.flush();
    }
    await publisher.flush();
    await until(() => streamServer.stats()[0]?.state === 'catching-up', 'live frames stopped');
    const stats = streamServer.stats()[0]!;
    // Bounded: the high-water mark plus at most one batch, not the ~700 KB published.
    expect(stats.bufferedBytes).toBeLessThan(64 * 1024 + 40 * 1024);
    expect(data.length).toBeLessThan(N);

    acking = true;
    win.ipcRenderer.send(C.streamSend, 1, received);
    await until(
      () => data.length === N,
      () => `caught up (${data.length} of ${N}): ${JSON.stringify(streamServer.stats())}`,
    );
    expect(data).toEqual(seqs(N, 1));
    await until(() => streamServer.stats()[0]?.state === 'live', 'live again');
    expect(host.warnings()).toEqual([]);
  });

  it('removes every handler and closes every stream when unregistered', async () => {
    const host = await startHost();
    const win = fakeWindow(host.ipcMain);
    expect(await openRaw(win, 1)).toEqual({ type: 'open' });
    expect([...host.ipcMain.handlers.keys()].sort()).toEqual([C.command, C.getInfo].sort());
    expect(host.ipcMain.listenerCount()).toBe(3);
    host.dispose();
    await until(() => host.streamServer.connectionCount === 0, 'the stream closed');
    expect(host.ipcMain.handlers.size).toBe(0);
    expect(host.ipcMain.listenerCount()).toBe(0);
    expect(win.contents.listenerCount('destroyed')).toBe(0);
  });
});

describe('the window’s Content-Security-Policy header', () => {
  const headers = { 'content-type': ['text/html'] };
  it('is set on the app’s page (built or dev server), unless it already has one, and on nothing else', () => {
    expect(withContentSecurityPolicy({ url: `${APP_INDEX}?x=1`, resourceType: 'mainFrame', responseHeaders: headers }, APP_INDEX, undefined)).toEqual({
      ...headers,
      'Content-Security-Policy': [APP_CSP],
    });
    expect(withContentSecurityPolicy({ url: 'http://localhost:5173/', resourceType: 'mainFrame', responseHeaders: headers }, APP_INDEX, 'http://localhost:5173')).toEqual({
      ...headers,
      'Content-Security-Policy': [DEV_CSP],
    });
    expect(
      withContentSecurityPolicy({ url: APP_INDEX, resourceType: 'mainFrame', responseHeaders: { 'Content-Security-Policy': ["default-src 'none'"] } }, APP_INDEX, undefined),
    ).toBeUndefined();
    expect(withContentSecurityPolicy({ url: APP_INDEX.replace('index.html', 'assets/index.js'), resourceType: 'script' }, APP_INDEX, undefined)).toBeUndefined();
    expect(withContentSecurityPolicy({ url: 'https://example.com/', resourceType: 'mainFrame' }, APP_INDEX, undefined)).toBeUndefined();
    expect(APP_CSP).toContain("default-src 'none'");
    expect(APP_CSP).toContain("script-src 'self';");
    expect(APP_CSP).not.toContain('unsafe');
    expect(DEV_CSP).toContain("script-src 'self' 'unsafe-inline'");
  });
});
