// The simulator's state file as written: owner-only whatever was on disk before, and whole.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeVenueState, type VenueState } from '../../../src/main/sim';
import { tempDir } from '../../support/fs';

const state = { format: 'dualdesk-sim-venue', version: 1, accountId: 'DU1234567', savedAt: 0, orderIds: [], note: 'x'.repeat(1 << 20) } as unknown as VenueState;

describe('writeVenueState', () => {
  it('writes the file owner-only even over a stale temp file left with another mode', () => {
    const dir = tempDir();
    const file = join(dir, 'venue.json');
    writeFileSync(join(dir, '.venue.json.tmp'), 'half a state', { mode: 0o644 });
    writeVenueState(file, state);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(state);
  });
});
