import { describe, expect, it } from 'vitest';
import { MessageBus } from '../../../src/main/bus';

type Topics = { [t: `md.quote.${string}`]: number } & { [t: `order.${string}`]: string } & { 'risk.halt': string };

describe('message bus', () => {
  it('delivers to exact and wildcard subscribers synchronously, in subscription order, and unsubscribes', () => {
    const bus = new MessageBus<Topics>();
    const seen: string[] = [];
    const offAll = bus.subscribe('md.quote.*', (v, t) => seen.push(`* ${t} ${v}`));
    bus.subscribe('md.quote.AAPL', (v) => seen.push(`AAPL ${v}`));
    bus.subscribeAny('>', (_v, t) => seen.push(`any ${t}`));
    bus.publish('md.quote.AAPL', 1);
    bus.publish('md.quote.MSFT', 2);
    expect(seen).toEqual(['* md.quote.AAPL 1', 'AAPL 1', 'any md.quote.AAPL', '* md.quote.MSFT 2', 'any md.quote.MSFT']);
    offAll();
    seen.length = 0;
    bus.publish('md.quote.MSFT', 3);
    expect(seen).toEqual(['any md.quote.MSFT']);
  });

  it('delivers a message published during a delivery after those ahead of it by priority: a halt overtakes queued market data', () => {
    const bus = new MessageBus<Topics>();
    const seen: string[] = [];
    bus.subscribe('md.quote.*', (v, t) => {
      seen.push(`${t}=${v}`);
      if (v === 1) {
        bus.publish('md.quote.B', 2, 'LOW');
        bus.publish('md.quote.C', 3);
        bus.publish('risk.halt', 'stop', 'FLASH_CRASH');
      }
    });
    bus.subscribe('risk.halt', (v) => seen.push(`halt ${v}`));
    bus.publish('md.quote.A', 1);
    expect(seen).toEqual(['md.quote.A=1', 'halt stop', 'md.quote.C=3', 'md.quote.B=2']);
  });

  it('keeps delivering to the others when a subscriber throws, and reports it', () => {
    const errors: string[] = [];
    const bus = new MessageBus<Topics>((err, topic) => errors.push(`${topic}: ${(err as Error).message}`));
    const seen: string[] = [];
    bus.subscribe('order.*', () => {
      throw new Error('boom');
    });
    bus.subscribe('order.*', (v) => seen.push(v));
    bus.publish('order.1', 'filled');
    bus.publish('order.2', 'new');
    expect(seen).toEqual(['filled', 'new']);
    expect(errors).toEqual(['order.1: boom', 'order.2: boom']);
    expect(bus.stats()).toMatchObject({ delivered: 2, failures: 2 });
  });

  it('answers requests through the one handler of a name', async () => {
    const bus = new MessageBus<Topics>();
    const off = bus.handle('double', (n: number) => n * 2);
    expect(() => bus.handle('double', (n: number) => n)).toThrow(/already has a handler/);
    expect(await bus.request<number>('double', 21)).toBe(42);
    off();
    await expect(bus.request('double', 1)).rejects.toThrow(/nothing handles 'double'/);
  });
});
