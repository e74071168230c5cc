import { describe, expect, it } from 'vitest';
import { accountMismatch, defaultPort, fromIbError, isPaperAccount } from '../../../src/main/ib';
import { isOpenAt, parseTradingHours } from '../../../src/main/ib/hours';

describe('paper and live accounts', () => {
  it('recognises paper accounts (DU, DF, DI) and IB’s default ports', () => {
    expect(['DU1234567', 'DF123', 'DI99'].every(isPaperAccount)).toBe(true);
    expect(['U1234567', 'F123', 'DX1'].some(isPaperAccount)).toBe(false);
    expect([defaultPort('tws', 'paper'), defaultPort('tws', 'live'), defaultPort('gateway', 'paper'), defaultPort('gateway', 'live')]).toEqual([7497, 7496, 4002, 4001]);
  });

  it('lets paper mode trade only paper accounts and live mode only live ones, saying why not', () => {
    expect(accountMismatch('paper', ['DU1234567'])).toBeUndefined();
    expect(accountMismatch('live', ['U1234567'])).toBeUndefined();
    expect(accountMismatch('paper', ['U1234567'])).toMatch(/PAPER mode is connected to live account U1234567: orders are refused/);
    expect(accountMismatch('live', ['DU1234567'])).toMatch(/LIVE mode is connected to paper account DU1234567/);
    expect(accountMismatch('paper', ['DU1', 'U2'])).toMatch(/live account U2/);
    expect(accountMismatch('paper', [])).toMatch(/no account/);
  });
});

describe('IB errors', () => {
  it('maps known codes to kinds and trader words, and keeps IB’s text for unknown ones', () => {
    expect(fromIbError(201, 'Order rejected - reason:no margin')).toMatchObject({
      kind: 'order-rejected',
      ibCode: 201,
      message: 'IB rejected the order: Order rejected - reason:no margin',
    });
    expect(fromIbError(101, 'Max number of tickers')).toMatchObject({ kind: 'market-data-lines' });
    expect(fromIbError(326, 'x')).toMatchObject({ kind: 'client-id-in-use' });
    expect(fromIbError(4242, 'Something new')).toMatchObject({ kind: 'venue', message: 'IB error 4242: Something new' });
  });
});

describe('trading hours', () => {
  it('reads IB’s current and older formats in the contract’s zone, across DST', () => {
    const s = parseTradingHours('20261117:0930-20261117:1600;20261118:CLOSED', 'America/New_York');
    expect(s).toEqual([{ start: Date.UTC(2026, 10, 17, 14, 30), end: Date.UTC(2026, 10, 17, 21, 0) }]);
    const summer = parseTradingHours('20260715:0930-20260715:1600', 'America/New_York');
    expect(summer[0]?.start).toBe(Date.UTC(2026, 6, 15, 13, 30));
    const old = parseTradingHours('20261117:1700-1600,1700-2300', 'America/Chicago');
    expect(old).toHaveLength(2);
    expect(old[0]!.end - old[0]!.start).toBe(23 * 3_600_000);
  });

  it('knows open from closed, and says "unknown" outside the listed days', () => {
    const s = parseTradingHours('20261117:0930-20261117:1600', 'America/New_York');
    expect(isOpenAt(s, Date.UTC(2026, 10, 17, 15))).toBe(true);
    expect(isOpenAt(s, Date.UTC(2026, 10, 17, 22))).toBe(false);
    expect(isOpenAt(s, Date.UTC(2026, 11, 25))).toBeUndefined();
    expect(isOpenAt([], 0)).toBeUndefined();
  });
});
