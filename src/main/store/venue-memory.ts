import type { Database } from './database';

const HWM_KEY = 'order_id_high_water_mark';

/**
 * What the venue adapter must remember across restarts, in the mode's database: the highest order id
 * ever used (so no id is reused, whatever TWS's nextValidId says) and the executions already seen
 * (so a fill replayed by a resync is applied exactly once).
 */
export class VenueMemoryRepository {
  private readonly getHwm;
  private readonly putHwm;
  private readonly insertExec;
  private readonly hasExec;
  private readonly lastExec;
  private readonly prune;

  constructor(db: Database) {
    this.getHwm = db.prepare<[string], { value: string }>('SELECT value FROM venue_state WHERE key = ?');
    this.putHwm = db.prepare(
      `INSERT INTO venue_state (key, value) VALUES (@key, @value)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value
       WHERE CAST(excluded.value AS INTEGER) > CAST(venue_state.value AS INTEGER)`,
    );
    this.insertExec = db.prepare('INSERT OR IGNORE INTO venue_executions (exec_id, time, seen_at) VALUES (?, ?, ?)');
    this.hasExec = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM venue_executions WHERE exec_id = ?');
    this.lastExec = db.prepare<[], { t: number | null }>('SELECT MAX(time) AS t FROM venue_executions');
    this.prune = db.prepare('DELETE FROM venue_executions WHERE time < ?');
  }

  orderIdHighWaterMark(): number {
    return Number(this.getHwm.get(HWM_KEY)?.value ?? 0);
  }

  /** Raises the high-water mark to `id` (never lowers it); durable before it returns. */
  recordOrderId(id: number): void {
    this.putHwm.run({ key: HWM_KEY, value: String(id) });
  }

  hasSeenExecution(execId: string): boolean {
    return this.hasExec.get(execId) !== undefined;
  }

  /** True the first time an execution id is seen. */
  markExecutionSeen(execId: string, time: number): boolean {
    return this.insertExec.run(execId, time, Date.now()).changes === 1;
  }

  lastExecutionTime(): number | undefined {
    return this.lastExec.get()?.t ?? undefined;
  }

  /** Forgets executions older than `before` (IB reports executions of the last days only). */
  pruneExecutions(before: number): number {
    return this.prune.run(before).changes;
  }
}
