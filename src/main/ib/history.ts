// Historical bars: within IB's historical pacing (requests wait their turn at the HistoricalGate
// instead of getting 162), and identical small-bar requests within 15 s share one answer.
import type { Clock } from '../clock';
import type { Bar, Instrument } from '../../shared';
import { VenueError, type HistoricalQuery } from '../venue';
import { instrumentContract } from './contracts';
import { HistoricalGate } from './pacer';
import type { Requests } from './requests';
import { formatUtc, historicalBar } from './wire';

export class History {
  private readonly gate: HistoricalGate;
  private readonly recent = new Map<string, { at: number; bars: Promise<Bar[]> }>();

  constructor(
    private readonly clock: Clock,
    private readonly requests: Requests,
  ) {
    this.gate = new HistoricalGate(clock);
  }

  /**
   * Historical bars, within IB's historical pacing (requests wait their turn instead of getting 162);
   * identical small-bar requests within 15 s share one answer, as IB would refuse the second.
   */
  bars(instrument: Instrument, q: HistoricalQuery): Promise<Bar[]> {
    const end = q.end === undefined ? '' : formatUtc(q.end);
    const barSeconds = barSizeSeconds(q.barSize);
    const details = [end, q.duration, q.barSize, q.rthOnly ? 1 : 0].join('|');
    const cacheKey = `${instrument.conId}|${q.source}|${details}`;
    const recent = this.recent.get(cacheKey);
    const now = this.clock.now();
    if (recent && now - recent.at < 15_000) return recent.bars;
    const bars = this.fetch(instrument, q, end, { contract: String(instrument.conId), whatToShow: q.source, details, barSizeSeconds: barSeconds });
    if (barSeconds <= 30) {
      this.recent.set(cacheKey, { at: now, bars });
      bars.catch(() => this.recent.delete(cacheKey));
    }
    return bars;
  }

  private async fetch(instrument: Instrument, q: HistoricalQuery, end: string, key: Parameters<HistoricalGate['admit']>[0]): Promise<Bar[]> {
    if (!this.requests.canSend()) throw new VenueError('venue-disconnected', 'Venue disconnected: historical data is not available now.');
    const done = await this.gate.admit(key);
    try {
      const reqId = this.requests.nextRequestId();
      const bars: Bar[] = [];
      await this.requests.request(
        reqId,
        'historical',
        (ib) => ib.reqHistoricalData(reqId, instrumentContract(instrument), end, q.duration, q.barSize as never, q.source, q.rthOnly ? 1 : 0, 2, false),
        (_n, args) => {
          const bar = historicalBar(instrument, args as Parameters<typeof historicalBar>[1]);
          if (bar) bars.push(bar);
          return 'more';
        },
      );
      return bars;
    } finally {
      done();
    }
  }

  /** The connection is gone: waiting requests fail, and nothing answered on it is shared any more. */
  connectionDropped(reason: string): void {
    this.gate.clear(new VenueError('venue-disconnected', `The venue disconnected before historical data could be asked for (${reason}).`));
    this.recent.clear();
  }
}

const BAR_UNITS: Readonly<Record<string, number>> = { sec: 1, secs: 1, min: 60, mins: 60, hour: 3600, hours: 3600, day: 86_400, days: 86_400, week: 604_800, month: 2_592_000 };

function barSizeSeconds(barSize: string): number {
  const m = /^(\d+)\s+(\w+)$/.exec(barSize.trim());
  return m ? Number(m[1]) * (BAR_UNITS[m[2] as string] ?? 86_400) : 86_400;
}
