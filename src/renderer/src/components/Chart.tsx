// Candles with volume and the EMAs, fills and crossover signals as markers. History is set once when
// the chart opens; everything live after that goes through series.update(), fed once per animation
// frame by the store (never through React state). Each interval draws its own bars, EMAs and
// crossovers (the 5 s view: the core's 5-second history, EMAs over 5-second closes and their crossings).
import { useEffect, useRef, useState } from 'react';
import {
  CandlestickSeries,
  ColorType,
  createChart,
  createSeriesMarkers,
  HistogramSeries,
  LineSeries,
  type IChartApi,
  type ISeriesApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Bar, CrossSignal, EmaUpdate, MarketDataSnapshot } from '../../../shared';
import { useDesk } from '../desk/hooks';
import type { ChartBatch, WatchItem } from '../desk/store';
import { describeChart } from './chart-probe';

export type ChartInterval = '1m' | '5s';

const EMA_COLOURS = ['#e3b341', '#a371f7', '#58a6ff', '#f778ba'];
const PROBE_MS = 250;
const UP = '#3fb950';
/** How often the 5 s view asks (without redrawing) whether the core has its 5-second history yet. */
const FIVE_SECOND_RETRY_MS = 5_000;
const DOWN = '#f85149';

const ts = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

function candle(b: Bar) {
  return { time: ts(b.time), open: b.open, high: b.high, low: b.low, close: b.close };
}
function volume(b: Bar) {
  return { time: ts(b.time), value: b.volume, color: b.close >= b.open ? 'rgba(63,185,80,0.35)' : 'rgba(248,81,73,0.35)' };
}

type Load = { state: 'loading' } | { state: 'ready' } | { state: 'error'; message: string };

// The chart's times are UTC seconds; the trader reads the machine's local time.
const localTime = (t: number, seconds: boolean) =>
  new Date(t * 1000).toLocaleTimeString('en-GB', { hour12: false, hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) });

