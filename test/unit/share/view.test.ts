import { describe, expect, it } from 'vitest';
import { REDACTED_ACCOUNT, type VenueStatus } from '../../../src/shared';
import { topicMatcher } from '../../../src/shared/stream';
import { redactAccounts, viewOf } from '../../../src/main/share';
import { CON_ID } from '../../support/fixtures';

const MULTI_ACCOUNT_STATUS: VenueStatus = {
  state: 'connected',
  since: 1_700_000_000_000,
  mode: 'paper',
  host: 'gw.internal.example',
  port: 4002,
  clientId: 917,
  accounts: ['DU1234567', 'DU7654321'],
  synced: true,
  armed: false,
  trading: { allowed: false, reason: 'This login has several accounts (DU1234567, DU7654321): choose one in venue.account' },
  attempts: 3,
  nextAttemptAt: 1_700_000_005_000,
  lastError: 'connect ECONNREFUSED gw.internal.example:4002',
};

/** Every field of the status that must not reach a viewer, as text. */
const SECRETS = ['DU1234567', 'DU7654321', 'gw.internal.example', '4002', '917', 'several accounts', 'ECONNREFUSED'];

describe('a viewer’s view of the stream', () => {
  it('lets through its scopes’ topics and venue.status, nothing else', () => {
    const market = topicMatcher(viewOf(['market']).topics)!;
    expect(['md.quote.265598', 'md.bar.265598', 'md.history.1m.AAPL', 'workspace', 'venue.status'].filter(market)).toHaveLength(5);
    expect(['order.abc', 'fill', 'position.265598', 'equity', 'risk.status', 'venue.alert', 'portfolio.discrepancy'].filter(market)).toEqual([]);
    const orders = topicMatcher(viewOf(['orders', 'pnl']).topics)!;
    expect(['order.abc', 'fill', 'equity', 'venue.status'].every(orders)).toBe(true);
    expect(['md.quote.1', 'md.history.1m.AAPL', 'position.1', 'risk.status'].some(orders)).toBe(false);
  });

  it('gives the same key to the same scopes in any order, and different keys to different scopes or redaction', () => {
    expect(viewOf(['pnl', 'market']).key).toBe(viewOf(['market', 'pnl', 'market']).key);
    expect(viewOf(['market']).key).not.toBe(viewOf(['market', 'account']).key);
    expect(viewOf(['market']).key).not.toBe(viewOf(['orders']).key);
  });

  it('redacts account ids wherever they appear, without the account scope only', () => {
    const order = { id: 'abc', account: 'DU1234567', nested: { fills: [{ account: 'DU1234567', qty: 5, accounts: ['DU1', 'DU2'] }] } };
    const redacted = viewOf(['orders']).redact!('order.abc', order);
    expect(redacted).toEqual({ id: 'abc', account: REDACTED_ACCOUNT, nested: { fills: [{ account: REDACTED_ACCOUNT, qty: 5, accounts: [REDACTED_ACCOUNT, REDACTED_ACCOUNT] }] } });
    // The original payload (shared with the trader's own subscribers) is untouched.
    expect(order.account).toBe('DU1234567');
    expect(viewOf(['orders', 'account']).redact!('order.abc', order)).toEqual(order);
    expect(redactAccounts(42)).toBe(42);
    expect(redactAccounts(null)).toBeNull();
  });

  it('shows every viewer only whether the venue is live: no account ids, gateway, client id or free text, even with `account`', () => {
    for (const scope of [['market'], ['orders', 'positions', 'pnl', 'alerts'], ['market', 'account']] as const) {
      const seen = viewOf(scope).redact!('venue.status', MULTI_ACCOUNT_STATUS);
      const text = JSON.stringify(seen);
      for (const secret of SECRETS) expect(text, `${scope.join('+')} sees ${secret}`).not.toContain(secret);
      expect(seen).toMatchObject({ state: 'connected', since: MULTI_ACCOUNT_STATUS.since, mode: 'paper', synced: true, trading: { allowed: false } });
      expect(Object.keys(seen as object).sort()).toEqual(['mode', 'since', 'state', 'synced', 'trading']);
    }
    // The account orders go to: its id with `account`, a mask without.
    const single = { ...MULTI_ACCOUNT_STATUS, accounts: ['DU1234567'], account: 'DU1234567' };
    expect(viewOf(['market', 'account']).redact!('venue.status', single)).toMatchObject({ account: 'DU1234567' });
    expect(viewOf(['market']).redact!('venue.status', single)).toMatchObject({ account: REDACTED_ACCOUNT });
    expect(JSON.stringify(viewOf(['market']).redact!('venue.status', single))).not.toContain('DU1234567');
  });
});

