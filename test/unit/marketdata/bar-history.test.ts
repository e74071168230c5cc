import { describe, expect, it } from 'vitest';
import { packBarHistory, unpackBarHistory, type Bar } from '../../../src/shared';
import { CON_ID } from '../../support/fixtures';

const T0 = Date.UTC(2026, 11, 5, 14, 30);
const bar = (minute: number, close: number): Bar => ({
  time: T0 + minute * 60_000,
  open: close - 0.02,
  high: close + 0.05,
  low: close - 0.07,
  close,
  volume: 1_200 + minute,
  wap: close,
  count: 9,
});

describe('md.history.1m packing', () => {
  it('gives back the bars as the chart draws them (times across a gap included), and packs smaller than the bars', () => {
    const bars = [bar(0, 239.53), bar(1, 239.57), bar(5, 239.5)];
    const packed = packBarHistory(CON_ID.AAPL, 'AAPL', bars);
    expect(packed).toMatchObject({ conId: CON_ID.AAPL, symbol: 'AAPL', size: '1m', from: T0 });
    expect(packed.bars.map((b) => b[0])).toEqual([0, 1, 5]);
    const back = unpackBarHistory(JSON.parse(JSON.stringify(packed)));
    expect(back).toEqual({ conId: CON_ID.AAPL, symbol: 'AAPL', bars: bars.map(({ wap: _w, count: _c, ...b }) => b) });
    const day = Array.from({ length: 240 }, (_, i) => bar(i, 239 + i / 100));
    expect(JSON.stringify(packBarHistory(1, 'X', day)).length).toBeLessThan(JSON.stringify(day).length / 2);
    expect(unpackBarHistory(packBarHistory(1, 'X', []))).toEqual({ conId: 1, symbol: 'X', bars: [] });
  });

  it('refuses what is not a history message', () => {
    for (const bad of [
      null,
      'x',
      {},
      { conId: 1, symbol: 'X', from: T0, bars: [[0, 1, 2, 3]] },
      { conId: 1, symbol: 'X', from: T0, bars: [[0, 1, 2, 3, 4, '5']] },
      { conId: 1, symbol: 'X', from: T0, bars: [[0, 1, 2, 3, 4, null]] },
      { conId: '1', symbol: 'X', from: T0, bars: [] },
    ]) {
      expect(unpackBarHistory(bad)).toBeUndefined();
    }
  });
});