export function Chart({ item }: { item: WatchItem | undefined }) {
  const desk = useDesk();
  const box = useRef<HTMLDivElement>(null);
  const [interval, setInterval] = useState<ChartInterval>('1m');
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  // Bumped to load again: the 5-second history may come after the chart opened (IB paces small bars).
  const [attempt, setAttempt] = useState(0);
  // The 5 s view is drawn from live bars while the core still waits for the venue's 5-second history.
  const [pending5s, setPending5s] = useState(false);

  useEffect(() => {
    const el = box.current;
    if (!el || !item) return;
    const word = item.word;
    const conId = item.instrument.conId;
    const chart: IChartApi = createChart(el, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#0b0e14' }, textColor: '#8b949e', fontSize: 11, attributionLogo: false },
      grid: { vertLines: { color: '#161b22' }, horzLines: { color: '#161b22' } },
      timeScale: { timeVisible: true, secondsVisible: interval === '5s', rightOffset: 4, tickMarkFormatter: (t: Time) => localTime(t as number, interval === '5s') },
      rightPriceScale: { borderColor: '#30363d' },
      crosshair: { mode: 0 },
      localization: { timeFormatter: (t: number) => localTime(t, true) },
    });
    const candles = chart.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false });
    const vol = chart.addSeries(HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    const markers = createSeriesMarkers(candles, []);
    const emaLines = new Map<number, ISeriesApi<'Line'>>();
    const signals: CrossSignal[] = [];
    let lastTime = 0;
    let disposed = false;
    let pending: ChartBatch[] = [];
    let ready = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let updates = 0;

    const emaLine = (period: number) => {
      let line = emaLines.get(period);
      if (!line) {
        line = chart.addSeries(LineSeries, {
          color: EMA_COLOURS[emaLines.size % EMA_COLOURS.length],
          lineWidth: 1,
          priceLineVisible: false,
          lastValueVisible: false,
          title: `EMA ${period}`,
        });
        emaLines.set(period, line);
      }
      return line;
    };

    const drawBar = (b: Bar) => {
      const t = ts(b.time);
      // A revised older bar is a historical update; the forming one replaces the last.
      const historical = t < lastTime;
      try {
        candles.update(candle(b), historical);
        vol.update(volume(b), historical);
      } catch {
        return; // older than the loaded history: nothing to redraw
      }
      if (t > lastTime) lastTime = t;
    };
    const drawEma = (e: EmaUpdate) => {
      for (const [period, value] of Object.entries(e.values)) {
        try {
          emaLine(Number(period)).update({ time: ts(e.time), value }, ts(e.time) < lastTime);
        } catch {
          // an EMA point older than the line's history
        }
      }
    };
    const probe = () =>
      describeChart(el, {
        interval,
        barTimes: candles.data().map((d) => d.time as number),
        emaTimes: [...emaLines.values()].map((l) => l.data().map((d) => d.time as number)),
        markerTimes: markers.markers().map((m) => m.time as number),
        updates,
      });
    // The summary copies every series: at most four times a second, not on every animation frame's batch.
    let probeTimer: ReturnType<typeof setTimeout> | undefined;
    const probeSoon = () => {
      if (probeTimer !== undefined) return;
      probeTimer = setTimeout(() => {
        probeTimer = undefined;
        if (!disposed) probe();
      }, PROBE_MS);
    };
    const drawMarkers = () => {
      const list: SeriesMarker<UTCTimestamp>[] = [];
      const bucket = interval === '1m' ? 60_000 : 5_000;
      for (const s of signals) {
        list.push({
          time: ts(s.time),
          position: s.direction === 'bullish' ? 'belowBar' : 'aboveBar',
          shape: s.direction === 'bullish' ? 'arrowUp' : 'arrowDown',
          color: s.direction === 'bullish' ? '#58a6ff' : '#f778ba',
          text: `EMA ${s.direction === 'bullish' ? '↑' : '↓'}`,
        });
      }
      for (const f of desk.fills) {
        if (f.conId !== conId) continue;
        list.push({
          time: ts(Math.floor(f.time / bucket) * bucket),
          position: f.side === 'BUY' ? 'belowBar' : 'aboveBar',
          shape: 'circle',
          color: f.side === 'BUY' ? UP : DOWN,
          text: `${f.side === 'BUY' ? 'B' : 'S'} ${f.quantity}@${f.price}`,
        });
      }
      list.sort((a, b) => a.time - b.time);
      markers.setMarkers(list);
    };
    const apply = (batch: ChartBatch) => {
      const fiveSeconds = interval === '5s';
      for (const u of fiveSeconds ? batch.bars5s : batch.bars1m) drawBar(u.bar);
      for (const e of fiveSeconds ? batch.emas5s : batch.emas) drawEma(e);
      const crossings = fiveSeconds ? batch.signals5s : batch.signals;
      if (crossings.length > 0) {
        signals.push(...crossings);
        drawMarkers();
      }
      if (ready) updates++;
      probeSoon();
    };

    setLoad({ state: 'loading' });
    setPending5s(false);
    // Only a snapshot that says the history is in redraws the chart; until then it stays as drawn.
    const awaitSeeded = () => {
      retry = setTimeout(() => {
        void desk.command('getMarketData', { conId }).then((r) => {
          if (disposed) return;
          if (r.ok && r.value.seeded5s) setAttempt((a) => a + 1);
          else awaitSeeded();
        });
      }, FIVE_SECOND_RETRY_MS);
    };
    // Live updates that arrive while the history loads are kept and drawn after it.
    const offChart = desk.onChart(word, (batch) => (ready ? apply(batch) : pending.push(batch)));
    const offFills = desk.subscribe('fills', () => {
      if (!ready) return;
      drawMarkers();
      probeSoon();
    });

    void desk.command('getMarketData', { conId }).then((r) => {
      if (disposed) return;
      if (!r.ok) {
        setLoad({ state: 'error', message: r.error.message });
        return;
      }
      const s: MarketDataSnapshot = r.value;
      const fiveSeconds = interval === '5s';
      const bars = fiveSeconds ? s.bars5s : s.forming ? [...s.bars, s.forming] : s.bars;
      candles.setData(bars.map(candle));
      vol.setData(bars.map(volume));
      lastTime = bars.length > 0 ? ts((bars[bars.length - 1] as Bar).time) : 0;
      // 5-second EMAs are always final; the forming minute's are provisional.
      const points = fiveSeconds ? s.emas5s : s.ema && !s.ema.final ? [...s.emas, s.ema] : s.emas;
      for (const period of s.periods) {
        emaLine(period).setData(points.filter((p) => p.values[period] !== undefined).map((p) => ({ time: ts(p.time), value: p.values[period] as number })));
      }
      signals.push(...(fiveSeconds ? s.signals5s : s.signals));
      drawMarkers();
      ready = true;
      for (const b of pending) apply(b);
      pending = [];
      probe();
      setLoad({ state: 'ready' });
      if (fiveSeconds && !s.seeded5s) {
        setPending5s(true);
        awaitSeeded();
      }
    });

    return () => {
      disposed = true;
      clearTimeout(retry);
      clearTimeout(probeTimer);
      offChart();
      offFills();
      chart.remove();
    };
  }, [desk, item, interval, attempt]);

  return (
    <section className="panel chart-panel" data-testid="chart">
      <h3>
        {item ? `${item.instrument.localSymbol || item.instrument.symbol}` : 'Chart'}
        {item && <span className="muted"> {item.instrument.longName}</span>}
        <span className="spacer" />
        {(['5s', '1m'] as const).map((i) => (
          <button key={i} className={`btn tab ${interval === i ? 'active' : ''}`} onClick={() => setInterval(i)} data-testid={`interval-${i}`}>
            {i}
          </button>
        ))}
      </h3>
      <div className="chart-wrap">
        {/* data-bars, data-emas, data-interval and the rest: set by describeChart from what is drawn. */}
        <div className="chart-box" ref={box} data-testid="chart-canvas" data-state={load.state} />
        {!item && <p className="chart-overlay muted">Add a symbol to the watchlist.</p>}
        {item && load.state === 'loading' && (
          <div className="chart-overlay" data-testid="chart-loading">
            <div className="progress" />
            loading history…
          </div>
        )}
        {load.state === 'error' && <p className="chart-overlay error">{load.message}</p>}
        {item && load.state === 'ready' && pending5s && (
          <p className="chart-note muted" data-testid="chart-5s-pending">
            5 s history pending
          </p>
        )}
      </div>
    </section>
  );
}
