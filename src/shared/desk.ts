/** Paper and live never share state: separate databases, endpoints and safeguards. */
export const TRADING_MODES = ['paper', 'live'] as const;

export type TradingMode = (typeof TRADING_MODES)[number];

/** What the workstation shows about the core it is attached to. */
export interface DeskInfo {
  readonly product: 'DualDesk';
  readonly version: string;
  readonly mode: TradingMode;
}

/**
 * The one contract between the workstation UI and the core. The Electron preload (over IPC) and
 * the web client (over the local server) both implement it; the renderer cannot tell them apart.
 * Later issues add the trading commands and the sequenced stream.
 */
export interface DeskApi {
  getInfo(): Promise<DeskInfo>;
}

/** A failed command, in the trader's words, with a stable code for programs. */
export interface DeskError {
  readonly code: string;
  readonly message: string;
}
