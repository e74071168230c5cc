// The DeskApi over Electron IPC, main side. Electron's ipcMain and the windows' webContents are
// injected (typed structurally, no runtime import of 'electron'), so all of this runs in plain Node
// under test. Every message is checked for its sender first (the app's own top-level page), then its
// arguments; a bad one gets a clear error (invoke: a rejected Error; send: a warning in the log and,
// for a stream, a close with a code), and nothing reaches the core unchecked.
//
// Streams: the window opens a stream with a numeric id of its choosing and gets its own StreamPeer on
// the desk's StreamServer, the same one WebSocket subscribers use (hello, welcome, snapshot, data,
// heartbeats, replays, 4008 ...). Flow control: IPC tells the sender nothing about how far the
// renderer has read, so the preload acknowledges what it has consumed — a cumulative byte count,
// sent on the streamSend channel as a number every 64 KiB or so — and the peer reports
// bufferedAmount = bytes sent − bytes acknowledged. The server's backpressure (live frames stop
// above the high-water mark, catch-up from the journal as acks arrive, 4008 for a window that stays
// behind) then applies to a hung renderer exactly as it does to a slow WebSocket.
import { CommandSchemas, DESK_IPC_CHANNELS, type CommandResult, type DeskInfo } from '../../shared';
import { CLOSE } from '../../shared/stream';
import { newCorrelationId, withCorrelation } from '../ops';
import type { StreamPeer, StreamPeerEvents, StreamScope } from '../transport';
import type { SenderCheck, SenderEventLike } from './sender';

/** What the window is told about one of its streams (main → renderer on DESK_IPC_CHANNELS.streamEvent). */
export type DeskStreamEvent =
  { readonly type: 'open' } | { readonly type: 'message'; readonly bytes: Uint8Array } | { readonly type: 'close'; readonly code: number; readonly reason: string };

/** The parts of a window's webContents the IPC layer uses (Electron's WebContents fits). */
export interface WebContentsLike {
  readonly id: number;
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
  on(event: 'destroyed', listener: () => void): unknown;
  on(event: 'did-start-navigation', listener: (details: { readonly isMainFrame: boolean; readonly isSameDocument: boolean }) => void): unknown;
  on(event: 'render-process-gone', listener: () => void): unknown;
  removeListener(event: 'destroyed', listener: () => void): unknown;
  removeListener(event: 'did-start-navigation', listener: (details: { readonly isMainFrame: boolean; readonly isSameDocument: boolean }) => void): unknown;
  removeListener(event: 'render-process-gone', listener: () => void): unknown;
}

/** An IPC event, invoked or sent (Electron's IpcMainEvent and IpcMainInvokeEvent fit). */
export interface IpcEventLike extends SenderEventLike {
  readonly sender: WebContentsLike;
}

/** The parts of Electron's ipcMain used here. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
}

/** The desk as IPC serves it (the Desk of src/main/app fits). */
export interface DeskIpcTarget {
  info(): DeskInfo;
  /** Validates the arguments itself; a refusal is a result, never a throw. */
  command(name: string, args: unknown): Promise<CommandResult<unknown>>;
  readonly streamServer: { acceptPeer(peer: StreamPeer, scope: StreamScope): void };
  readonly logger: IpcLog;
}

