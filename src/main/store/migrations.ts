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
  {
    version: 3,
    name: "risk: trading state and its history, limits, the account monitor's day and challenge",
    sql: `CREATE TABLE risk_state (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            state      TEXT NOT NULL CHECK (state IN ('ACTIVE', 'REDUCING', 'HALTED')),
            reason     TEXT NOT NULL,
            latched    INTEGER NOT NULL CHECK (latched IN (0, 1)),
            changed_at INTEGER NOT NULL
          ) STRICT;
          CREATE TABLE risk_state_log (
            seq      INTEGER PRIMARY KEY AUTOINCREMENT,
            state    TEXT NOT NULL,
            previous TEXT NOT NULL,
            reason   TEXT NOT NULL,
            latched  INTEGER NOT NULL,
            at       INTEGER NOT NULL
          ) STRICT;
          CREATE TABLE risk_limits (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            limits     TEXT NOT NULL,
            updated_at INTEGER NOT NULL
          ) STRICT;
          CREATE TABLE risk_account (
            id                     INTEGER PRIMARY KEY CHECK (id = 1),
            trading_day            TEXT NOT NULL,
            daily_warned           REAL NOT NULL,
            daily_limit_hit        INTEGER NOT NULL,
            drawdown_warned        REAL NOT NULL,
            drawdown_limit_hit     INTEGER NOT NULL,
            drawdown_breached      INTEGER NOT NULL,
            challenge_status       TEXT NOT NULL CHECK (challenge_status IN ('ACTIVE', 'PASSED', 'FAILED')),
            challenge_start_equity REAL,
            challenge_changed_at   INTEGER NOT NULL
          ) STRICT;`,
  },
  {
    version: 4,
    name: 'order journal: orders, their write-ahead events, fills applied',
    sql: `CREATE TABLE orders (
            seq            INTEGER PRIMARY KEY AUTOINCREMENT,
            id             TEXT NOT NULL UNIQUE,
            instrument     TEXT NOT NULL,
            con_id         INTEGER NOT NULL,
            symbol         TEXT NOT NULL,
            side           TEXT NOT NULL,
            quantity       REAL NOT NULL,
            type           TEXT NOT NULL,
            limit_price    REAL,
            stop_price     REAL,
            tif            TEXT NOT NULL,
            outside_rth    INTEGER NOT NULL,
            reduce_only    INTEGER NOT NULL,
            origin         TEXT NOT NULL,
            state          TEXT NOT NULL,
            filled         REAL NOT NULL,
            avg_fill_price REAL NOT NULL,
            venue_order_id INTEGER,
            reason         TEXT,
            created_at     INTEGER NOT NULL,
            updated_at     INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX orders_open ON orders (state) WHERE state IN ('new', 'submitted', 'partially-filled');
          CREATE TABLE order_events (
            seq      INTEGER PRIMARY KEY AUTOINCREMENT,
            order_id TEXT NOT NULL REFERENCES orders (id),
            kind     TEXT NOT NULL,
            detail   TEXT NOT NULL,
            at       INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX order_events_by_order ON order_events (order_id, seq);
          CREATE TABLE fills (
            exec_id    TEXT PRIMARY KEY,
            order_id   TEXT NOT NULL,
            con_id     INTEGER NOT NULL,
            symbol     TEXT NOT NULL,
            side       TEXT NOT NULL,
            quantity   REAL NOT NULL,
            price      REAL NOT NULL,
            multiplier REAL NOT NULL,
            commission REAL NOT NULL,
            time       INTEGER NOT NULL
          ) STRICT;
          CREATE INDEX fills_by_order ON fills (order_id);`,
  },
  {
    version: 5,
    name: 'portfolio: each trading day’s equity anchors and counters, the all-time equity high',
    sql: `CREATE TABLE portfolio_days (
            day           TEXT PRIMARY KEY,
            start_equity  REAL NOT NULL,
            min_equity    REAL NOT NULL,
            max_equity    REAL NOT NULL,
            realized_pnl  REAL NOT NULL,
            commissions   REAL NOT NULL,
            trades        INTEGER NOT NULL,
            last_trade_at INTEGER,
            started_at    INTEGER NOT NULL,
            updated_at    INTEGER NOT NULL
          ) STRICT;
          CREATE TABLE portfolio_high (
            id     INTEGER PRIMARY KEY CHECK (id = 1),
            equity REAL NOT NULL,
            at     INTEGER NOT NULL
          ) STRICT;`,
  },
  {
    version: 6,
    name: 'order journal: the correlation id of each order and of each of its events',
    sql: `ALTER TABLE orders ADD COLUMN cid TEXT;
          ALTER TABLE order_events ADD COLUMN cid TEXT;`,
  },
  {
    version: 7,
    name: 'kill switch: the one not yet verified flat, carried on after a restart',
    sql: `CREATE TABLE kill_switch (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            reason     TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            attempts   INTEGER NOT NULL
          ) STRICT;`,
  },
  {
    version: 8,
    name: "workspace: the trader's watchlist (in order) and the charted instrument",
    sql: `CREATE TABLE workspace (
            id     INTEGER PRIMARY KEY CHECK (id = 1),
            chart  INTEGER,
            edited INTEGER NOT NULL
          ) STRICT;
          CREATE TABLE watchlist (
            position   INTEGER PRIMARY KEY,
            word       TEXT NOT NULL,
            instrument TEXT NOT NULL
          ) STRICT;`,
  },
  {
    version: 9,
    name: 'workspace: a revision counted up at every save (windows order edits by it, not by the clock)',
    sql: `ALTER TABLE workspace ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;`,
  },
];
