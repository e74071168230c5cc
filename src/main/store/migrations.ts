/** Schema changes, applied in order, each once, each in its own transaction. Never edit a shipped one. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'desk metadata',
    sql: `CREATE TABLE desk_meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
          ) STRICT;`,
  },
  {
    version: 2,
    name: 'venue memory: order id high-water mark and executions seen',
    sql: `CREATE TABLE venue_state (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
          ) STRICT;
          CREATE TABLE venue_executions (
            exec_id TEXT PRIMARY KEY,
            time    INTEGER NOT NULL,
            seen_at INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX venue_executions_by_time ON venue_executions (time);`,
  },
];