export interface IpcLog {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DeskIpcOptions {
  readonly ipcMain: IpcMainLike;
  /** Throws unless the event comes from the app's own top-level page (see createSenderCheck). */
  readonly checkSender: SenderCheck;
  /** Open streams per window (default 8). */
  readonly maxStreamsPerWindow?: number;
  /** A client frame larger than this closes its stream with 1009 (default 16 KiB, the WebSocket's limit too). */
  readonly maxFrameBytes?: number;
}

/** Command arguments: at most this many values (objects, arrays and leaves together), this deep, this many characters of text. */
const MAX_ARG_VALUES = 10_000;
const MAX_ARG_DEPTH = 16;
const MAX_ARG_TEXT = 64 * 1024;
/** A WebSocket close reason is at most 123 bytes of UTF-8. */
const MAX_CLOSE_REASON_BYTES = 123;
/** Closes for an argument that breaks the rules (too many streams, a bad close). */
const POLICY_VIOLATION = 1008;
/** What the window sees when its stream is cut without a close (WebSocket's "abnormal closure"). */
const ABNORMAL_CLOSURE = 1006;
const SCOPE: StreamScope = { who: 'desktop-window' };

/** A refused message: its text is what the caller (invoke) or the log (send) sees. */
class IpcArgumentError extends Error {
  override readonly name = 'IpcArgumentError';
}

/**
 * Registers a handler for every DESK_IPC_CHANNELS channel the window talks on; returns the function
 * that removes them and closes every window's streams.
 */
export function registerDeskIpc(desk: DeskIpcTarget, options: DeskIpcOptions): () => void {
  const { ipcMain, checkSender } = options;
  const maxStreams = options.maxStreamsPerWindow ?? 8;
  const maxFrameBytes = options.maxFrameBytes ?? 16 * 1024;
  const log = desk.logger;
  const windows = new Map<number, WindowStreams>();
  const C = DESK_IPC_CHANNELS;

  const windowOf = (contents: WebContentsLike): WindowStreams => {
    let w = windows.get(contents.id);
    if (!w) {
      w = new WindowStreams(contents, log, () => windows.delete(contents.id));
      windows.set(contents.id, w);
    }
    return w;
  };

  ipcMain.handle(C.getInfo, (event, ...args) => {
    checkSender(event);
    expectArgs(C.getInfo, args, 0);
    return desk.info();
  });

  ipcMain.handle(C.command, (event, ...args) => {
    checkSender(event);
    expectArgs(C.command, args, 2);
    const [name, commandArgs] = args;
    if (typeof name !== 'string') throw new IpcArgumentError(`${C.command}: the command name must be a string, not ${describe(name)}`);
    if (!Object.hasOwn(CommandSchemas, name)) throw new IpcArgumentError(`${C.command}: there is no command '${name.slice(0, 64)}'`);
    checkPlainArgs(`${C.command} ${name}`, commandArgs);
    // One correlation id per command, as an HTTP request has: every line logged while it runs (and its order's journal records) carries it.
    return withCorrelation(newCorrelationId(), async () => {
      const started = performance.now();
      const result = await desk.command(name, commandArgs);
      log.debug({ channel: C.command, command: name, ok: result.ok, ms: +(performance.now() - started).toFixed(2) }, 'ipc command');
      return result;
    });
  });

  /** A send handler: never throws (a throw in an ipcMain listener would take the main process down). */
  const onSend = (channel: string, handler: (event: IpcEventLike, args: unknown[]) => void) => {
    const listener = (event: IpcEventLike, ...args: unknown[]) => {
      try {
        checkSender(event);
        handler(event, args);
      } catch (err) {
        log.warn({ channel, err: err instanceof Error ? err.message : String(err) }, 'IPC message refused');
      }
    };
    ipcMain.on(channel, listener);
    return () => ipcMain.removeListener(channel, listener);
  };

  /** The stream a message is about (its id checked first: a bad id leaves nothing to close). */
  const stream = (channel: string, event: IpcEventLike, args: readonly unknown[]) => {
    if (args.length === 0) throw new IpcArgumentError(`${channel}: expected a stream id first, got no arguments`);
    const id = streamId(channel, args[0]);
    return { id, peer: windows.get(event.sender.id)?.get(id) };
  };

  /** Closes the stream with `code` (the window is told) and throws, for the log. */
  const refuse = (peer: IpcStreamPeer, code: number, message: string): never => {
    peer.close(code, code === CLOSE.TOO_BIG ? 'frame too big' : code === CLOSE.BAD_FRAME ? 'bad frame' : 'invalid arguments');
    throw new IpcArgumentError(`${message}; stream closed (${code})`);
  };

  const offs = [
    onSend(C.streamOpen, (event, args) => {
      expectArgs(C.streamOpen, args, 1);
      windowOf(event.sender).open(streamId(C.streamOpen, args[0]), maxStreams, desk.streamServer);
    }),

    onSend(C.streamSend, (event, args) => {
      const { id, peer } = stream(C.streamSend, event, args);
      if (!peer) {
        // Frames and acks in flight when a stream closes arrive after it: not an error.
        log.debug({ channel: C.streamSend, stream: id }, 'IPC frame for a stream that is not open; dropped');
        return;
      }
      if (args.length !== 2) refuse(peer, POLICY_VIOLATION, `${C.streamSend}: stream ${id}: expected 2 arguments, got ${args.length}`);
      const payload = args[1];
      if (payload instanceof Uint8Array) {
        if (payload.byteLength > maxFrameBytes)
          refuse(peer, CLOSE.TOO_BIG, `${C.streamSend}: stream ${id}: a frame of ${payload.byteLength} bytes is over the limit of ${maxFrameBytes}`);
        peer.received(payload);
      } else if (typeof payload === 'number') {
        if (!peer.acked(payload)) refuse(peer, CLOSE.BAD_FRAME, `${C.streamSend}: stream ${id}: ${payload} is not a byte count between the last acknowledged and the bytes sent`);
      } else {
        refuse(peer, CLOSE.BAD_FRAME, `${C.streamSend}: stream ${id}: a frame must be a Uint8Array (or an acknowledged byte count), not ${describe(payload)}`);
      }
    }),

    onSend(C.streamClose, (event, args) => {
      const { id, peer } = stream(C.streamClose, event, args);
      if (!peer) {
        log.debug({ channel: C.streamClose, stream: id }, 'IPC close of a stream that is not open; ignored');
        return;
      }
      if (args.length !== 3) refuse(peer, POLICY_VIOLATION, `${C.streamClose}: stream ${id}: expected 3 arguments, got ${args.length}`);
      const [, code, reason] = args;
      const problem = closeProblem(code, reason);
      if (problem !== undefined) refuse(peer, POLICY_VIOLATION, `${C.streamClose}: stream ${id}: ${problem}`);
      log.debug({ stream: id, code, reason }, 'the window closed a stream');
      peer.dropped();
    }),
  ];

  return () => {
    ipcMain.removeHandler(C.getInfo);
    ipcMain.removeHandler(C.command);
    for (const off of offs) off();
    for (const w of [...windows.values()]) w.dispose();
  };
}

/** One window's streams, closed when it is destroyed, navigates to another document or its renderer dies. */
class WindowStreams {
  private readonly streams = new Map<number, IpcStreamPeer>();
  private readonly onDestroyed = () => this.dispose();
  private readonly onGone = () => this.dropAll('the renderer process is gone');
  private readonly onNavigation = (details: { readonly isMainFrame: boolean; readonly isSameDocument: boolean }) => {
    // A reload or a new document: its streams belong to the page that is going. A hash or pushState change keeps the page.
    if (details.isMainFrame && !details.isSameDocument) this.dropAll('the window is navigating');
  };

