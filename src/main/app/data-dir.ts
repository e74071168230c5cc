import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../ops';
import { StoreError } from '../store';
import { readJournalHistory } from '../transport';

export const CONTROL_TOKEN_FILE = 'control-token';

/** 32 random bytes, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Creates the data directory (owner-only) if needed and warns when others can read an existing one. */
export function ensureDataDir(dir: string, logger?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    logger?.warn({ dataDir: dir, mode: mode.toString(8) }, 'data directory is accessible by other users');
  }
}

/**
 * The token that guards the local server: generated on first start, then reused. The file is
 * created owner-only; a file that others can read is tightened, a malformed one is refused.
 */
export function loadOrCreateControlToken(dataDir: string, logger?: Logger): string {
  const file = join(dataDir, CONTROL_TOKEN_FILE);
  const fresh = randomBytes(32).toString('base64url');
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${fresh}\n`);
    } finally {
      closeSync(fd);
    }
    logger?.info({ file }, 'control token created');
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = statSync(file).mode & 0o777;
  if (mode !== 0o600) {
    chmodSync(file, 0o600);
    logger?.warn({ file, was: mode.toString(8) }, 'control token file permissions tightened to 600');
  }
  const token = readFileSync(file, 'utf8').trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new Error(`${file} does not hold a valid control token; delete it to have a new one generated`);
  }
  return token;
}

/**
 * A new trading database beside a stream journal with history means the trading state (orders, fills,
 * limits, the trading state, the venue's order ids) was lost or replaced: refuse to trade from nothing.
 */
export function refuseLostTradingState(tradingFile: string, streamFile: string): void {
  const history = readJournalHistory(streamFile);
  if (!history) return;
  const [db, stream] = [basename(tradingFile), basename(streamFile)];
  const messages = `${history.messages.toLocaleString('en-US')} message${history.messages === 1 ? '' : 's'}`;
  throw new StoreError(
    `${db} holds no trading state but ${stream} holds ${messages} of epoch ${history.epoch} (last seq ${history.lastSeq}): ` +
      `the trading database was lost or replaced; restore ${db} (with its -wal file) from a backup, ` +
      `or move ${stream} with its -wal and -shm files (or the whole data directory ${dirname(tradingFile)}) away to start afresh`,
  );
}
