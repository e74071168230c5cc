import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTROL_TOKEN_FILE, ensureDataDir, loadOrCreateControlToken } from '../../../src/main/app';
import { tempDir } from '../../support/fs';
import { memoryLogger } from '../../support/logs';

describe('data directory and control token', () => {
  it('creates the data directory owner-only', () => {
    const dir = join(tempDir(), 'nested', 'desk');
    ensureDataDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('warns when an existing data directory is open to other users', () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const { logger, lines } = memoryLogger();
    ensureDataDir(dir, logger);
    expect(lines().some((l) => l['level'] === 'warn' && l['mode'] === '755')).toBe(true);
  });

  it('generates a token on first start, owner-readable only, and reuses it afterwards', () => {
    const dir = tempDir();
    const first = loadOrCreateControlToken(dir);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const file = join(dir, CONTROL_TOKEN_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(loadOrCreateControlToken(dir)).toBe(first);
    expect(loadOrCreateControlToken(tempDir())).not.toBe(first);
  });

  it('tightens a token file others can read', () => {
    const dir = tempDir();
    const token = loadOrCreateControlToken(dir);
    const file = join(dir, CONTROL_TOKEN_FILE);
    chmodSync(file, 0o644);
    const { logger, text } = memoryLogger();
    expect(loadOrCreateControlToken(dir, logger)).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(text()).toContain('permissions tightened');
    expect(text()).not.toContain(token);
  });

  it('refuses a malformed token file instead of running with a weak secret', () => {
    const dir = tempDir();
    writeFileSync(join(dir, CONTROL_TOKEN_FILE), 'hunter2\n', { mode: 0o600 });
    expect(() => loadOrCreateControlToken(dir)).toThrow(/does not hold a valid control token; delete it/);
  });
});
