import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64url, decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SIGNING_KEY_FILE, verifyWithPublicKey, ViewerTokens, type ViewerTokensOptions } from '../../../src/main/share';
import { tempDir } from '../../support/fs';

async function open(dir: string, options?: ViewerTokensOptions): Promise<ViewerTokens> {
  const tokens = await ViewerTokens.open(dir, options);
  onTestFinished(() => tokens.close());
  return tokens;
}

const HOUR = 3_600_000;

describe('viewer tokens', () => {
  it('a created token verifies with its id, label, scope and expiry; its claims are the documented ones', async () => {
    const tokens = await open(tempDir());
    const made = await tokens.create({ scope: ['market', 'positions'], ttlMs: 8 * HOUR, label: 'Mentor' });
    const grant = await tokens.verify(made.token);
    expect(grant).toEqual({ ok: true, id: made.id, label: 'Mentor', scope: ['market', 'positions'], expiresAt: made.expiresAt });
    const claims = decodeJwt(made.token);
    expect(claims).toMatchObject({ jti: made.id, iss: 'dualdesk', aud: 'dualdesk-viewer', scope: 'market positions', label: 'Mentor' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(8 * 3600);
    // The relay's path: the public key alone verifies it.
    expect(await verifyWithPublicKey(made.token, tokens.publicKeyPem())).toMatchObject({ ok: true, id: made.id });
  });

  it('keeps the signing key owner-only and reuses it: a token verifies after reopening', async () => {
    const dir = tempDir();
    const first = await open(dir);
    const made = await first.create({ scope: ['market'], ttlMs: HOUR, label: 'a' });
    first.close();
    expect(statSync(join(dir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    const again = await open(dir);
    expect((await again.verify(made.token)).ok).toBe(true);
    expect(readFileSync(join(dir, 'share.db')).includes(made.token)).toBe(false);
  });

  it('an expired token is refused as expired, exactly at its exp', async () => {
    let now = Date.parse('2026-12-04T10:00:00Z');
    const tokens = await open(tempDir(), { now: () => now });
    const made = await tokens.create({ scope: ['market'], ttlMs: 60_000, label: 'short' });
    now += 59_999;
    expect((await tokens.verify(made.token)).ok).toBe(true);
    now += 1;
    expect(await tokens.verify(made.token)).toMatchObject({ ok: false, code: 'expired' });
  });

  it('a revoked token is refused as revoked; revoking again is harmless; an unknown id is an error', async () => {
    const tokens = await open(tempDir());
    const made = await tokens.create({ scope: ['market', 'orders'], ttlMs: HOUR, label: 'risk' });
    expect(tokens.isRevoked(made.id)).toBe(false);
    const revoked = tokens.revoke(made.id);
    expect(revoked.revokedAt).toBeTypeOf('number');
    expect(tokens.revoke(made.id).revokedAt).toBe(revoked.revokedAt);
    expect(tokens.isRevoked(made.id)).toBe(true);
    expect(await tokens.verify(made.token)).toMatchObject({ ok: false, code: 'revoked' });
    expect(() => tokens.revoke('no-such-id')).toThrow(/no viewer token has the id "no-such-id"/);
  });

  it("another install's token, a tampered payload, alg none and HS256 forged with the public key are unauthorized", async () => {
    const tokens = await open(tempDir());
    const other = await open(tempDir());
    const foreign = await other.create({ scope: ['market'], ttlMs: HOUR, label: 'x' });
    expect(await tokens.verify(foreign.token)).toMatchObject({ ok: false, code: 'unauthorized' });

    const made = await tokens.create({ scope: ['market'], ttlMs: HOUR, label: 'x' });
    const [h, , s] = made.token.split('.');
    const widened = base64url.encode(JSON.stringify({ ...decodeJwt(made.token), scope: 'market orders account' }));
    expect(await tokens.verify(`${h}.${widened}.${s}`)).toMatchObject({ ok: false, code: 'unauthorized' });

    const claims = { ...decodeJwt(made.token) };
    const none = new UnsecuredJWT(claims).encode();
    expect(await tokens.verify(none)).toMatchObject({ ok: false, code: 'unauthorized' });
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(tokens.publicKeyPem()));
    expect(await tokens.verify(hs)).toMatchObject({ ok: false, code: 'unauthorized' });

    for (const junk of ['', 'abc', 'a.b.c', 'x'.repeat(10_000)]) expect(await tokens.verify(junk)).toMatchObject({ ok: false, code: 'unauthorized' });
  });

  it('a validly signed token with an unknown scope is unauthorized (signed with the install key)', async () => {
    const dir = tempDir();
    const tokens = await open(dir);
    const privateKey = createPrivateKey(readFileSync(join(dir, SIGNING_KEY_FILE), 'utf8'));
    const forged = await new SignJWT({ scope: 'market trade', label: 'x' })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setJti('id-1')
      .setIssuedAt()
      .setExpirationTime('1h')
      .setIssuer('dualdesk')
      .setAudience('dualdesk-viewer')
      .sign(privateKey);
    expect(await tokens.verify(forged)).toMatchObject({ ok: false, code: 'unauthorized' });
  });

  it('refuses bad scopes, lifetimes and labels with clear errors', async () => {
    const tokens = await open(tempDir());
    const ok = { scope: ['market'] as const, ttlMs: HOUR, label: 'ok' };
    await expect(tokens.create({ ...ok, scope: [] })).rejects.toThrow(/scope/);
    await expect(tokens.create({ ...ok, scope: ['account'] })).rejects.toThrow(/besides account/);
    await expect(tokens.create({ ...ok, scope: ['market', 'trade' as 'market'] })).rejects.toThrow(/scope/);
    await expect(tokens.create({ ...ok, scope: ['market', 'market'] })).rejects.toThrow(/scope/);
    await expect(tokens.create({ ...ok, ttlMs: 59_999 })).rejects.toThrow(/1 minute to 30 days/);
    await expect(tokens.create({ ...ok, ttlMs: 30 * 24 * HOUR + 1 })).rejects.toThrow(/1 minute to 30 days/);
    await expect(tokens.create({ ...ok, label: '' })).rejects.toThrow(/label/);
    await expect(tokens.create({ ...ok, label: 'x'.repeat(65) })).rejects.toThrow(/label/);
    await expect(tokens.create({ ...ok, label: 'a\nb' })).rejects.toThrow(/label/);
    expect(tokens.list()).toEqual([]);
  });

  it('lists newest first, expired ones for a week, never the token', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const tokens = await open(tempDir(), { now: () => now });
    const old = await tokens.create({ scope: ['market'], ttlMs: HOUR, label: 'old' });
    now += 1000;
    const recent = await tokens.create({ scope: ['pnl', 'account'], ttlMs: HOUR, label: 'recent' });
    expect(tokens.list().map((t) => t.id)).toEqual([recent.id, old.id]);
    expect(JSON.stringify(tokens.list())).not.toContain(old.token);
    now += 7 * 24 * HOUR + HOUR - 500;
    expect(tokens.list().map((t) => t.id)).toEqual([recent.id]);
  });

  it('a damaged key file is an error saying what to do, not a new key', async () => {
    const dir = tempDir();
    (await open(dir)).close();
    writeFileSync(join(dir, SIGNING_KEY_FILE), '-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n');
    await expect(ViewerTokens.open(dir)).rejects.toThrow(/damaged.*restore it from a backup, or delete it/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(dir, SIGNING_KEY_FILE), rsa);
    await expect(ViewerTokens.open(dir)).rejects.toThrow(/not Ed25519/);
  });

  it("a revoke by a second instance on the same data dir (the CLI's way) fires the first's onRevocation within the poll", async () => {
    const dir = tempDir();
    const desk = await open(dir, { pollMs: 20 });
    const made = await desk.create({ scope: ['market'], ttlMs: HOUR, label: 'viewer' });
    let revokedSeen = false;
    const fired = new Promise<void>((resolve) => {
      const off = desk.onRevocation(() => {
        if (!desk.isRevoked(made.id)) return;
        revokedSeen = true;
        off();
        resolve();
      });
    });
    const cli = await open(dir);
    cli.revoke(made.id);
    cli.close();
    await fired;
    expect(revokedSeen).toBe(true);
    expect(await desk.verify(made.token)).toMatchObject({ ok: false, code: 'revoked' });
  });

  it('a revoke in the same instance calls its listeners at once', async () => {
    const tokens = await open(tempDir());
    const made = await tokens.create({ scope: ['market'], ttlMs: HOUR, label: 'v' });
    let calls = 0;
    tokens.onRevocation(() => calls++);
    tokens.revoke(made.id);
    expect(calls).toBe(1);
  });
});
