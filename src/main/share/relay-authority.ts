// A relay's authority over viewer tokens: the desk's public key for signatures, and the revocations
// the desk publishes on its stream (share.revocations). A relay cannot mint, and until it has read its
// stream to the head it does not know every revocation, so it admits no one (fails closed).
import { z } from 'zod';
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { ViewerAuthority, ViewerGrant, ViewerRefusal } from './grant';
import { publicKeyFromPem, verifyWithPublicKey } from './verify';

/** The stream topic carrying revocations; no viewer scope ever includes it (a control topic). */
export const REVOCATIONS_TOPIC = 'share.revocations';

/** The data of a share.revocations message: every revoked token not yet expired, the full list each time. */
export interface RevocationList {
  readonly revoked: readonly { readonly id: string; readonly expiresAt: number }[];
}

/** Far above any desk's revocations (each token lives 30 days at most); a longer list is refused unread. */
const MAX_REVOKED = 100_000;
/** Token ids are UUIDs (36 characters); room for another issuer's ids, not for a flood. */
const MAX_ID_LENGTH = 200;

const RevocationListSchema = z.object({
  revoked: z.array(z.object({ id: z.string().min(1).max(MAX_ID_LENGTH), expiresAt: z.number().int().nonnegative() })).max(MAX_REVOKED),
});

/** The list, or undefined when the data is not one. */
export function parseRevocationList(data: unknown): RevocationList | undefined {
  const parsed = RevocationListSchema.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

export interface RelayAuthorityOptions {
  /** The desk's viewer-token public key (`dualdesk token public-key`), SPKI PEM. */
  readonly publicKeyPem: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class RelayAuthority implements ViewerAuthority {
  private readonly publicKeyPem: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  /** Token id → its expiry (epoch ms). */
  private revoked = new Map<string, number>();
  private current = false;
  private readonly listeners = new Set<() => void>();

  constructor(options: RelayAuthorityOptions) {
    // A bad key is a start failure, not a refusal of every viewer later.
    publicKeyFromPem(options.publicKeyPem);
    this.publicKeyPem = options.publicKeyPem;
    this.clock = options.clock;
    this.logger = options.logger;
  }

  /** The latest share.revocations data: replaces the set; listeners told (onRevocation) when an id is newly revoked. A bad list is logged and ignored. */
  apply(data: unknown): void {
    const list = parseRevocationList(data);
    if (!list) {
      this.logger.warn({ topic: REVOCATIONS_TOPIC }, 'ignored a revocation list that is not one; the previous list stands');
      return;
    }
    const now = this.clock.now();
    const next = new Map<string, number>();
    // An expired token is refused as expired anyway: no need to remember it.
    for (const { id, expiresAt } of list.revoked) if (expiresAt > now) next.set(id, expiresAt);
    const newly = [...next.keys()].filter((id) => !this.revoked.has(id));
    this.revoked = next;
    for (let i = 0; i < newly.length; i++) this.notify();
  }

  /** Whether revocations are known: the relay has read its stream to the head. Until then verify refuses every token (fails closed). */
  setCurrent(current: boolean): void {
    this.current = current;
  }

  async verify(token: string): Promise<ViewerGrant | ViewerRefusal> {
    const result = await verifyWithPublicKey(token, this.publicKeyPem, this.clock.now());
    if (!result.ok) return result;
    if (!this.current) return { ok: false, code: 'catching-up', message: 'the relay is catching up; try again shortly' };
    if (this.isRevoked(result.id)) return { ok: false, code: 'revoked', message: 'the viewer token was revoked' };
    return result;
  }

  isRevoked(id: string): boolean {
    return this.revoked.has(id);
  }

  onRevocation(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        // One listener's failure must not keep the others from closing revoked viewers.
        this.logger.warn({ err }, 'a revocation listener failed');
      }
    }
  }
}