describe('scopes do not leak into each other', () => {
  it('lists the risk topics one by one: an alerts viewer sees the alerts, not what other scopes cover', () => {
    const alerts = topicMatcher(viewOf(['alerts']).topics)!;
    expect(['risk.alert', 'risk.state', 'risk.challenge', 'risk.killswitch', 'venue.alert'].every(alerts)).toBe(true);
    expect(['risk.something.new', 'risk.limits', 'portfolio.discrepancy', 'equity', 'position.1'].some(alerts)).toBe(false);
  });

  it('hides the kill switch’s remaining positions without `positions`', () => {
    const progress = {
      phase: 'waiting',
      reason: 'daily loss',
      message: 'kill switch: waiting for the venue — 10 AAPL still held',
      remaining: [{ conId: CON_ID.AAPL, symbol: 'AAPL', quantity: 10 }],
      attempt: 1,
      at: 5,
    };
    const alerts = viewOf(['alerts']).redact!('risk.killswitch', progress);
    expect(alerts).toMatchObject({ phase: 'waiting', reason: 'daily loss', attempt: 1, at: 5 });
    expect(alerts).not.toHaveProperty('remaining');
    expect(JSON.stringify(alerts)).not.toContain('AAPL');
    expect(viewOf(['alerts', 'positions']).redact!('risk.killswitch', progress)).toEqual(progress);
  });

  it('hides the challenge’s equity figures without `pnl`', () => {
    const change = { previous: 'ACTIVE', status: 'FAILED', reason: 'MAX_DRAWDOWN', startEquity: 100_000, equity: 91_234.5, at: 7 };
    const alerts = viewOf(['alerts']).redact!('risk.challenge', change);
    expect(alerts).toEqual({ previous: 'ACTIVE', status: 'FAILED', reason: 'MAX_DRAWDOWN', at: 7 });
    expect(viewOf(['alerts', 'pnl']).redact!('risk.challenge', change)).toEqual(change);
  });

  it('withholds a venue order warning (order id and ref) without `orders`, and lets other venue alerts through', () => {
    const warning = { kind: 'order-warning', orderId: 42, orderRef: 'dd-abc', code: 399, message: 'Order 42 will not be placed at the exchange until 09:30' };
    expect(viewOf(['alerts']).redact!('venue.alert', warning)).toBeNull();
    expect(viewOf(['alerts', 'orders']).redact!('venue.alert', warning)).toEqual(warning);
    const stale = { kind: 'stale-feed', conId: 1, symbol: 'AAPL', feed: 'quotes', silentMs: 5_000 };
    expect(viewOf(['alerts']).redact!('venue.alert', stale)).toEqual(stale);
  });

  it('sends position discrepancies to `positions` and equity or cash ones to `pnl` only', () => {
    const position = {
      kind: 'position',
      conId: 1,
      symbol: 'AAPL',
      desk: 10,
      venue: 12,
      difference: 2,
      action: 'held',
      source: 'resync',
      at: 1,
      message: 'AAPL: 10 here, 12 at the venue',
    };
    const equity = {
      kind: 'equity',
      desk: 100_000,
      venue: 98_500,
      difference: -1_500,
      tolerance: 100,
      currency: 'USD',
      action: 'flagged',
      source: 'account-update',
      at: 1,
      message: 'equity differs',
    };
    const cash = { ...equity, kind: 'cash' };
    expect(topicMatcher(viewOf(['pnl']).topics)!('portfolio.discrepancy')).toBe(true);
    expect(viewOf(['positions']).redact!('portfolio.discrepancy', position)).toEqual(position);
    expect(viewOf(['positions']).redact!('portfolio.discrepancy', equity)).toBeNull();
    expect(viewOf(['positions']).redact!('portfolio.discrepancy', cash)).toBeNull();
    expect(viewOf(['pnl']).redact!('portfolio.discrepancy', equity)).toEqual(equity);
    expect(viewOf(['pnl']).redact!('portfolio.discrepancy', position)).toBeNull();
    expect(viewOf(['positions', 'pnl']).redact!('portfolio.discrepancy', cash)).toEqual(cash);
  });
});
