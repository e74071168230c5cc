// `dualdesk token …`: viewer tokens from the command line, whether or not the desk runs (the register
// is SQLite in WAL mode; a running desk sees a revocation within its poll). Tokens are shown once, never logged.
import { InvalidArgumentError } from 'commander';
import { VIEWER_SCOPES, type CreatedViewerToken, type ViewerScope, type ViewerToken } from '../../shared';
import { loadConfig, type DeskConfig } from '../app';
import { isViewerScopeList, isViewerTokenLabel, MAX_TOKEN_TTL_MS, MIN_TOKEN_TTL_MS, viewerLink, ViewerTokens } from '../share';
import type { CliIo } from './io';

export interface TokenDirOptions {
  readonly dataDir?: string;
  readonly config?: string;
}

export interface TokenCreateOptions extends TokenDirOptions {
  readonly scope: ViewerScope[];
  readonly ttl: number;
  readonly label: string;
  readonly json?: boolean;
}

export interface TokenListOptions extends TokenDirOptions {
  readonly json?: boolean;
}

const TTL_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--ttl 30m | 8h | 7d`: minutes, hours or days (a unit is required), from 1 minute to 30 days. */
export function parseTtl(value: string): number {
  const m = /^\s*(\d{1,6})\s*([mhd])\s*$/.exec(value);
  const ms = m ? Number(m[1]) * (TTL_UNITS[m[2] as string] as number) : NaN;
  if (!(ms >= MIN_TOKEN_TTL_MS && ms <= MAX_TOKEN_TTL_MS)) throw new InvalidArgumentError('must be a duration such as 30m, 8h or 7d, from 1m to 30d.');
  return ms;
}

/** `--scope market,positions`: the viewer's scopes, at least one besides account. */
export function parseScope(value: string): ViewerScope[] {
  const scope = value.split(',').map((s) => s.trim());
  if (!isViewerScopeList(scope)) {
    throw new InvalidArgumentError(`must be comma-separated scopes from ${VIEWER_SCOPES.join(',')}, each once, at least one besides account.`);
  }
  return scope;
}

/** `--label NAME`: who the token is for, as the share dialog and `token list` show it. */
export function parseLabel(value: string): string {
  if (!isViewerTokenLabel(value)) throw new InvalidArgumentError('must be 1 to 64 printable characters.');
  return value;
}

function deskConfig(options: TokenDirOptions, io: CliIo): DeskConfig {
  return loadConfig({ flags: { dataDir: options.dataDir }, env: io.env, ...(options.config === undefined ? {} : { configFile: options.config }) });
}

async function withTokens<T>(config: DeskConfig, use: (tokens: ViewerTokens) => Promise<T> | T): Promise<T> {
  const tokens = await ViewerTokens.open(config.dataDir);
  try {
    return await use(tokens);
  } finally {
    tokens.close();
  }
}

export async function tokenCreate(options: TokenCreateOptions, io: CliIo): Promise<void> {
  const config = deskConfig(options, io);
  const minted = await withTokens(config, (t) => t.create({ scope: options.scope, ttlMs: options.ttl, label: options.label }));
  const url = viewerLink({ host: config.share.host, port: config.share.port }, minted.token);
  const expiresAt = new Date(minted.expiresAt).toISOString();
  if (options.json) {
    const out: CreatedViewerToken = { id: minted.id, token: minted.token, scope: minted.scope, expiresAt, url };
    io.stdout(`${JSON.stringify(out)}\n`);
    return;
  }
  io.stdout(
    `Viewer token ${minted.id} for "${options.label}" (${minted.scope.join(',')}), expires ${expiresAt}.\n` +
      `Viewer link (shown once; it carries the token):\n${url}\n` +
      (config.share.enabled ? '' : 'Sharing is off: start the desk with sharing on (share.enabled) for the link to work.\n'),
  );
}

function stateOf(t: ViewerToken, now: number): 'active' | 'expired' | 'revoked' {
  if (t.revokedAt !== undefined) return 'revoked';
  return t.expiresAt <= now ? 'expired' : 'active';
}

export async function tokenList(options: TokenListOptions, io: CliIo): Promise<void> {
  const list = await withTokens(deskConfig(options, io), (t) => t.list());
  const now = Date.now();
  const rows = list.map((t) => ({
    id: t.id,
    label: t.label,
    scope: t.scope.join(','),
    created: new Date(t.createdAt).toISOString(),
    expires: new Date(t.expiresAt).toISOString(),
    state: stateOf(t, now),
  }));
  if (options.json) {
    io.stdout(`${JSON.stringify(rows)}\n`);
    return;
  }
  if (rows.length === 0) {
    io.stdout('No viewer tokens.\n');
    return;
  }
  const head = { id: 'ID', label: 'LABEL', scope: 'SCOPE', created: 'CREATED', expires: 'EXPIRES', state: 'STATE' };
  const keys = Object.keys(head) as (keyof typeof head)[];
  const widths = keys.map((k) => Math.max(head[k].length, ...rows.map((r) => r[k].length)));
  const line = (r: typeof head) =>
    `${keys
      .map((k, i) => r[k].padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()}\n`;
  io.stdout([head, ...rows].map(line).join(''));
}

export async function tokenRevoke(id: string, options: TokenDirOptions, io: CliIo): Promise<void> {
  const t = await withTokens(deskConfig(options, io), (tokens) => tokens.revoke(id));
  io.stdout(`Revoked ${t.id} ("${t.label}"): a running desk closes its viewers within a second.\n`);
}

export async function tokenPublicKey(options: TokenDirOptions, io: CliIo): Promise<void> {
  io.stdout(await withTokens(deskConfig(options, io), (t) => t.publicKeyPem()));
}
