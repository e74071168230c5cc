import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installShutdownHandlers } from '../../../src/main/app';
import { memoryLogger } from '../../support/logs';

function harness(stop: () => Promise<void>, timeoutMs = 5_000) {
  const proc = new EventEmitter();
  const exits: number[] = [];
  let onExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (onExit = resolve));
  const { logger, lines } = memoryLogger();
  const remove = installShutdownHandlers({
    stop,
    logger,
    timeoutMs,
    processLike: proc as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
    exit: (code) => {
      exits.push(code);
      onExit(code);
    },
  });
  return { proc, exits, exited, lines, remove };
}

describe('installShutdownHandlers', () => {
  it('SIGTERM stops the desk and exits 0', async () => {
    let stopped = false;
    const h = harness(() => {
      stopped = true;
      return Promise.resolve();
    });
    h.proc.emit('SIGTERM', 'SIGTERM');
    expect(await h.exited).toBe(0);
    expect(stopped).toBe(true);
    expect(h.lines().map((l) => l['msg'])).toEqual(['shutting down', 'stopped']);
  });

  it('a second signal while stopping forces exit 1 at once', () => {
    let release: () => void = () => undefined;
    const h = harness(() => new Promise<void>((resolve) => (release = resolve)));
    h.proc.emit('SIGINT', 'SIGINT');
    expect(h.exits).toEqual([]);
    h.proc.emit('SIGINT', 'SIGINT');
    expect(h.exits).toEqual([1]);
    release();
  });

  it('exits 1 when stopping fails', async () => {
    const h = harness(() => Promise.reject(new Error('journal flush failed')));
    h.proc.emit('SIGTERM', 'SIGTERM');
    expect(await h.exited).toBe(1);
    expect(h.lines().some((l) => l['msg'] === 'shutdown failed')).toBe(true);
  });

  it('exits 1 when stopping outlasts the timeout', async () => {
    const h = harness(() => new Promise<void>(() => undefined), 30);
    h.proc.emit('SIGTERM', 'SIGTERM');
    expect(await h.exited).toBe(1);
    expect(h.lines().some((l) => l['msg'] === 'shutdown timed out')).toBe(true);
  });

  it('can be removed', () => {
    const h = harness(() => Promise.resolve());
    h.remove();
    expect(h.proc.listenerCount('SIGTERM')).toBe(0);
    expect(h.proc.listenerCount('SIGINT')).toBe(0);
  });
});
