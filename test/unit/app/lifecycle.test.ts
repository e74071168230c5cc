import { describe, expect, it } from 'vitest';
import { Lifecycle, StartError, type Service } from '../../../src/main/app';
import { memoryLogger } from '../../support/logs';

function recorder() {
  const events: string[] = [];
  const service = (name: string, opts: { failStart?: boolean; failStop?: boolean; hangStop?: boolean } = {}): Service => ({
    name,
    async start() {
      await Promise.resolve();
      if (opts.failStart) throw new Error(`${name} exploded`);
      events.push(`start ${name}`);
    },
    stop(): void | Promise<void> {
      if (opts.hangStop) return new Promise<void>(() => undefined);
      if (opts.failStop) throw new Error(`${name} stuck`);
      events.push(`stop ${name}`);
    },
  });
  return { events, service };
}

describe('Lifecycle', () => {
  it('starts in order and stops in reverse order', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle([service('a'), service('b'), service('c')], memoryLogger().logger);
    await lc.start();
    await lc.stop();
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('stops what already started when a later service fails to start, and reports which', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle([service('a'), service('b'), service('c', { failStart: true }), service('d')], memoryLogger().logger);
    await expect(lc.start()).rejects.toThrow(new StartError('c failed to start: c exploded'));
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('keeps stopping the rest when one stop fails or hangs, and logs it', async () => {
    const { events, service } = recorder();
    const { logger, lines } = memoryLogger();
    const lc = new Lifecycle([service('a'), service('b', { failStop: true }), service('c', { hangStop: true }), service('d')], logger, 50);
    await lc.start();
    await lc.stop();
    expect(events.filter((e) => e.startsWith('stop'))).toEqual(['stop d', 'stop a']);
    const failures = lines()
      .filter((l) => l['msg'] === 'failed to stop cleanly')
      .map((l) => l['service']);
    expect(failures).toEqual(['c', 'b']);
  });

  it('shares one stop between concurrent callers, and refuses a second start', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle([service('a')], memoryLogger().logger);
    await lc.start();
    expect(() => lc.start()).toThrow(StartError);
    await Promise.all([lc.stop(), lc.stop(), lc.stop()]);
    expect(events).toEqual(['start a', 'stop a']);
  });

  it('a stop requested during start prevents the remaining services from starting', async () => {
    const { events, service } = recorder();
    const lc = new Lifecycle([service('a'), service('b')], memoryLogger().logger);
    const started = lc.start();
    const stopped = lc.stop();
    await started;
    await stopped;
    expect(events).toEqual(['start a', 'stop a']);
  });
});
