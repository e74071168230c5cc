import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/main/clock';
import { Backoff } from '../../../src/shared';
import { HistoricalGate, Pacer, PacerClosedError, type HistoricalKey } from '../../../src/main/ib/pacer';

describe('Pacer', () => {
  it('sends evenly, never more than rate + burst (45) in any one-second window', async () => {
    const clock = new VirtualClock(0);
    const sentAt: number[] = [];
    const pacer = new Pacer(clock, 40);
    const all = Array.from({ length: 130 }, () => pacer.send('subscription', () => sentAt.push(clock.now())));
    expect(sentAt).toHaveLength(5); // the burst
    for (let t = 0; t < 4_000; t += 5) clock.advance(5);
    await Promise.all(all);
    expect(sentAt).toHaveLength(130);
    for (let i = 45; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 45]!).toBeGreaterThanOrEqual(1000);
    // Steady state: one every 25 ms.
    expect(sentAt[100]! - sentAt[99]!).toBe(25);
  });

  it('sends cancels before orders, orders before subscriptions, subscriptions before historical requests', () => {
    const clock = new VirtualClock(0);
    const order: string[] = [];
    const pacer = new Pacer(clock, 1, undefined, 2);
    void pacer.send('historical', () => order.push('h0'));
    void pacer.send('historical', () => order.push('h1'));
    for (const [p, name] of [
      ['historical', 'h2'],
      ['subscription', 's'],
      ['order', 'o1'],
      ['cancel', 'c'],
      ['order', 'o2'],
    ] as const) {
      void pacer.send(p, () => order.push(name));
    }
    expect(order).toEqual(['h0', 'h1']);
    clock.advance(5_000);
    expect(order).toEqual(['h0', 'h1', 'c', 'o1', 'o2', 's', 'h2']);
  });

  it('refuses queued messages when the connection goes, so none leaks to the next one', async () => {
    const clock = new VirtualClock(0);
    const pacer = new Pacer(clock, 1, undefined, 1);
    await pacer.send('order', () => undefined);
    const queued = pacer.send('order', () => {
      throw new Error('must not run');
    });
    pacer.clear('venue disconnected');
    await expect(queued).rejects.toBeInstanceOf(PacerClosedError);
    clock.advance(2_000);
    expect(pacer.depth).toBe(0);
  });

  it('refuses settings that could exceed IB’s 50 messages a second', () => {
    expect(() => new Pacer(new VirtualClock(0), 48)).toThrow(/at most 50/);
    expect(() => new Pacer(new VirtualClock(0), 45, undefined, 5)).not.toThrow();
  });
});

describe('HistoricalGate', () => {
  const key = (contract: string, details: string, barSizeSeconds = 5): HistoricalKey => ({ contract, whatToShow: 'TRADES', details, barSizeSeconds });

  async function admittedAt(clock: VirtualClock, gate: HistoricalGate, keys: HistoricalKey[], stepMs = 100, maxMs = 700_000): Promise<number[]> {
    const times: number[] = new Array<number>(keys.length);
    const started = keys.map((k, i) =>
      gate.admit(k).then((done) => {
        times[i] = clock.now();
        done();
      }),
    );
    for (let t = 0; t < maxMs && times.filter((x) => x !== undefined).length < keys.length; t += stepMs) {
      await Promise.resolve();
      clock.advance(stepMs);
      await Promise.resolve();
    }
    await Promise.all(started);
    return times;
  }

  it('spaces identical small-bar requests 15 s apart and at most 5 per contract in 2 s', async () => {
    const clock = new VirtualClock(0);
    const gate = new HistoricalGate(clock);
    const identical = await admittedAt(clock, gate, [key('A', 'x'), key('A', 'x')]);
    expect(identical[1]! - identical[0]!).toBeGreaterThanOrEqual(15_000);

    const clock2 = new VirtualClock(0);
    const burst = await admittedAt(
      clock2,
      new HistoricalGate(clock2),
      Array.from({ length: 7 }, (_, i) => key('B', `d${i}`)),
    );
    const sorted = [...burst].sort((a, b) => a - b);
    for (let i = 5; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 5]!).toBeGreaterThanOrEqual(2_000);
  });

  it('holds small-bar requests to 60 in ten minutes, but not larger bars', async () => {
    const clock = new VirtualClock(0);
    const gate = new HistoricalGate(clock);
    const small = await admittedAt(
      clock,
      gate,
      Array.from({ length: 61 }, (_, i) => key(`C${i % 13}`, `d${i}`)),
      1_000,
    );
    const sorted = [...small].sort((a, b) => a - b);
    expect(sorted[60]! - sorted[0]!).toBeGreaterThanOrEqual(600_000);
    const big = await admittedAt(
      clock,
      gate,
      Array.from({ length: 30 }, () => key('D', 'same', 60)),
    );
    expect(Math.max(...big) - Math.min(...big)).toBe(0);
  });

  it('keeps at most 40 historical requests open at once', async () => {
    const clock = new VirtualClock(0);
    const gate = new HistoricalGate(clock);
    const done: (() => void)[] = [];
    for (let i = 0; i < 45; i++) void gate.admit(key('E', `d${i}`, 3600)).then((d) => done.push(d));
    await new Promise((r) => setImmediate(r));
    expect(done).toHaveLength(40);
    done[0]!();
    done[1]!();
    await new Promise((r) => setImmediate(r));
    expect(done).toHaveLength(42);
  });

  it('refuses waiting requests when the venue drops, and answers from before the drop cannot lift the 40-open cap', async () => {
    const clock = new VirtualClock(0);
    const gate = new HistoricalGate(clock);
    const before: (() => void)[] = [];
    for (let i = 0; i < 40; i++) void gate.admit(key('F', `d${i}`, 3600)).then((d) => before.push(d));
    const waiting = gate.admit(key('F', 'waiting', 3600));
    await new Promise((r) => setImmediate(r));
    expect(before).toHaveLength(40);

    const dropped = new Error('venue disconnected');
    gate.clear(dropped);
    await expect(waiting).rejects.toBe(dropped);

    // The requests open at the drop fail afterwards and call done(): that must not free slots twice.
    for (const d of before) d();
    const after: (() => void)[] = [];
    for (let i = 0; i < 45; i++) void gate.admit(key('G', `d${i}`, 3600)).then((d) => after.push(d));
    await new Promise((r) => setImmediate(r));
    expect(after).toHaveLength(40);
  });
});

describe('Backoff', () => {
  it('doubles from 100 ms to 10 s and stays there, with jitter between half and the full delay', () => {
    const ceilings = [100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000, 10_000];
    const low = new Backoff(() => 0);
    const high = new Backoff(() => 1);
    for (const c of ceilings) {
      expect(low.next()).toBe(c / 2);
      expect(high.next()).toBe(c);
    }
    low.reset();
    expect(low.next()).toBe(50);
    expect(low.attempts).toBe(1);
  });
});
