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
 * The account orders and account updates go to: the trader's choice, or the login's only account.
 * Several accounts and no choice, or a choice the login does not manage, is a problem: never a guess.
 */
export function tradingAccount(accounts: readonly string[], chosen: string | undefined): { readonly account: string } | { readonly problem: string } {
  if (chosen !== undefined) {
    if (accounts.includes(chosen)) return { account: chosen };
    return { problem: `Account ${chosen} (venue.account) is not one this login manages (${accounts.join(', ') || 'none'}): orders are refused. Choose one of them.` };
  }
  if (accounts.length === 1) return { account: accounts[0] as string };
  if (accounts.length === 0) return { problem: 'IB reported no account for this login' };
  return {
    problem: `This login manages several accounts (${accounts.join(', ')}): orders are refused until one is chosen (venue.account in config.json, DUALDESK_ACCOUNT or --account).`,
  };
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
