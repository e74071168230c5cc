// DeskSharing around stop(): a change queued behind stop, a token database still opening when the desk
// stops, and a failed port not reused by a setSharing that names none.
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { systemClock } from '../../src/main/clock';
import { createLogger } from '../../src/main/ops';
import { DeskSharing, ViewerTokens } from '../../src/main/share';
import { tempDir } from '../support/fs';

function sharingAt(port = 0): DeskSharing {
  const sharing = new DeskSharing({
    dataDir: tempDir(),
    settings: { enabled: false, port, host: '127.0.0.1' },
    logger: createLogger({ level: 'silent' }),
    metrics: new Registry(),
    clock: systemClock,
  });
  onTestFinished(() => sharing.stop());
  return sharing;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('DeskSharing and stop()', () => {
  it('a setSharing(on) queued after stop() does not reopen the port', async () => {
    const sharing = sharingAt();
    const stopping = sharing.stop();
    const asked = sharing.setSharing({ enabled: true });
    await stopping;
    const status = await asked;
    expect(status.enabled).toBe(false);
    expect(sharing.shareServer).toBeUndefined();
  });

  it('a setSharing(on) in flight when stop() is called leaves nothing listening', async () => {
    const sharing = sharingAt();
    const asked = sharing.setSharing({ enabled: true });
    await sharing.stop();
    await asked;
    expect(sharing.shareServer).toBeUndefined();
    expect(sharing.status().enabled).toBe(false);
  });

  it('viewer tokens still opening at stop() are closed, not kept', async () => {
    const close = vi.spyOn(ViewerTokens.prototype, 'close');
    const sharing = sharingAt();
    const listing = sharing.listViewerTokens();
    await sharing.stop();
    await expect(listing).rejects.toThrow(/stopping/);
    expect(close).toHaveBeenCalledTimes(1);
    // And nothing opens them again after the stop.
    await expect(sharing.listViewerTokens()).rejects.toThrow(/stopping/);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('after a port in use, setSharing without a port goes back to the configured one', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => busy.close(() => resolve())));
    const address = busy.address();
    if (address === null || typeof address === 'string') throw new Error('no port');

    const sharing = sharingAt(0);
    const failed = await sharing.setSharing({ enabled: true, port: address.port });
    expect(failed.enabled).toBe(false);
    expect(failed.error).toMatch(/in use/);

    const retried = await sharing.setSharing({ enabled: true });
    expect(retried.enabled).toBe(true);
    expect(retried.port).not.toBe(address.port);
  });
});
