import { describe, expect, it } from 'vitest';
import { AddressGate, addressKey, remoteAddress } from '../../../src/main/share';

function gate(perAddress: number, perSecond: number, totalPerSecond = 1_000_000) {
  let now = 1_000_000;
  const g = new AddressGate({ perAddress, perSecond, totalPerSecond }, { now: () => now });
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

  it('stays bounded and cheap when more than 10,000 new addresses come within one second: new ones are refused while full', () => {
    const { g, advance } = gate(5, 5);
    const verdicts = new Map<string, number>();
    for (let i = 0; i < 25_000; i++) {
      const v = g.admit(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
      const key = v.ok ? 'ok' : v.reason;
      verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
      expect(g.size).toBeLessThanOrEqual(10_000);
    }
    expect(verdicts.get('ok')).toBe(10_000);
    expect(verdicts.get('full')).toBe(15_000);
    // Known addresses still get in while full.
    expect(g.admit('10.0.0.7').ok).toBe(true);
    // A second later the quiet ones (none closed here: all still open) are kept; closed ones are forgotten.
    for (let i = 0; i < 5_000; i++) g.release(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    advance(1_000);
    expect(g.admit('192.168.1.1').ok).toBe(true);
    expect(g.size).toBeLessThanOrEqual(10_000);
  });

  it('refuses new connections past a total per second, whatever their address', () => {
    const { g, advance } = gate(100, 100, 3);
    expect(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((a) => g.admit(a))).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: false, reason: 'busy' }]);
    advance(1_000);
    expect(g.admit('10.0.0.4').ok).toBe(true);
  });

  it('counts an IPv6 /64 as one address, and an IPv4-mapped address as its IPv4 one', () => {
    const { g } = gate(2, 100);
    expect(g.admit('2001:db8:1:2::1').ok).toBe(true);
    expect(g.admit('2001:db8:1:2:ffff:ffff:ffff:5').ok).toBe(true);
    expect(g.admit('2001:0db8:0001:0002:abcd::9')).toEqual({ ok: false, reason: 'address-limit' });
    expect(g.admit('2001:db8:1:3::1').ok).toBe(true);
    expect(g.admit('::ffff:10.0.0.1').ok).toBe(true);
    expect(g.admit('10.0.0.1').ok).toBe(true);
    expect(g.admit('10.0.0.1')).toEqual({ ok: false, reason: 'address-limit' });
    expect(addressKey('2001:db8:1:2::1')).toBe(addressKey('2001:db8:1:2:0:0:0:7%eth0'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(remoteAddress('::ffff:192.0.2.5')).toBe('192.0.2.5');
    expect(remoteAddress(undefined)).toBe('?');
    expect(addressKey(remoteAddress('::ffff:192.0.2.5'))).toBe('192.0.2.5');
  });
});
