// The share port's first line of defence: per remote address, how many connections are open and how
// fast new ones come. Checked as a TCP connection arrives, before any TLS work, so a flood costs little.
import type { Clock } from '../clock';

export interface AddressGateLimits {
  /** Open connections from one address at most. */
  readonly perAddress: number;
  /** New connections from one address per second at most. */
  readonly perSecond: number;
}

export type GateRefusal = 'address-limit' | 'rate-limit';

interface AddressState {
  open: number;
  /** Connections begun in the current one-second window, and when it began. */
  recent: number;
  windowStart: number;
}

/** Above this many addresses remembered, quiet ones are forgotten (a scan from many addresses stays bounded). */
const SWEEP_AT = 10_000;

export class AddressGate {
  private readonly addresses = new Map<string, AddressState>();

  constructor(
    private readonly limits: AddressGateLimits,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** Lets a connection in (counting it until `release`) or says why not. */
  admit(address: string): { ok: true } | { ok: false; reason: GateRefusal } {
    const now = this.clock.now();
    let state = this.addresses.get(address);
    if (!state) {
      if (this.addresses.size >= SWEEP_AT) this.sweep(now);
      state = { open: 0, recent: 0, windowStart: now };
      this.addresses.set(address, state);
    }
    if (now - state.windowStart >= 1_000) {
      state.windowStart = now;
      state.recent = 0;
    }
    if (state.recent >= this.limits.perSecond) return { ok: false, reason: 'rate-limit' };
    state.recent++;
    if (state.open >= this.limits.perAddress) return { ok: false, reason: 'address-limit' };
    state.open++;
    return { ok: true };
  }

  /** A connection `admit` let in has closed. */
  release(address: string): void {
    const state = this.addresses.get(address);
    if (!state) return;
    state.open = Math.max(0, state.open - 1);
    // Forget quiet addresses so a scan of many addresses does not grow the map for good.
    if (state.open === 0 && this.clock.now() - state.windowStart >= 1_000) this.addresses.delete(address);
  }

  private sweep(now: number): void {
    for (const [address, state] of this.addresses) if (state.open === 0 && now - state.windowStart >= 1_000) this.addresses.delete(address);
  }

  /** Open connections from an address. */
  openFrom(address: string): number {
    return this.addresses.get(address)?.open ?? 0;
  }

  /** Addresses remembered (open connections, or connections within the last second). */
  get size(): number {
    return this.addresses.size;
  }
}
