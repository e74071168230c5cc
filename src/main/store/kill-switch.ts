import type { Database } from './database';

/** A kill switch triggered and not yet verified flat at the venue. */
export interface UnfinishedKillSwitch {
  readonly reason: string;
  readonly startedAt: number;
  /** Runs so far (the trigger's, then each one it carried on with). */
  readonly attempts: number;
}

/**
 * The kill switch still pending, in the mode's database: a restart (or a mode switch and back) carries
 * the procedure on and keeps re-arming refused until flat is verified.
 */
export class KillSwitchRepository {
  private readonly get;
  private readonly put;
  private readonly del;

  constructor(db: Database) {
    this.get = db.prepare<[], { reason: string; started_at: number; attempts: number }>('SELECT reason, started_at, attempts FROM kill_switch WHERE id = 1');
    this.put = db.prepare(
      `INSERT INTO kill_switch (id, reason, started_at, attempts) VALUES (1, @reason, @startedAt, @attempts)
       ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, started_at = excluded.started_at, attempts = excluded.attempts`,
    );
    this.del = db.prepare('DELETE FROM kill_switch');
  }

  unfinished(): UnfinishedKillSwitch | undefined {
    const row = this.get.get();
    return row && { reason: row.reason, startedAt: row.started_at, attempts: row.attempts };
  }

  /** Durable before it returns. */
  save(k: UnfinishedKillSwitch): void {
    this.put.run({ reason: k.reason, startedAt: k.startedAt, attempts: k.attempts });
  }

  /** Flat verified at the venue. */
  clear(): void {
    this.del.run();
  }
}
