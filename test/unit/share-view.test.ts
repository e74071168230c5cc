import { describe, expect, it } from 'vitest';
import { REDACTED_ACCOUNT } from '../../src/shared';
import { topicMatcher } from '../../src/shared/stream';
import { redactAccounts, viewOf } from '../../src/main/share';

describe('a viewer’s view of the stream', () => {
  it('lets through its scopes’ topics and venue.status, nothing else', () => {
    const market = topicMatcher(viewOf(['market']).topics)!;
    expect(['md.quote.265598', 'md.bar.265598', 'workspace', 'venue.status'].filter(market)).toHaveLength(4);
    expect(['order.abc', 'fill', 'position.265598', 'equity', 'risk.status', 'venue.alert', 'portfolio.discrepancy'].filter(market)).toEqual([]);
    const orders = topicMatcher(viewOf(['orders', 'pnl']).topics)!;
    expect(['order.abc', 'fill', 'equity', 'venue.status'].every(orders)).toBe(true);
    expect(['md.quote.1', 'position.1', 'risk.status'].some(orders)).toBe(false);
  });

  it('gives the same key to the same scopes in any order, and different keys to different scopes or redaction', () => {
    expect(viewOf(['pnl', 'market']).key).toBe(viewOf(['market', 'pnl', 'market']).key);
    expect(viewOf(['market']).key).not.toBe(viewOf(['market', 'account']).key);
    expect(viewOf(['market']).key).not.toBe(viewOf(['orders']).key);
  });

  it('redacts account ids wherever they appear, without the account scope only', () => {
    const status = { state: 'connected', accounts: ['DU1234567', 'DU7654321'], account: 'DU1234567', nested: { orders: [{ account: 'DU1234567', qty: 5 }] } };
    const redacted = viewOf(['market']).redact!('venue.status', status);
    expect(redacted).toEqual({ state: 'connected', accounts: [REDACTED_ACCOUNT, REDACTED_ACCOUNT], account: REDACTED_ACCOUNT, nested: { orders: [{ account: REDACTED_ACCOUNT, qty: 5 }] } });
    expect(JSON.stringify(redacted)).not.toContain('DU1234567');
    // The original payload (shared with the trader's own subscribers) is untouched.
    expect(status.account).toBe('DU1234567');
    expect(viewOf(['market', 'account']).redact).toBeUndefined();
    expect(redactAccounts(42)).toBe(42);
    expect(redactAccounts(null)).toBeNull();
  });
});
