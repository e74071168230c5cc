// What the share server needs from whoever issues viewer tokens: the desk's own ViewerTokens
// (tokens.ts) or, on a relay, a verifier with the public key only (next issue).
import type { ViewerScope } from '../../shared';

/** A token that verified: who the viewer is and what it may see, until when. */
export interface ViewerGrant {
  readonly ok: true;
  /** The token's id (JWT `jti`): what revocation names. */
  readonly id: string;
  readonly label: string;
  readonly scope: readonly ViewerScope[];
  /** Epoch ms. */
  readonly expiresAt: number;
}

/**
 * Why a token is refused; each has its close code (CLOSE.UNAUTHORIZED, TOKEN_EXPIRED, TOKEN_REVOKED, and
 * TRY_AGAIN_LATER for `catching-up`: a relay that has not yet read the revocations refuses for now, not for good).
 */
export interface ViewerRefusal {
  readonly ok: false;
  readonly code: 'unauthorized' | 'expired' | 'revoked' | 'catching-up';
  /** For the viewer and the logs; never contains the token. */
  readonly message: string;
}

export interface ViewerAuthority {
  /** Verifies signature, expiry and revocation, every time (each connect and resume). */
  verify(token: string): Promise<ViewerGrant | ViewerRefusal>;
  /** Whether a token id is revoked now (checked for open connections after onRevocation). */
  isRevoked(id: string): boolean;
  /**
   * Called soon (well within a second) after any token is revoked, whoever revoked it (this process,
   * the CLI while the desk runs). Returns the unsubscribe.
   */
  onRevocation(listener: () => void): () => void;
}
