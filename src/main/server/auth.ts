import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The token of an `Authorization: Bearer` header. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/** The bearer token of an HTTP request: the `Authorization` header, or the `token` query parameter (for headless use; never on /stream). */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  if (req.headers.authorization !== undefined) return bearerToken(req);
  return url.searchParams.get('token') ?? undefined;
}

/** Constant-time comparison (hashing first makes the lengths equal). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
