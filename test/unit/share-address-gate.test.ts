import { describe, expect, it } from 'vitest';
import { AddressGate } from '../../src/main/share';

function gate(perAddress: number, perSecond: number) {
  let now = 1_000_000;
  const g = new AddressGate({ perAddress, perSecond }, { now: () => now });
  return { g, advance: (ms: number) => (now += ms) };
}

describe('the share port’s address gate', () => {
  it('refuses more new connections per second from one address than allowed, and lets them in the next second', () => {
    const { g, advance } = gate(100, 3);
    expect([1, 2, 3, 4].map(() => g.admit('10.0.0.1').ok)).toEqual([true, true, true, false]);
    expect(g.admit('10.0.0.1')).toEqual({ ok: false, reason: 'rate-limit' });
    // Another address is not held back by the first.
    expect(g.admit('10.0.0.2').ok).toBe(true);
    advance(1_000);
    expect(g.admit('10.0.0.1').ok).toBe(true);
  });

  it('refuses more open connections from one address than allowed until one closes', () => {
    const { g, advance } = gate(2, 100);
    expect(g.admit('10.0.0.1').ok).toBe(true);
    expect(g.admit('10.0.0.1').ok).toBe(true);
    expect(g.admit('10.0.0.1')).toEqual({ ok: false, reason: 'address-limit' });
    expect(g.openFrom('10.0.0.1')).toBe(2);
    g.release('10.0.0.1');
    expect(g.admit('10.0.0.1').ok).toBe(true);
    g.release('10.0.0.1');
    g.release('10.0.0.1');
    advance(1_000);
    g.release('10.0.0.1');
    expect(g.openFrom('10.0.0.1')).toBe(0);
    // Released and quiet: forgotten.
    expect(g.size).toBe(0);
  });

  it('stays bounded when many addresses come and go', () => {
    const { g, advance } = gate(5, 5);
    for (let i = 0; i < 30_000; i++) {
      const a = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
      g.admit(a);
      g.release(a);
      if (i % 1_000 === 999) advance(1_000);
    }
    expect(g.size).toBeLessThanOrEqual(10_001);
  });
});
