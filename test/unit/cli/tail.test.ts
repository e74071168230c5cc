// `dualdesk tail`'s parts without a desk: its argument parsers, its per-second statistics, and the
// subscriber's `resume` option it starts from.
import { describe, expect, it } from 'vitest';
import { decodeFrames, StreamSubscriber, type StreamSocketEvents, type SubscriberState } from '../../../src/shared/stream';
import { parseResume, parseStreamUrl, parseTopicPatterns } from '../../../src/main/cli/tail-target';
import { TailStatsWindow } from '../../../src/main/cli/tail-stats';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const timers = { now: () => 0, setTimeout: () => 0, setInterval: () => 0, clearTimer: () => undefined };

describe('tail arguments', () => {
  it('--resume takes epoch:seq, the epoch may hold colons', () => {
    expect(parseResume('abc:42')).toEqual({ epoch: 'abc', seq: 42 });
    expect(parseResume('a:b:7')).toEqual({ epoch: 'a:b', seq: 7 });
    for (const bad of ['42', ':42', 'abc:', 'abc:-1', 'abc:4.2']) expect(() => parseResume(bad)).toThrow(/epoch:seq/);
  });

  it('--url refuses a token in the URL and anything but ws:// or wss://', () => {
    expect(parseStreamUrl('ws://127.0.0.1:7800/stream')).toBe('ws://127.0.0.1:7800/stream');
    expect(() => parseStreamUrl('ws://127.0.0.1:7800/stream?token=x')).toThrow(/must not carry the token/);
    expect(() => parseStreamUrl('ws://user:pw@127.0.0.1/stream')).toThrow(/must not carry the token/);
    expect(() => parseStreamUrl('http://127.0.0.1/stream')).toThrow(/ws:\/\//);
  });

  it('--topics takes the hello frame patterns', () => {
    expect(parseTopicPatterns('md.quote.*,order.>')).toEqual(['md.quote.*', 'order.>']);
    expect(() => parseTopicPatterns('md..quote')).toThrow(/'md..quote' is not one/);
    expect(() => parseTopicPatterns(Array.from({ length: 65 }, (_, i) => `t${i}`).join(','))).toThrow(/more than 64/);
  });
});

describe('tail statistics', () => {
  it('rates over the window, latency quantiles of its messages, and a fresh window after each line', () => {
    let now = 10_000;
    const w = new TailStatsWindow(() => now);
    for (let i = 1; i <= 100; i++) w.record(50, now - i);
    now += 2_000;
    const state = { channel: 'kafka', epoch: 'e', lastSeq: 9, head: 9, gapsDetected: 1, gapsFilled: 1, failovers: 1, reconnects: 3 } as SubscriberState;
    const line = w.take(state);
    expect(line).toMatchObject({ messagesPerSecond: 50, bytesPerSecond: 2_500, channel: 'kafka', failovers: 1, reconnects: 3, lastSeq: 9 });
    // Latency is now − ts at delivery (1 to 100 ms here), not at the window's end.
    expect(line.latencyMs.p50).toBe(51);
    expect(line.latencyMs.p99).toBe(100);
    now += 1_000;
    expect(w.take(state)).toMatchObject({ messagesPerSecond: 0, bytesPerSecond: 0, latencyMs: { p50: 0, p99: 0 } });
  });
});

describe('subscriber resume option', () => {
  it('asks the server to resume after the given position in its hello', async () => {
    const sent: unknown[] = [];
    let events: StreamSocketEvents | undefined;
    const sub = new StreamSubscriber({
      connect: (e) => {
        events = e;
        return { send: (b) => sent.push(...decodeFrames(b)), close: () => undefined, abort: () => undefined };
      },
      resume: { epoch: 'ep1', seq: 41 },
      topics: ['md.>'],
      logger: quiet,
      timers,
      onMessage: () => undefined,
    });
    await sub.start();
    events?.open();
    expect(sent).toEqual([{ op: 'hello', resume: { epoch: 'ep1', seq: 41 }, topics: ['md.>'] }]);
    expect(sub.state()).toMatchObject({ epoch: 'ep1', lastSeq: 41 });
  });
});
