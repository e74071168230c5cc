import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDesk, loadConfig } from '../../src/main/app';
import { tempDir } from '../support/fs';
import { memoryLogger } from '../support/logs';
import { until } from '../support/wait';

describe('the desk in demo mode', () => {
  it('switches paper → live → paper in one call each: other database, other safeguards, resynced', async () => {
    const dataDir = tempDir();
    const desk = createDesk(loadConfig({ flags: { dataDir, demo: true } }), { logger: memoryLogger('warn').logger });
    onTestFinished(() => desk.stop());
    await desk.start();
    await desk.venue!.whenReady();
    expect(desk.mode).toBe('paper');
    expect(desk.venue!.status().trading).toEqual({ allowed: true });

    await desk.switchMode('live');
    expect(desk.mode).toBe('live');
    expect(desk.info().mode).toBe('live');
    await desk.venue!.whenReady();
    expect(existsSync(join(dataDir, 'live.db'))).toBe(true);
    // The demo venue is a paper account: live mode refuses to trade it and says why.
    expect(desk.venue!.status().trading.reason).toMatch(/LIVE mode is connected to paper account DU1234567/);
    const report = await desk.readiness();
    expect(report.dependencies['venue']).toMatchObject({ ok: false, reason: expect.stringMatching(/LIVE mode/) as unknown });

    await desk.switchMode('paper');
    await desk.venue!.whenReady();
    await until(() => desk.venue!.status().trading.allowed, 'paper trading allowed again');
    expect((await desk.readiness()).ready).toBe(true);
  });
});
