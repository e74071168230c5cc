import type { CommandArgs, CommandName, CommandResult, CommandValues } from './commands';
import type { TradingMode } from './mode';
import type { ConnectStream } from './stream/subscriber';

/** What the workstation shows about the core it is attached to. */
export interface DeskInfo {
  readonly product: 'DualDesk';
  readonly version: string;
  readonly mode: TradingMode;
}

/** An AbortSignal, as far as a command needs one (src/shared is typed without the DOM). */
export interface CommandAbortSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

export interface CommandOptions {
  /**
   * Gives up on the answer: the web client cancels its HTTP request, so a hung core does not hold the
   * browser's few connections to it. Over IPC (Electron) there is no connection to free; it is ignored.
   */
  readonly signal?: CommandAbortSignal;
}

/**
 * The one contract between the workstation UI and the core: the trader's commands and the sequenced
 * stream. The Electron preload (over IPC) and the web client (over the local server) both implement
 * it; the renderer cannot tell them apart.
 */
export interface DeskApi {
  getInfo(): Promise<DeskInfo>;
  /** Runs a command: a refusal is a result (`ok: false` with a code and the trader's words), never a rejection. */
  command<N extends CommandName>(name: N, args: CommandArgs<N>, options?: CommandOptions): Promise<CommandResult<CommandValues[N]>>;
  /** Opens a connection to the stream; the UI runs a StreamSubscriber over it (snapshot, data, gaps). */
  readonly connectStream: ConnectStream;
}

/** A failed command, in the trader's words, with a stable code for programs. */
export interface DeskError {
  readonly code: string;
  readonly message: string;
}