  constructor(
    private readonly contents: WebContentsLike,
    private readonly log: IpcLog,
    private readonly forget: () => void,
  ) {
    contents.on('destroyed', this.onDestroyed);
    contents.on('render-process-gone', this.onGone);
    contents.on('did-start-navigation', this.onNavigation);
  }

  get(id: number): IpcStreamPeer | undefined {
    return this.streams.get(id);
  }

  open(id: number, max: number, server: DeskIpcTarget['streamServer']): void {
    const existing = this.streams.get(id);
    if (existing) {
      existing.close(POLICY_VIOLATION, 'duplicate stream id');
      throw new IpcArgumentError(`${DESK_IPC_CHANNELS.streamOpen}: stream ${id} is already open; both closed (${POLICY_VIOLATION})`);
    }
    if (this.streams.size >= max) {
      this.tell(id, { type: 'close', code: POLICY_VIOLATION, reason: `too many streams (at most ${max} per window)` });
      throw new IpcArgumentError(`${DESK_IPC_CHANNELS.streamOpen}: stream ${id} refused: this window already has ${max} streams open (${POLICY_VIOLATION})`);
    }
    const peer = new IpcStreamPeer(
      (event) => this.tell(id, event),
      () => this.streams.delete(id),
    );
    this.streams.set(id, peer);
    server.acceptPeer(peer, SCOPE);
    // Refused by the server (no stream yet, shutting down): the window has its close already, and no open.
    if (peer.readyState === 'open') this.tell(id, { type: 'open' });
  }

  /** Closes every stream without telling the window (it is going, or gone). */
  dropAll(why: string): void {
    if (this.streams.size === 0) return;
    this.log.debug({ window: this.contents.id, streams: this.streams.size, why }, 'closing the window’s streams');
    for (const peer of [...this.streams.values()]) peer.dropped();
  }

  dispose(): void {
    this.dropAll('the window is closed');
    this.contents.removeListener('destroyed', this.onDestroyed);
    this.contents.removeListener('render-process-gone', this.onGone);
    this.contents.removeListener('did-start-navigation', this.onNavigation);
    this.forget();
  }

  private tell(id: number, event: DeskStreamEvent): void {
    try {
      if (!this.contents.isDestroyed()) this.contents.send(DESK_IPC_CHANNELS.streamEvent, id, event);
    } catch (err) {
      this.log.debug({ window: this.contents.id, stream: id, err: err instanceof Error ? err.message : String(err) }, 'could not reach the window');
    }
  }
}

/** A stream to the window, as the StreamServer sees it: a WebSocket-like peer carried over IPC. */
class IpcStreamPeer implements StreamPeer {
  readyState: 'open' | 'closed' = 'open';
  private events: StreamPeerEvents | undefined;
  private sentBytes = 0;
  private ackedBytes = 0;
  private flushed: (() => void) | undefined;

  constructor(
    private readonly out: (event: DeskStreamEvent) => void,
    private readonly gone: () => void,
  ) {}

  /** Sent and not yet acknowledged by the window. */
  get bufferedAmount(): number {
    return this.sentBytes - this.ackedBytes;
  }

