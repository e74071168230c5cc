// The share port's first line of defence: per remote address, how many connections are open and how
// fast new ones come, and how fast new ones come in all. Checked as a TCP connection arrives, before any
// TLS work, so a flood costs little. An IPv6 address counts by its /64 (one host holds a whole /64).
import type { Clock } from '../clock';

export interface AddressGateLimits {
  /** Open connections from one address at most. */
  readonly perAddress: number;
  /** New connections from one address per second at most. */
  readonly perSecond: number;
  /** New connections per second at most, from all addresses together. */
  readonly totalPerSecond: number;
}

export type GateRefusal = 'address-limit' | 'rate-limit' | 'busy' | 'full';

interface AddressState {
  open: number;
  /** Connections begun in the current one-second window, and when it began. */
  recent: number;
  windowStart: number;
}

/** Addresses remembered at most; past it a new address is refused until a sweep (once a second at most) makes room. */
const MAX_ADDRESSES = 10_000;

/** The peer's address as shown and counted: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 one. */
export function remoteAddress(raw: string | undefined): string {
  if (raw === undefined || raw === '') return '?';
  return raw.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/** What the gate counts an address under: an IPv4 address itself, an IPv6 one by its /64. */
export function addressKey(address: string): string {
  const ip = remoteAddress(address);
  if (!ip.includes(':')) return ip;
  const bare = (ip.split('%')[0] ?? '').toLowerCase();
  const [head = '', tail] = bare.split('::', 2);
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  // A dotted IPv4 tail holds two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const h = groupsOf(head);
  const t = tail === undefined ? [] : groupsOf(tail);
  const full = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - width(h) - width(t))).fill('0'), ...t];
  return `${full
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

export class AddressGate {
  private readonly addresses = new Map<string, AddressState>();
  private lastSweep = -Infinity;
  /** Connections let in during the current one-second window, from all addresses. */
  private total = { count: 0, windowStart: -Infinity };

  constructor(
    private readonly limits: AddressGateLimits,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** Lets a connection in (counting it until `release`) or says why not. */
  admit(address: string): { ok: true } | { ok: false; reason: GateRefusal } {
    const now = this.clock.now();
    const key = addressKey(address);
    let state = this.addresses.get(key);
    if (!state) {
      if (this.addresses.size >= MAX_ADDRESSES && now - this.lastSweep >= 1_000) this.sweep(now);
      if (this.addresses.size >= MAX_ADDRESSES) return { ok: false, reason: 'full' };
      state = { open: 0, recent: 0, windowStart: now };
      this.addresses.set(key, state);
    }
    if (now - state.windowStart >= 1_000) {
      state.windowStart = now;
      state.recent = 0;
    }
    if (state.recent >= this.limits.perSecond) return { ok: false, reason: 'rate-limit' };
    state.recent++;
    if (state.open >= this.limits.perAddress) return { ok: false, reason: 'address-limit' };
    if (now - this.total.windowStart >= 1_000) this.total = { count: 0, windowStart: now };
    if (this.total.count >= this.limits.totalPerSecond) return { ok: false, reason: 'busy' };
    this.total.count++;
    state.open++;
    return { ok: true };
  }

  /** A connection `admit` let in has closed. */
  release(address: string): void {
    const key = addressKey(address);
    const state = this.addresses.get(key);
    if (!state) return;
    state.open = Math.max(0, state.open - 1);
    // Forget quiet addresses so a scan of many addresses does not grow the map for good.
    if (state.open === 0 && this.clock.now() - state.windowStart >= 1_000) this.addresses.delete(key);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, state] of this.addresses) if (state.open === 0 && now - state.windowStart >= 1_000) this.addresses.delete(key);
  }

  /** Open connections from an address (its /64 for IPv6). */
  openFrom(address: string): number {
    return this.addresses.get(addressKey(address))?.open ?? 0;
  }

  /** Addresses remembered (open connections, or connections within the last second). */
  get size(): number {
    return this.addresses.size;
  }
}
