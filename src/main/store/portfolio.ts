import type { Database } from './database';

/** One trading day's equity anchors and counters (the portfolio's DayRecord). */
export interface PortfolioDayRow {
  readonly day: string;
  readonly startEquity: number;
  readonly minEquity: number;
  readonly maxEquity: number;
  readonly realizedPnl: number;
  readonly commissions: number;
  readonly trades: number;
  readonly lastTradeAt?: number;
  readonly startedAt: number;
  readonly updatedAt: number;
}

interface DayDbRow {
  day: string;
  start_equity: number;
  min_equity: number;
  max_equity: number;
  realized_pnl: number;
  commissions: number;
  trades: number;
  last_trade_at: number | null;
  started_at: number;
  updated_at: number;
}

/**
 * What the portfolio keeps across restarts, in the mode's database (migration 5): each trading day's
 * start equity, min/max, realized P&L, commissions and trades, and the all-time equity high, so a
 * restart mid-day keeps the day's anchors.
 */
export class PortfolioRepository {
  private readonly getDay;
  private readonly putDay;
  private readonly getHigh;
  private readonly putHigh;
  private readonly saveBoth;

  constructor(db: Database) {
    this.getDay = db.prepare<[string], DayDbRow>('SELECT * FROM portfolio_days WHERE day = ?');
    this.putDay = db.prepare(
      `INSERT INTO portfolio_days (day, start_equity, min_equity, max_equity, realized_pnl, commissions, trades, last_trade_at, started_at, updated_at)
       VALUES (@day, @startEquity, @minEquity, @maxEquity, @realizedPnl, @commissions, @trades, @lastTradeAt, @startedAt, @updatedAt)
       ON CONFLICT (day) DO UPDATE SET
         start_equity = excluded.start_equity, min_equity = excluded.min_equity, max_equity = excluded.max_equity,
         realized_pnl = excluded.realized_pnl, commissions = excluded.commissions, trades = excluded.trades,
         last_trade_at = excluded.last_trade_at, started_at = excluded.started_at, updated_at = excluded.updated_at`,
    );
    this.getHigh = db.prepare<[], { equity: number; at: number }>('SELECT equity, at FROM portfolio_high WHERE id = 1');
    this.putHigh = db.prepare(
      `INSERT INTO portfolio_high (id, equity, at) VALUES (1, @equity, @at)
       ON CONFLICT (id) DO UPDATE SET equity = excluded.equity, at = excluded.at WHERE excluded.equity > portfolio_high.equity`,
    );
    this.saveBoth = db.transaction((day: PortfolioDayRow, high: { equity: number; at: number }) => {
      this.putDay.run({ ...day, lastTradeAt: day.lastTradeAt ?? null });
      this.putHigh.run(high);
    });
  }

  loadDay(day: string): PortfolioDayRow | undefined {
    const r = this.getDay.get(day);
    if (!r) return undefined;
    return {
      day: r.day,
      startEquity: r.start_equity,
      minEquity: r.min_equity,
      maxEquity: r.max_equity,
      realizedPnl: r.realized_pnl,
      commissions: r.commissions,
      trades: r.trades,
      ...(r.last_trade_at === null ? {} : { lastTradeAt: r.last_trade_at }),
      startedAt: r.started_at,
      updatedAt: r.updated_at,
    };
  }

  loadHigh(): { equity: number; at: number } | undefined {
    return this.getHigh.get();
  }

  /** The day's row and the all-time high (raised, never lowered), in one transaction. */
  save(day: PortfolioDayRow, high: { equity: number; at: number }): void {
    this.saveBoth(day, high);
  }
}
