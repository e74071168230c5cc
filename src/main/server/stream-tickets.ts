import { randomBytes } from 'node:crypto';
import type { StreamTicketGrant } from '../../shared/stream';

/** At most this many unredeemed tickets are kept; the oldest goes first (a page asks for one per connect). */
const MAX_OUTSTANDING = 256;

/**
 * Single-use, short-lived tickets that open the stream in place of the control token (which must
 * never travel in a URL). They live in this server's memory: a restarted server knows none of them.
 */
export class StreamTickets {
  // Unredeemed tickets and when each expires (ms), oldest first.
  private readonly outstanding = new Map<string, number>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(): StreamTicketGrant {
    this.sweep();
    while (this.outstanding.size >= MAX_OUTSTANDING) {
      const oldest = this.outstanding.keys().next().value;
      if (oldest === undefined) break;
      this.outstanding.delete(oldest);
    }
    const ticket = randomBytes(32).toString('base64url');
    this.outstanding.set(ticket, this.now() + this.ttlMs);
    return { ticket, expiresInMs: this.ttlMs };
  }

  /** True once for a ticket issued here and not yet expired; it is gone after the first try either way. */
  redeem(ticket: string | undefined): boolean {
    if (ticket === undefined) return false;
    const expires = this.outstanding.get(ticket);
    this.outstanding.delete(ticket);
    return expires !== undefined && this.now() < expires;
  }

  private sweep(): void {
    const now = this.now();
    for (const [t, expires] of this.outstanding) if (expires <= now) this.outstanding.delete(t);
  }
}
