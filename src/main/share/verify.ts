// Verifying a viewer token with the public key alone: what the desk does on every connect and resume,
// and what a relay (next issue) does without being able to mint.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { VIEWER_SCOPES, type ViewerScope } from '../../shared';
import type { ViewerGrant, ViewerRefusal } from './grant';

export const TOKEN_ISSUER = 'dualdesk';
export const TOKEN_AUDIENCE = 'dualdesk-viewer';
/** Far above any token this desk mints (~400 characters): a longer one is refused unread. */
const MAX_TOKEN_LENGTH = 4096;

const publicKeys = new Map<string, KeyObject>();

/** The public key from its SPKI PEM; a bad PEM is the caller's configuration error (thrown). */
export function publicKeyFromPem(publicKeyPem: string): KeyObject {
  let key = publicKeys.get(publicKeyPem);
  if (key) return key;
  try {
    key = createPublicKey(publicKeyPem);
  } catch (err) {
    throw new Error(`not a public key in PEM form: ${(err as Error).message}`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the viewer-token public key must be Ed25519, not ${key.asymmetricKeyType ?? 'unknown'}`);
  // A process verifies against one key or two: the cache stays tiny.
  if (publicKeys.size > 16) publicKeys.clear();
  publicKeys.set(publicKeyPem, key);
  return key;
}

/** The scope claim (space-separated, OAuth style) as a list, or undefined when it is not a valid one. */
export function parseScopeClaim(value: unknown): ViewerScope[] | undefined {
  if (typeof value !== 'string') return undefined;
  const scope = value.split(' ');
  if (!isViewerScopeList(scope)) return undefined;
  return scope;
}

/** A non-empty list of known scopes, no repeats, with at least one that shows something beyond the account id. */
export function isViewerScopeList(scope: readonly string[]): scope is ViewerScope[] {
  return scope.length > 0 && new Set(scope).size === scope.length && scope.every((s) => (VIEWER_SCOPES as readonly string[]).includes(s)) && scope.some((s) => s !== 'account');
}

const refuse = (code: ViewerRefusal['code'], message: string): ViewerRefusal => ({ ok: false, code, message });

/**
 * Signature (EdDSA only), issuer, audience and expiry (no tolerance); not revocation, which only the
 * desk's register knows. `now` is epoch ms.
 */
export async function verifyWithPublicKey(token: string, publicKeyPem: string, now: number = Date.now()): Promise<ViewerGrant | ViewerRefusal> {
  const key = publicKeyFromPem(publicKeyPem);
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return refuse('unauthorized', 'no valid viewer token');
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['EdDSA'],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      clockTolerance: 0,
      currentDate: new Date(now),
      requiredClaims: ['jti', 'exp', 'iat'],
    }));
  } catch (err) {
    // jose checks the signature before the claims: an expired token was signed by this key.
    if (err instanceof errors.JWTExpired) return refuse('expired', 'the viewer token has expired');
    return refuse('unauthorized', 'the viewer token is not valid for this desk');
  }
  const scope = parseScopeClaim(payload['scope']);
  const label = payload['label'];
  const { jti, exp } = payload;
  if (!scope || typeof label !== 'string' || typeof jti !== 'string' || jti === '' || typeof exp !== 'number') {
    return refuse('unauthorized', 'the viewer token is not valid for this desk');
  }
  return { ok: true, id: jti, label, scope, expiresAt: exp * 1000 };
}
