import { useSlices } from '../desk/hooks';
import { compact } from '../desk/format';

/** A small latency chart: p50 and p99 of publish → render over the last two minutes. */
function LatencyChart({ points }: { points: readonly { t: number; p50: number; p99: number }[] }) {
  const w = 260;
  const h = 60;
  if (points.length < 2) return <svg className="latency" width={w} height={h} />;
  const max = Math.max(5, ...points.map((p) => p.p99));
  const x = (i: number) => ((i / (points.length - 1)) * w).toFixed(1);
  const y = (v: number) => (h - (v / max) * (h - 4)).toFixed(1);
  const line = (f: (p: { p50: number; p99: number }) => number) => points.map((p, i) => `${x(i)},${y(f(p))}`).join(' ');
  return (
    <svg className="latency" width={w} height={h} viewBox={`0 0 ${w} ${h}`} data-testid="latency-chart">
      <polyline points={line((p) => p.p99)} fill="none" stroke="#d29922" strokeWidth="1" />
      <polyline points={line((p) => p.p50)} fill="none" stroke="#3fb950" strokeWidth="1" />
      <text x="2" y="10" fill="#6e7681" fontSize="9">
        {max.toFixed(0)} ms
      </text>
    </svg>
  );
}

/** The stream as this window receives it, and the transport behind it. */
export function Transport() {
  const store = useSlices('transport', 'venue');
  const s = store.stream.state;
  // The core's own figures are not known while it does not answer: shown as such, not as they were.
  const blind = store.coreReachable === false;
  const h = blind ? undefined : store.health;
  const last = store.stream.latency[store.stream.latency.length - 1];
  return (
    <section className="panel transport" data-testid="transport">
      <h3>Transport</h3>
      <dl className="figures">
        <dt>Channel</dt>
        <dd data-testid="stream-channel">{s?.channel ?? '—'}</dd>
        <dt>Head seq</dt>
        <dd data-testid="stream-head">{h?.stream?.head ?? s?.head ?? '—'}</dd>
        <dt>Received seq</dt>
        <dd data-testid="stream-seq">{s?.lastSeq ?? '—'}</dd>
        <dt>Epoch</dt>
        <dd className="muted" data-testid="stream-epoch" data-epoch={s?.epoch ?? ''} title={s?.epoch}>
          {s?.epoch?.slice(0, 8) ?? '—'}
        </dd>
        <dt>Gaps / filled</dt>
        <dd data-testid="stream-gaps">{s ? `${s.gapsDetected} / ${s.gapsFilled}` : '—'}</dd>
        <dt>Reconnects</dt>
        <dd data-testid="stream-reconnects">{s?.reconnects ?? '—'}</dd>
        <dt>Failovers</dt>
        <dd>{s?.failovers ?? '—'}</dd>
        <dt>Subscribers</dt>
        <dd data-testid="stream-subscribers">{h?.stream?.subscribers ?? '—'}</dd>
        <dt>Kafka</dt>
        <dd data-testid="kafka-state">
          {blind
            ? 'unknown (core not reachable)'
            : h?.kafka
              ? `${h.kafka.state}, backlog ${compact(h.kafka.backlog)}, lag ${(h.kafka.lagMs / 1000).toFixed(1)} s`
              : 'not configured'}
        </dd>
        <dt>Latency</dt>
        <dd>{last ? `p50 ${last.p50.toFixed(1)} · p99 ${last.p99.toFixed(1)} ms` : '—'}</dd>
      </dl>
      <LatencyChart points={store.stream.latency} />
    </section>
  );
}
