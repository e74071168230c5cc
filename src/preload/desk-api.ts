// The DeskApi over Electron IPC, preload side: a function of an ipcRenderer-like object, so it runs
// (and is tested) in plain Node. It imports only src/shared/ipc (and types): a sandboxed preload is a
// single bundled file and can require nothing but 'electron'.
import type { CommandArgs, CommandName, CommandResult, CommandValues } from '../shared/commands';
import type { DeskApi, DeskInfo } from '../shared/desk';
import { DESK_IPC_CHANNELS } from '../shared/ipc';
import type { ConnectStream, StreamSocket, StreamSocketEvents } from '../shared/stream/subscriber';

/** The parts of Electron's ipcRenderer used here. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * Flow control: after consuming this many bytes of a stream since its last acknowledgement, the
 * window tells the main process the total consumed (a number on the streamSend channel); the main
 * side counts sent − acknowledged as the stream's buffered bytes (see src/main/electron/ipc.ts).
 */
export const ACK_EVERY_BYTES = 64 * 1024;

interface OpenStream {
  state: 'connecting' | 'open';
  readonly events: StreamSocketEvents;
  received: number;
  acked: number;
}

export function createDeskApi(ipc: IpcRendererLike): DeskApi {
  const C = DESK_IPC_CHANNELS;
  const streams = new Map<number, OpenStream>();
  let nextId = 1;

  // Events of streams this page no longer has (closed here first, or never opened) are dropped.
  ipc.on(C.streamEvent, (_event, id, e) => {
    const stream = typeof id === 'number' ? streams.get(id) : undefined;
    if (!stream || typeof e !== 'object' || e === null) return;
    const event = e as { type?: unknown; bytes?: unknown; code?: unknown; reason?: unknown };
    if (event.type === 'open' && stream.state === 'connecting') {
      stream.state = 'open';
      stream.events.open();
    } else if (event.type === 'message' && stream.state === 'open' && event.bytes instanceof Uint8Array) {
      const bytes = event.bytes;
      try {
        stream.events.message(bytes);
      } finally {
        stream.received += bytes.byteLength;
        if (stream.received - stream.acked >= ACK_EVERY_BYTES && streams.get(id as number) === stream) {
          stream.acked = stream.received;
          ipc.send(C.streamSend, id, stream.received);
        }
      }
    } else if (event.type === 'close') {
      streams.delete(id as number);
      stream.events.close(typeof event.code === 'number' ? event.code : 1006, typeof event.reason === 'string' ? event.reason : '');
    }
  });

  const connectStream: ConnectStream = (events) => {
    const id = nextId++;
    const stream: OpenStream = { state: 'connecting', events, received: 0, acked: 0 };
    streams.set(id, stream);
    ipc.send(C.streamOpen, id);
    /** Closed from this side: the main process is told, the subscriber hears its close later, never during the call. */
    const end = (tellMain: () => void, code: number, reason: string) => {
      if (streams.get(id) !== stream) return;
      streams.delete(id);
      tellMain();
      queueMicrotask(() => events.close(code, reason));
    };
    const socket: StreamSocket = {
      send: (bytes) => {
        if (streams.get(id) === stream && stream.state === 'open') ipc.send(C.streamSend, id, bytes);
      },
      close: (code, reason) => end(() => ipc.send(C.streamClose, id, code, reason), code, reason),
      abort: () => end(() => ipc.send(C.streamClose, id, 1000, 'aborted'), 1006, 'aborted'),
    };
    return socket;
  };

  return {
    getInfo: () => ipc.invoke(C.getInfo) as Promise<DeskInfo>,
    // The main process rejects arguments that are not plain data; like any refusal, that is a result, as in the browser.
    command: <N extends CommandName>(name: N, args: CommandArgs<N>) =>
      (ipc.invoke(C.command, name, args) as Promise<CommandResult<CommandValues[N]>>).catch((err: unknown): CommandResult<CommandValues[N]> => {
        const message = err instanceof Error ? err.message.replace(/^Error invoking remote method '[^']*': (Error: )?/, '') : String(err);
        return { ok: false, error: { code: /IPC refused/.test(message) ? 'ipc-refused' : 'invalid-arguments', message } };
      }),
    connectStream,
  };
}
