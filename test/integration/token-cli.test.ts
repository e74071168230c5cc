import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/fs';
import { binDualdesk } from '../support/paths';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `dualdesk token …` to its end. */
function token(args: readonly string[]): Promise<Run> {
  const proc = spawn(process.execPath, [binDualdesk, 'token', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DUALDESK_DATA_DIR: '' } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('dualdesk token', () => {
  it('create --json, list without the token, revoke, and a public key that verifies the token', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ share: { host: 'desk.example', port: 9443 } }));
    const created = await token(['create', '--scope', 'market,positions', '--ttl', '8h', '--label', 'Mentor', '--data-dir', dir, '--json']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const out = JSON.parse(created.stdout) as { id: string; token: string; scope: string[]; expiresAt: string; url: string };
    expect(out.scope).toEqual(['market', 'positions']);
    expect(out.url).toBe(`https://desk.example:9443/#token=${out.token}`);
    const hours = (Date.parse(out.expiresAt) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(7.9);
    expect(hours).toBeLessThanOrEqual(8);

    const pem = await token(['public-key', '--data-dir', dir]);
    expect(pem.code).toBe(0);
    expect(pem.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    const { payload } = await jwtVerify(out.token, createPublicKey(pem.stdout), { algorithms: ['EdDSA'], issuer: 'dualdesk', audience: 'dualdesk-viewer' });
    expect(payload).toMatchObject({ jti: out.id, label: 'Mentor', scope: 'market positions' });

    const listed = await token(['list', '--data-dir', dir, '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(out.token);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: out.id, label: 'Mentor', scope: 'market,positions', state: 'active' }]);
    const human = await token(['list', '--data-dir', dir]);
    expect(human.stdout).toMatch(new RegExp(`${out.id}\\s+Mentor\\s+market,positions\\s+\\S+\\s+\\S+\\s+active`));
    expect(human.stdout).not.toContain(out.token);

    const revoked = await token(['revoke', out.id, '--data-dir', dir]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${out.id}`);
    expect(JSON.parse((await token(['list', '--data-dir', dir, '--json'])).stdout)).toMatchObject([{ id: out.id, state: 'revoked' }]);

    const unknown = await token(['revoke', 'nope', '--data-dir', dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: no viewer token has the id "nope" (dualdesk token list shows them)\n');
  });

  it('the human output shows the link and the expiry', async () => {
    const dir = tempDir();
    const run = await token(['create', '--scope', 'market', '--ttl', '30m', '--label', 'Second screen', '--data-dir', dir]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/for "Second screen" \(market\), expires \d{4}-\d\d-\d\dT/);
    expect(run.stdout).toMatch(/^https:\/\/\S+:8443\/#token=[\w-]+\.[\w-]+\.[\w-]+$/m);
  });

  it('bad --ttl, --scope and --label exit 2 with one clear line, creating nothing', async () => {
    const dir = tempDir();
    const cases: [string[], RegExp][] = [
      [['--ttl', '8x'], /--ttl <duration>' argument '8x' is invalid\. must be a duration such as 30m, 8h or 7d, from 1m to 30d\./],
      [['--ttl', '31d'], /from 1m to 30d/],
      [['--scope', 'market,trade'], /--scope <list>' argument 'market,trade' is invalid/],
      [['--scope', 'account'], /at least one besides account/],
      [['--label', ''], /1 to 64 printable characters/],
    ];
    for (const [override, message] of cases) {
      const base: Record<string, string> = { '--scope': 'market', '--ttl': '1h', '--label': 'x' };
      base[override[0] as string] = override[1] as string;
      const run = await token(['create', ...Object.entries(base).flat(), '--data-dir', dir]);
      expect(run.code, override.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(JSON.parse((await token(['list', '--data-dir', dir, '--json'])).stdout)).toEqual([]);
    const missing = await token(['create', '--scope', 'market', '--data-dir', dir]);
    expect(missing.code).toBe(2);
  });
});
