// What the store needs around its calls to the core: a timeout for a core that does not answer, and the
// stream subscriber's log.
import type { CommandResult } from '../../../shared';

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

export const consoleLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj: object, msg: string) => console.info('[stream]', msg, obj),
  error: (obj: object, msg: string) => console.info('[stream]', msg, obj),
};
