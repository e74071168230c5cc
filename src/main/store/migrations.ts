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
];
