import type { Database } from 'better-sqlite3';

/**
 * Schema migrations, applied in order; the file's `user_version` is the number applied. Append only:
 * never edit a migration that has shipped.
 */
const MIGRATIONS: readonly string[] = [
  // Positions are assigned by the store (chain head + 1) inside the write lock, so AUTOINCREMENT would add
  // nothing but a sqlite_sequence page write to every commit. The UNIQUE index serves stream reads; the
  // type index leaves out the per-call types (the bulk of the log, where a filter is a scan anyway) so that
  // a tool call's append does not write one more page.
  `CREATE TABLE events (
     position       INTEGER PRIMARY KEY,
     stream_id      TEXT    NOT NULL,
     stream_version INTEGER NOT NULL,
     type           TEXT    NOT NULL,
     schema_version INTEGER NOT NULL,
     data           TEXT    NOT NULL,
     metadata       TEXT    NOT NULL,
     occurred_at    TEXT    NOT NULL,
     hash           TEXT    NOT NULL,
     UNIQUE (stream_id, stream_version)
   );
   CREATE INDEX events_by_type ON events (type, position) WHERE type NOT IN ('ToolInvoked', 'ToolInvocationFailed');`,
  // Snapshots of streams' folded state (see SqliteSnapshotStore): a cache of the events, never a record.
  // `version` is the fold's version; rows of another version are ignored and, at the next save, deleted.
  `CREATE TABLE snapshots (
     stream_id      TEXT    NOT NULL,
     version        TEXT    NOT NULL,
     stream_version INTEGER NOT NULL,
     position       INTEGER NOT NULL,
     occurred_at    TEXT    NOT NULL,
     data           TEXT    NOT NULL,
     PRIMARY KEY (stream_id, version, stream_version)
   );`,
  // The read model of tool calls (sqlite-invocations.ts keeps it and says why it is kept in batches, not by
  // an insert trigger). Its rows are filled here from the events already stored; `read_models` holds the
  // position up to which the store has read the events into it. A deleted event takes its row with it.
  // Times are milliseconds since the epoch: a third of the size of the ISO text in the table and in each
  // index that ends in them.
  `CREATE TABLE invocations (
     position       INTEGER PRIMARY KEY REFERENCES events (position),
     provider       TEXT    NOT NULL,
     instance       TEXT,
     tool           TEXT,
     outcome        TEXT,
     duration_ms    REAL,
     occurred_ms    INTEGER NOT NULL,
     caller         TEXT,
     correlation_id TEXT
   );
   CREATE INDEX invocations_by_provider ON invocations (provider, occurred_ms);
   CREATE INDEX invocations_by_time ON invocations (occurred_ms);
   CREATE INDEX invocations_by_caller ON invocations (caller, occurred_ms) WHERE caller IS NOT NULL;
   CREATE INDEX invocations_by_correlation ON invocations (correlation_id);
   CREATE INDEX invocations_by_tool ON invocations (tool, occurred_ms);
   CREATE INDEX invocations_not_success ON invocations (occurred_ms) WHERE outcome <> 'success';
   CREATE TRIGGER invocations_follow_deletes AFTER DELETE ON events WHEN old.type IN ('ToolInvoked', 'ToolInvocationFailed')
   BEGIN
     DELETE FROM invocations WHERE position = old.position;
   END;
   CREATE TABLE read_models (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO invocations (position, provider, instance, tool, outcome, duration_ms, occurred_ms, caller, correlation_id)
   SELECT position,
          CASE instr(substr(stream_id, 10), '@') WHEN 0 THEN substr(stream_id, 10) ELSE substr(stream_id, 10, instr(substr(stream_id, 10), '@') - 1) END,
          CASE instr(substr(stream_id, 10), '@') WHEN 0 THEN NULL ELSE substr(stream_id, 10 + instr(substr(stream_id, 10), '@')) END,
          json_extract(data, '$.tool'),
          CASE type WHEN 'ToolInvoked' THEN json_extract(data, '$.outcome') ELSE lower(json_extract(data, '$.errorCode')) END,
          json_extract(data, '$.durationMs'),
          coalesce(CAST(round(unixepoch(occurred_at, 'subsec') * 1000) AS INTEGER), 0),
          json_extract(metadata, '$.caller'),
          json_extract(data, '$.correlationId')
     FROM events
    WHERE type IN ('ToolInvoked', 'ToolInvocationFailed') AND substr(stream_id, 1, 9) = 'provider-' AND json_valid(data) AND json_valid(metadata);
   INSERT INTO read_models (name, position) SELECT 'invocations', coalesce(max(position), 0) FROM events;`,
  // Retention (see retention.ts): a prune deletes per-call events that an export holds. `chain_links` keeps,
  // for each kept row whose predecessors were pruned, where that run of pruned rows began and the hash of its
  // last row (the hash this row links to), so the chain of what remains still verifies and a kept row
  // deleted later is still found; `prunes` records each prune and where its export went.
  `CREATE TABLE chain_links (
     position      INTEGER PRIMARY KEY,
     gap_from      INTEGER NOT NULL,
     previous_hash TEXT    NOT NULL
   );
   CREATE TABLE prunes (
     id               INTEGER PRIMARY KEY,
     through_position INTEGER NOT NULL,
     through_time     TEXT    NOT NULL,
     through_hash     TEXT    NOT NULL,
     before           TEXT    NOT NULL,
     export_path      TEXT    NOT NULL,
     export_sha256    TEXT    NOT NULL,
     events           INTEGER NOT NULL,
     pruned_at        TEXT    NOT NULL
   );`,
];

/** Types left out of `events_by_type`; a query uses the index only when it repeats this exclusion verbatim. */
export const UNINDEXED_TYPES: readonly string[] = ['ToolInvoked', 'ToolInvocationFailed'];
export const UNINDEXED_TYPES_SQL = "type NOT IN ('ToolInvoked', 'ToolInvocationFailed')";

/** The schema version this build writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const userVersion = (db: Database): number => db.pragma('user_version', { simple: true }) as number;

const assertNotNewer = (db: Database, version: number): void => {
  if (version > SCHEMA_VERSION) {
    throw new Error(`event store ${db.name} has schema version ${version}; this build knows up to ${SCHEMA_VERSION}`);
  }
};

/**
 * Brings the file's schema up to date (or up to `target`, for tests that make an older store), in one
 * IMMEDIATE transaction so that two processes cannot both migrate.
 */
export function migrate(db: Database, target = SCHEMA_VERSION): void {
  db.transaction(() => {
    const from = userVersion(db);
    assertNotNewer(db, from);
    for (let v = from; v < target; v++) db.exec(MIGRATIONS[v] as string);
    if (from < target) db.pragma(`user_version = ${target}`);
  }).immediate();
}

/** For read-only opens: the file must already be an event store at this build's schema version. */
export function assertMigrated(db: Database): void {
  const version = userVersion(db);
  assertNotNewer(db, version);
  if (version < SCHEMA_VERSION) {
    throw new Error(
      `event store ${db.name} is at schema version ${version}, not ${SCHEMA_VERSION}; open it for writing once to migrate ` +
        '(start the hangar once with this version: `mcp-hangar serve` upgrades it, in a few seconds for a long history)',
    );
  }
}

/**
 * Readies a connection for appends: WAL journal, NORMAL sync, schema migrated. In WAL mode NORMAL makes a
 * commit durable once it is in the WAL file: it survives a crash of the hangar process (the OS holds the
 * written pages); fsync happens at checkpoints, so only an OS crash or power loss can lose the last
 * commits, never corrupt the file. FULL would fsync every append.
 */
export function prepareForWriting(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  migrate(db);
}
