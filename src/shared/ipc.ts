/**
 * IPC channel names of the DeskApi; only the preload (src/preload/desk-api.ts) and the Electron shell
 * (src/main/electron/ipc.ts) use them. The main process checks every message's sender (the app's own
 * top-level page) and its arguments: a bad invoke rejects with an Error saying what is wrong; a bad
 * send is logged and, when it names an open stream, closes that stream with a code.
 */
export const DESK_IPC_CHANNELS = {
  /** invoke() → DeskInfo */
  getInfo: 'desk:get-info',
  /** invoke(name: a command's name, args: a plain object) → CommandResult (a refusal is a result, not a rejection) */
  command: 'desk:command',
  /**
   * send(id: a positive integer the window picks): opens stream `id` for this window. Answered on
   * streamEvent with { type: 'open' }, or only a close (1008: the window has 8 streams open already;
   * 1013: the stream is not ready yet). A window's streams close when it reloads, navigates or is gone.
   */
  streamOpen: 'desk:stream-open',
  /**
   * send(id, frame: Uint8Array of at most 16 KiB): a client frame (hello, replay) — or
   * send(id, consumed: number): flow control, the total bytes of `message` events the window has
   * consumed on this stream (sent every 64 KiB or so); the core counts sent − consumed as buffered.
   */
  streamSend: 'desk:stream-send',
  /** send(id, code: 1000 or 3000–4999, reason: at most 123 bytes of UTF-8): the window closes stream `id` (no answer) */
  streamClose: 'desk:stream-close',
  /** main → renderer: (id, event), event = { type: 'open' } | { type: 'message', bytes: Uint8Array } | { type: 'close', code, reason } */
  streamEvent: 'desk:stream-event',
} as const;
