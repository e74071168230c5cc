// The viewer's chart: candles, volume and the EMAs of one instrument, from the stream alone (the
// 1-minute history the desk publishes, in the snapshot, then every bar as it comes). Redrawn when the
// store says its bars moved, at most once per animation frame.
import { useEffect, useRef, useState } from 'react';
import { CandlestickSeries, ColorType, createChart, HistogramSeries, LineSeries, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts';
import { describeChart } from '../components/chart-probe';
import type { ChartInterval, ViewerStore } from './store';

const EMA_COLOURS = ['#e3b341', '#a371f7', '#58a6ff', '#f778ba'];
const UP = '#3fb950';
const DOWN = '#f85149';
const ts = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;
const localTime = (t: number, seconds: boolean) =>
  new Date(t * 1000).toLocaleTimeString('en-GB', { hour12: false, hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) });

export function ViewerChart({ store, conId, symbol }: { store: ViewerStore; conId: number | undefined; symbol: string }) {
  const item = conId === undefined ? undefined : { conId, symbol };
  const box = useRef<HTMLDivElement>(null);
  const [interval, setInterval] = useState<ChartInterval>('1m');
  const [bars, setBars] = useState(0);
  const updates = useRef(0);

  useEffect(() => {
    const el = box.current;
    if (!el || conId === undefined) return;
    const chart = createChart(el, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#0b0e14' }, textColor: '#8b949e', fontSize: 11, attributionLogo: false },
      grid: { vertLines: { color: '#161b22' }, horzLines: { color: '#161b22' } },
      timeScale: { timeVisible: true, secondsVisible: interval === '5s', rightOffset: 4, tickMarkFormatter: (t: number) => localTime(t, interval === '5s') },
      rightPriceScale: { borderColor: '#30363d' },
      crosshair: { mode: 0 },
      localization: { timeFormatter: (t: number) => localTime(t, true) },
    });
    const candles = chart.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false });
    const vol = chart.addSeries(HistogramSeries, { priceScaleId: 'volume', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    const lines = new Map<number, ISeriesApi<'Line'>>();

    const draw = () => {
      const series = store.chart(conId, interval);
      const list = series ? [...series.bars.values()].sort((a, b) => a.time - b.time) : [];
      candles.setData(list.map((b) => ({ time: ts(b.time), open: b.open, high: b.high, low: b.low, close: b.close })));
      vol.setData(list.map((b) => ({ time: ts(b.time), value: b.volume, color: b.close >= b.open ? 'rgba(63,185,80,0.35)' : 'rgba(248,81,73,0.35)' })));
      const emas = series ? [...series.emas.entries()].sort((a, b) => a[0] - b[0]) : [];
      const periods = new Set(emas.flatMap(([, values]) => Object.keys(values).map(Number)));
      for (const period of periods) {
        let line = lines.get(period);
        if (!line) {
          line = chart.addSeries(LineSeries, {
            color: EMA_COLOURS[lines.size % EMA_COLOURS.length],
            lineWidth: 1,
            priceLineVisible: false,
            lastValueVisible: false,
            title: `EMA ${period}`,
          });
          lines.set(period, line);
        }
        line.setData(emas.filter(([, v]) => v[period] !== undefined).map(([t, v]) => ({ time: ts(t), value: v[period] as number })));
      }
      describeChart(el, {
        interval,
        barTimes: list.map((b) => ts(b.time)),
        emaTimes: [...lines.keys()].map((p) => emas.filter(([, v]) => v[p] !== undefined).map(([t]) => ts(t))),
        markerTimes: [],
        updates: updates.current++,
      });
      setBars(list.length);
    };
    draw();
    const off = store.onChart(conId, interval, draw);
    return () => {
      off();
      chart.remove();
    };
  }, [store, conId, interval]);

  return (
    <section className="panel chart-panel" data-testid="chart">
      <h3>
        {item ? item.symbol : 'Chart'}
        <span className="spacer" />
        {(['5s', '1m'] as const).map((i) => (
          <button key={i} className={`btn tab ${interval === i ? 'active' : ''}`} onClick={() => setInterval(i)} data-testid={`interval-${i}`}>
            {i}
          </button>
        ))}
      </h3>
      <div className="chart-wrap">
        {/* data-bars, data-first-bar, data-last-bar and the rest: set by describeChart from what is drawn. */}
        <div className="chart-box" ref={box} data-testid="chart-canvas" data-state={item && bars > 0 ? 'ready' : 'waiting'} />
        {!item && <p className="chart-overlay muted">No instrument shared yet.</p>}
        {item && bars === 0 && (
          <p className="chart-overlay muted" data-testid="chart-waiting">
            Waiting for the first bar of {item.symbol}…
          </p>
        )}
      </div>
    </section>
  );
}
