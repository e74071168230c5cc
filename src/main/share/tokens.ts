// The desk's viewer tokens: the per-install Ed25519 signing key, minting, verifying, and the register
// (share.db) that lists and revokes them. The register never holds a token, only what it granted.
import { createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import type { ViewerScope, ViewerToken } from '../../shared';
import type { ViewerAuthority, ViewerGrant, ViewerRefusal } from './grant';
import type { RevocationList } from './relay-authority';
import { isViewerScopeList, TOKEN_AUDIENCE, TOKEN_ISSUER, verifyWithPublicKey } from './verify';

export const SIGNING_KEY_FILE = 'share-signing-key.pem';
export const TOKEN_REGISTER_FILE = 'share.db';

export const MIN_TOKEN_TTL_MS = 60_000;
export const MAX_TOKEN_TTL_MS = 30 * 24 * 3_600_000;
export const MAX_LABEL_LENGTH = 64;
/** How long `list()` keeps showing expired tokens. */
const EXPIRED_LISTED_MS = 7 * 24 * 3_600_000;
const DEFAULT_POLL_MS = 200;
/** The CLI and the desk share the register: a writer waits for the other rather than failing. */
const BUSY_TIMEOUT_MS = 5_000;

/** A request the issuer refuses (bad scope, ttl or label, unknown id): the caller's mistake, said plainly. */
export class ViewerTokenError extends Error {
  override readonly name = 'ViewerTokenError';
}

export interface ViewerTokensOptions {
  /** Epoch ms; tests move time with it. */
  readonly now?: () => number;
  /** How often to look for revocations committed by another process, while someone listens. */
  readonly pollMs?: number;
}

export interface CreateViewerToken {
  readonly scope: readonly ViewerScope[];
  readonly ttlMs: number;
  readonly label: string;
}

export interface MintedViewerToken {
  readonly id: string;
  /** The JWT: shown once, never stored. */
  readonly token: string;
  readonly scope: readonly ViewerScope[];
  /** Epoch ms. */
  readonly expiresAt: number;
}

interface TokenRow {
  id: string;
  label: string;
  scope: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/**
 * Issues and checks viewer tokens. A validly signed token the register does not know (the register
 * was deleted) is still valid until it expires: the signature is the authority, as on a relay, which
 * has no register; only a revocation recorded here refuses it.
 */
export class ViewerTokens implements ViewerAuthority {
  private readonly listeners = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;
  private dataVersion = 0;
  private closed = false;

  private constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly privateKey: KeyObject,
    private readonly publicPem: string,
    private readonly now: () => number,
    private readonly pollMs: number,
  ) {}

  /** Opens (creating on first use) the signing key and the register in `dataDir`. */
  static async open(dataDir: string, options: ViewerTokensOptions = {}): Promise<ViewerTokens> {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const privateKey = await loadOrCreateSigningKey(join(dataDir, SIGNING_KEY_FILE));
    const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    const db = openRegister(join(dataDir, TOKEN_REGISTER_FILE));
    const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    if (!Number.isFinite(pollMs) || pollMs < 1) throw new RangeError('pollMs must be at least 1');
    return new ViewerTokens(db, privateKey, publicPem, options.now ?? Date.now, pollMs);
  }

  async create({ scope, ttlMs, label }: CreateViewerToken): Promise<MintedViewerToken> {
    this.assertOpen();
    if (!Array.isArray(scope) || !isViewerScopeList(scope)) {
      throw new ViewerTokenError(`scope must name each of ${VIEWER_SCOPE_WORDS} at most once, with at least one besides account`);
    }
    if (!Number.isInteger(ttlMs) || ttlMs < MIN_TOKEN_TTL_MS || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new ViewerTokenError('a token lives from 1 minute to 30 days');
    }
    if (!isViewerTokenLabel(label)) {
      throw new ViewerTokenError(`label must be 1 to ${MAX_LABEL_LENGTH} printable characters`);
    }
    const id = randomUUID();
    const now = this.now();
    const iat = Math.floor(now / 1000);
    const exp = Math.floor((now + ttlMs) / 1000);
    const token = await new SignJWT({ scope: scope.join(' '), label })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setJti(id)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .sign(this.privateKey);
    this.db.prepare('INSERT INTO viewer_tokens (id, label, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(id, label, scope.join(' '), now, exp * 1000);
    return { id, token, scope: [...scope], expiresAt: exp * 1000 };
  }

  async verify(token: string): Promise<ViewerGrant | ViewerRefusal> {
    this.assertOpen();
    const result = await verifyWithPublicKey(token, this.publicPem, this.now());
    if (result.ok && this.isRevoked(result.id)) return { ok: false, code: 'revoked', message: 'the viewer token was revoked' };
    return result;
  }

  /** Newest first; expired tokens stay listed for a week. */
  list(): ViewerToken[] {
    this.assertOpen();
    const rows = this.db.prepare<[number], TokenRow>('SELECT * FROM viewer_tokens WHERE expires_at > ? ORDER BY created_at DESC, rowid DESC').all(this.now() - EXPIRED_LISTED_MS);
    return rows.map(toViewerToken);
  }

  /** Revokes a token; revoking it again changes nothing. Returns it as the register now holds it. */
  revoke(id: string): ViewerToken {
    this.assertOpen();
    const row = this.db.prepare<[string], TokenRow>('SELECT * FROM viewer_tokens WHERE id = ?').get(id);
    if (!row) throw new ViewerTokenError(`no viewer token has the id ${JSON.stringify(id)} (dualdesk token list shows them)`);
    if (row.revoked_at === null) {
      row.revoked_at = this.now();
      this.db.prepare('UPDATE viewer_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(row.revoked_at, id);
      // data_version only moves for other connections' commits: tell this process's listeners here.
      this.notify();
    }
    return toViewerToken(row);
  }

  /** Every revoked token not yet expired, for relays (published on the stream as share.revocations). */
  revocations(): RevocationList {
    this.assertOpen();
    const rows = this.db
      .prepare<[number], { id: string; expires_at: number }>('SELECT id, expires_at FROM viewer_tokens WHERE revoked_at IS NOT NULL AND expires_at > ? ORDER BY expires_at, id')
      .all(this.now());
    return { revoked: rows.map((r) => ({ id: r.id, expiresAt: r.expires_at })) };
  }

  isRevoked(id: string): boolean {
    this.assertOpen();
    return this.db.prepare<[string], { revoked: number }>('SELECT 1 AS revoked FROM viewer_tokens WHERE id = ? AND revoked_at IS NOT NULL').get(id) !== undefined;
  }

  /**
   * Calls `listener` after any revocation, here or by another process (the CLI): while anyone listens,
   * the register's data_version is polled every pollMs. Other changes (a token created) may call it too.
   */
  onRevocation(listener: () => void): () => void {
    this.assertOpen();
    this.listeners.add(listener);
    if (!this.poller) {
      this.dataVersion = this.readDataVersion();
      this.poller = setInterval(() => this.poll(), this.pollMs);
      this.poller.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  /** The SPKI PEM that verifies this desk's tokens (for relays). */
  publicKeyPem(): string {
    return this.publicPem;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.stopPolling();
    this.db.close();
  }

  private poll(): void {
    if (this.closed) return;
    let version: number;
    try {
      version = this.readDataVersion();
    } catch {
      // A busy register answers next time.
      return;
    }
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    this.notify();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // One listener's failure must not keep the others from closing revoked viewers.
      }
    }
  }

  private readDataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the viewer token register is closed');
  }
}

/** 1 to 64 printable characters (letters, digits, punctuation, symbols, spaces). */
export function isViewerTokenLabel(label: unknown): label is string {
  return typeof label === 'string' && label.length >= 1 && label.length <= MAX_LABEL_LENGTH && /^[\p{L}\p{N}\p{P}\p{S} ]+$/u.test(label);
}

const VIEWER_SCOPE_WORDS = 'market, positions, orders, pnl, alerts, account';

function toViewerToken(row: TokenRow): ViewerToken {
  return {
    id: row.id,
    label: row.label,
    scope: row.scope.split(' ') as ViewerScope[],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.revoked_at === null ? {} : { revokedAt: row.revoked_at }),
  };
}

function openRegister(file: string): BetterSqlite3.Database {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE IF NOT EXISTS viewer_tokens (
      id TEXT PRIMARY KEY,
      label TEXT NOT NULL,
      scope TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER
    )`);
    chmodSync(file, 0o600);
    return db;
  } catch (err) {
    db?.close();
    throw new Error(`cannot open the viewer token register ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads the signing key, or makes one on first use. A damaged key is an error, never silently replaced:
 * a new key would invalidate every token handed out.
 */
async function loadOrCreateSigningKey(file: string): Promise<KeyObject> {
  let pem: string | undefined;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the viewer-token signing key ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (pem === undefined) pem = await createSigningKey(file);
  if ((statSync(file).mode & 0o777) !== 0o600) chmodSync(file, 0o600);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw damaged(file, 'it does not hold a private key in PEM form');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw damaged(file, `it holds an ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return key;
}

function damaged(file: string, why: string): Error {
  return new Error(
    `the viewer-token signing key ${file} is damaged (${why}): restore it from a backup, or delete it to have a new key made (every viewer token issued so far then stops working)`,
  );
}

/** Writes a new key beside the file and links it into place: if another process got there first, its key wins. */
async function createSigningKey(file: string): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pem = await exportPKCS8(privateKey);
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    // The key must survive a crash once a token signed with it has been handed out.
    const dir = openSync(dirname(file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFileSync(file, 'utf8');
  } finally {
    unlinkSync(tmp);
  }
}
