// `npm install` must succeed where Electron's binary cannot be downloaded (issue 11.6), and `npm run dev` must say why it cannot start.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../../scripts/electron.ts');
const tsx = join(import.meta.dirname, '../../../node_modules/.bin/tsx');

/** Runs the script with Electron's binary absent and its download pointed at a closed local port. */
function run(...args: string[]) {
  const empty = mkdtempSync(join(tmpdir(), 'dualdesk-electron-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ELECTRON_OVERRIDE_DIST_PATH: join(empty, 'dist'),
    electron_config_cache: join(empty, 'cache'),
    ELECTRON_MIRROR: 'http://127.0.0.1:1/',
  };
  delete env['ELECTRON_SKIP_BINARY_DOWNLOAD'];
  return spawnSync(tsx, [script, ...args], { env, encoding: 'utf8', timeout: 120_000 });
}

describe('Electron binary at install', () => {
  it('a failed download does not fail the install, and says what still works and how to get it', () => {
    const r = run('install');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/the binary could not be downloaded \(.*127\.0\.0\.1.*\)/);
    expect(r.stderr).toContain('npx dualdesk serve --demo');
    expect(r.stderr).toContain('npm run electron:install');
  });

  it('npm run electron:install fails loudly when the download fails', () => {
    expect(run('install', '--required').status).toBe(1);
  });

  it('npm run dev stops with one clear line when the binary is missing', () => {
    const r = run('check');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: Electron's binary is not installed/);
  });

  it('an unknown command is a usage error', () => {
    expect(run('frobnicate').status).toBe(2);
  });
});
