import type { TradingMode } from '../../shared';

/** Paper accounts start with DU (individual), DF or DI (advisor and broker masters). */
export function isPaperAccount(account: string): boolean {
  return /^D[UFI]/.test(account);
}

export type VenuePlatform = 'tws' | 'gateway';

/** IB's default API ports: TWS 7497 paper / 7496 live, IB Gateway 4002 paper / 4001 live. */
export function defaultPort(platform: VenuePlatform, mode: TradingMode): number {
  if (platform === 'tws') return mode === 'paper' ? 7497 : 7496;
  return mode === 'paper' ? 4002 : 4001;
}

/**
 * Why this mode may not trade these accounts, or undefined when it may. Paper mode trades only paper
 * accounts; live mode only live ones — a wrong port or a wrong login must never route real orders.
 */
export function accountMismatch(mode: TradingMode, accounts: readonly string[]): string | undefined {
  if (accounts.length === 0) return 'IB reported no account for this login';
  const live = accounts.filter((a) => !isPaperAccount(a));
  const paper = accounts.filter(isPaperAccount);
  if (mode === 'paper' && live.length > 0) {
    return `PAPER mode is connected to live account ${live.join(', ')}: orders are refused. Connect to the paper TWS/Gateway, or switch to LIVE.`;
  }
  if (mode === 'live' && paper.length > 0) {
    return `LIVE mode is connected to paper account ${paper.join(', ')}: orders are refused. Connect to the live TWS/Gateway, or switch to PAPER.`;
  }
  return undefined;
}