  listen(events: StreamPeerEvents): void {
    this.events = events;
  }

  send(bytes: Uint8Array, flushed?: () => void): void {
    if (this.readyState !== 'open') return;
    this.sentBytes += bytes.byteLength;
    // The server's callbacks all mean "look again at bufferedAmount": the latest one is enough, called at the next ack.
    if (flushed) this.flushed = flushed;
    this.out({ type: 'message', bytes });
  }

  close(code: number, reason: string): void {
    this.finish({ type: 'close', code, reason });
  }

  terminate(): void {
    this.finish({ type: 'close', code: ABNORMAL_CLOSURE, reason: 'connection dropped' });
  }

  /** A frame from the window. */
  received(bytes: Uint8Array): void {
    if (this.readyState === 'open') this.events?.message(bytes, true);
  }

  /** The window has consumed `total` bytes of this stream: false if that cannot be (backwards, or more than was sent). */
  acked(total: number): boolean {
    if (!Number.isSafeInteger(total) || total < this.ackedBytes || total > this.sentBytes) return false;
    this.ackedBytes = total;
    const flushed = this.flushed;
    this.flushed = undefined;
    flushed?.();
    return true;
  }

  /** The window closed the stream, or is gone: nothing to tell it. */
  dropped(): void {
    this.finish(undefined);
  }

  private finish(tell: DeskStreamEvent | undefined): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.flushed = undefined;
    if (tell) this.out(tell);
    this.gone();
    // As a WebSocket's: the server hears of the close later, never during its own call.
    queueMicrotask(() => this.events?.close());
  }
}

function expectArgs(channel: string, args: readonly unknown[], n: number): void {
  if (args.length !== n) throw new IpcArgumentError(`${channel}: expected ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
}

/** Stream ids are the window's own numbering: positive safe integers. */
function streamId(channel: string, id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw new IpcArgumentError(`${channel}: a stream id must be a positive integer, not ${describe(id)}`);
  return id;
}

/** Why a close code and reason are not acceptable (as a WebSocket client's close would not be), or undefined. */
function closeProblem(code: unknown, reason: unknown): string | undefined {
  if (typeof code !== 'number' || !Number.isInteger(code) || (code !== 1000 && (code < 3000 || code > 4999)))
    return `a close code must be 1000 or an integer from 3000 to 4999, not ${describe(code)}`;
  if (typeof reason !== 'string') return `a close reason must be a string, not ${describe(reason)}`;
  const bytes = Buffer.byteLength(reason, 'utf8');
  if (bytes > MAX_CLOSE_REASON_BYTES) return `a close reason is at most ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8, not ${bytes}`;
  return undefined;
}

/**
 * Command arguments are plain data, as JSON would carry them: an object of objects, arrays, strings,
 * finite numbers, booleans and null (undefined for an absent optional field). Structured cloning
 * lets more through (Dates, Maps, typed arrays, bigints, NaN); the command's schema does the rest.
 */
function checkPlainArgs(what: string, args: unknown): void {
  if (!isPlainObject(args)) throw new IpcArgumentError(`${what}: the arguments must be a plain object, not ${describe(args)}`);
  let values = 0;
  let text = 0;
  const visit = (value: unknown, path: string, depth: number): void => {
    if (++values > MAX_ARG_VALUES) throw new IpcArgumentError(`${what}: the arguments hold more than ${MAX_ARG_VALUES} values`);
    if (depth > MAX_ARG_DEPTH) throw new IpcArgumentError(`${what}: ${path}: nested deeper than ${MAX_ARG_DEPTH} levels`);
    if (value === null || value === undefined || typeof value === 'boolean') return;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new IpcArgumentError(`${what}: ${path}: must be a finite number, not ${String(value)}`);
      return;
    }
    if (typeof value === 'string') {
      text += value.length;
      if (text > MAX_ARG_TEXT) throw new IpcArgumentError(`${what}: the arguments hold more than ${MAX_ARG_TEXT} characters of text`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`, depth + 1));
      return;
    }
    if (isPlainObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        text += k.length;
        visit(v, `${path}.${k}`, depth + 1);
      }
      return;
    }
    throw new IpcArgumentError(`${what}: ${path}: ${describe(value)} is not plain data (objects, arrays, strings, finite numbers, booleans, null)`);
  };
  visit(args, 'args', 0);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short description of a bad value for an error message (never the value itself: it may be large). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case 'number':
      return `the number ${String(value)}`;
    case 'bigint':
      return 'a bigint';
    case 'boolean':
      return `${String(value)}`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    case 'object': {
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      return typeof name === 'string' && name !== '' && name !== 'Object' ? `a ${name}` : 'an object';
    }
  }
  return 'a value';
}
