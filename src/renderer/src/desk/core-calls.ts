// What the store needs around its calls to the core: a timeout for a core that does not answer, the
// stream subscriber's log, and the shape of a watchlist this browser kept before the desk kept it.
import type { CommandResult, Instrument } from '../../../shared';

/**
 * The command's answer, or 'not reachable' once it has taken longer than `ms` (a hung core never
 * answers). The request is then aborted: left open, one a second would take all the browser's
 * connections to the core and queue the stream ticket and the trader's commands behind them.
 */
export function withTimeout<T>(ask: (signal: AbortSignal) => Promise<CommandResult<T>>, ms: number): Promise<CommandResult<T>> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<CommandResult<T>>((resolve) => {
    timer = setTimeout(() => {
      resolve({ ok: false, error: { code: 'timeout', message: `The DualDesk core did not answer within ${ms / 1000} s.` } });
      abort.abort();
    }, ms);
  });
  return Promise.race([ask(abort.signal), late]).finally(() => clearTimeout(timer));
}

export interface SavedSymbol {
  readonly symbol: string;
  readonly secType: Instrument['secType'];
}

export function isSavedSymbol(x: unknown): x is SavedSymbol {
  const o = x as { symbol?: unknown; secType?: unknown } | null;
  return typeof o?.symbol === 'string' && (o.secType === 'STK' || o.secType === 'CASH' || o.secType === 'FUT');
}

export const consoleLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj: object, msg: string) => console.info('[stream]', msg, obj),
  error: (obj: object, msg: string) => console.info('[stream]', msg, obj),
};
