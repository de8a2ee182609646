import type Database from 'better-sqlite3';
import { UnknownInvocationCursor, type InvocationFilter, type InvocationPage, type RecordedArguments } from '../../../application/ports/invocation-audit.js';
import { invocationRecord, recordedArguments, type InvocationColumns } from '../invocation-records.js';
import type { StatementCache } from './sqlite-support.js';

type Statement = Database.Statement<unknown[], unknown>;

/** A model row as a query reads it: the time in milliseconds since the epoch. */
type ModelRow = Omit<InvocationColumns, 'occurredAt'> & { readonly occurredMs: number };

/** What a page takes from the events themselves: the time as recorded, and the arguments (or their digest). */
interface PageEvent {
  readonly occurredAt: string;
  readonly arguments: RecordedArguments | null;
  readonly argumentsDigest: string | null;
}

/** The events the model holds: tool calls in a provider stream, whose JSON json_extract can read. */
const INVOCATION_EVENTS =
  "type IN ('ToolInvoked', 'ToolInvocationFailed') AND substr(stream_id, 1, 9) = 'provider-' AND json_valid(data) AND json_valid(metadata)";

/** An event's ISO time in milliseconds since the epoch (0 for a text SQLite cannot read as a time: the store never writes one). */
const MS_OF_EVENT = "coalesce(CAST(round(unixepoch(occurred_at, 'subsec') * 1000) AS INTEGER), 0)";

// The stream id is `provider-<id>@<instance>`, or `provider-<id>` in stores from before instances
// (src/domain/shared/streams.ts); `@` cannot occur in a provider id. AT is the `@`'s place after `provider-`.
const AT = "instr(substr(stream_id, 10), '@')";

/** A model row computed from an event row, in MODEL_COLUMNS order (the migration's backfill computes the same). */
const FROM_EVENT = `position,
  CASE ${AT} WHEN 0 THEN substr(stream_id, 10) ELSE substr(stream_id, 10, ${AT} - 1) END,
  CASE ${AT} WHEN 0 THEN NULL ELSE substr(stream_id, 10 + ${AT}) END,
  json_extract(data, '$.tool'),
  CASE type WHEN 'ToolInvoked' THEN json_extract(data, '$.outcome') ELSE lower(json_extract(data, '$.errorCode')) END,
  json_extract(data, '$.durationMs'),
  ${MS_OF_EVENT},
  json_extract(metadata, '$.caller'),
  json_extract(data, '$.correlationId')`;

const MODEL_COLUMNS = 'position, provider, instance, tool, outcome, duration_ms, occurred_ms, caller, correlation_id';
const AS_ROW = 'position, provider, instance, tool, outcome, duration_ms AS durationMs, occurred_ms AS occurredMs, caller, correlation_id AS correlationId';
const CHECKPOINT = "(SELECT position FROM read_models WHERE name = 'invocations')";
const NEWEST_FIRST = 'ORDER BY occurred_ms DESC, position DESC';

/**
 * The audit read model in the SQLite store: the `invocations` table (one row per ToolInvoked or
 * ToolInvocationFailed, keyed by the event's position) and the position up to which it has read the events
 * (`read_models`). `outcome` is `success`, `tool_error`, or a failed call's error code in lower case, as
 * the metrics label it; times are milliseconds since the epoch (`occurred_ms`).
 *
 * Newest first is `occurred_ms DESC, position DESC`, and every index ends in `occurred_ms` (then, implicitly,
 * the rowid: the position), so that a query of one filter reads its rows in that order and stops at its
 * limit: `(provider, occurred_ms)`, `(occurred_ms)`, `(tool, occurred_ms)`, `(caller, occurred_ms)` where a
 * caller was recorded (HTTP; stdio calls pay nothing for it), `(correlation_id)`, and `(occurred_ms)` of the
 * calls that did not succeed (rare: a filter on a failure reads only those). Filters the indexes do not
 * combine are checked on the rows of the one index the planner picks, until the page is full.
 *
 * The writer fills it in batches ({@link catchUp}, called by the store off the latency path) rather than
 * with an insert trigger: the trigger's B-tree writes and JSON extraction inside every append's transaction
 * cost about as much again as the append itself (measured; see docs/architecture.md). A query reads the
 * table and, for the events past its checkpoint (those the next batch will read, or what a hangar that died
 * left), the same columns computed from the events themselves: its answers are as complete as the log
 * whether or not a batch has run, and a read-only connection needs no writer.
 */
export class SqliteInvocations {
  private readonly catchUpTx: Database.Transaction<(maxEvents: number) => number>;

  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
  ) {
    this.catchUpTx = db.transaction((maxEvents: number) => {
      const from = this.statement(`SELECT ${CHECKPOINT}`).pluck().get() as number;
      const head = this.statement('SELECT coalesce(max(position), 0) FROM events').pluck().get() as number;
      const to = Math.min(head, from + maxEvents);
      if (to <= from) return 0;
      this.statement(
        `INSERT OR IGNORE INTO invocations (${MODEL_COLUMNS}) SELECT ${FROM_EVENT} FROM events WHERE position > ? AND position <= ? AND ${INVOCATION_EVENTS}`,
      ).run(from, to);
      this.statement("UPDATE read_models SET position = ? WHERE name = 'invocations'").run(to);
      return to - from;
    });
  }

  /**
   * Reads at most `maxEvents` events past the checkpoint into the table, in one IMMEDIATE transaction of
   * its own; returns how many events it covered (fewer than `maxEvents`: the model has read every event).
   */
  catchUp(maxEvents: number): number {
    return this.catchUpTx.immediate(maxEvents);
  }

  /** A page of the calls that pass `filter`, newest first, with the arguments as recorded read for that page only. */
  page(filter: InvocationFilter): InvocationPage {
    const params: Record<string, unknown> = { limit: filter.limit + 1 };
    const where: string[] = [];
    const equal = (column: string, name: keyof InvocationFilter) => {
      if (filter[name] === undefined) return;
      where.push(`${column} = @${name}`);
      params[name] = filter[name];
    };
    equal('provider', 'provider');
    equal('tool', 'tool');
    equal('correlation_id', 'correlationId');
    equal('caller', 'caller');
    if (filter.since !== undefined) {
      where.push('occurred_ms >= @since');
      params['since'] = Date.parse(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('occurred_ms < @until');
      params['until'] = Date.parse(filter.until);
    }
    // Every outcome but success is rare: `outcome <> 'success'`, written as the partial index
    // invocations_not_success says it, lets the planner read that index (and only those rows).
    if (filter.outcome === 'failed') where.push("outcome <> 'success' AND outcome <> 'tool_error'");
    else if (filter.outcome !== undefined && filter.outcome !== 'success') {
      where.push("outcome <> 'success'");
      equal('outcome', 'outcome');
    } else equal('outcome', 'outcome');
    if (filter.before !== undefined) {
      const cursor = this.cursor(filter.before);
      // The first term bounds the index range; the second orders the calls of one millisecond.
      where.push('occurred_ms <= @beforeMs AND (occurred_ms < @beforeMs OR position < @beforePosition)');
      params['beforeMs'] = cursor.occurredMs;
      params['beforePosition'] = cursor.position;
    }
    const conditions = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    // Each side is ordered and limited on its own, so that the table side reads its index in order and
    // stops at the limit; the tail holds the events of about one batch.
    const sql = `WITH tail (${MODEL_COLUMNS}) AS (SELECT ${FROM_EVENT} FROM events WHERE position > ${CHECKPOINT} AND ${INVOCATION_EVENTS})
      SELECT * FROM (SELECT ${AS_ROW} FROM invocations ${conditions} ${NEWEST_FIRST} LIMIT @limit)
      UNION ALL
      SELECT * FROM (SELECT ${AS_ROW} FROM tail ${conditions} ${NEWEST_FIRST} LIMIT @limit)
      ORDER BY occurredMs DESC, position DESC LIMIT @limit`;
    const rows = this.statement(sql).all(params) as ModelRow[];
    const page = rows.slice(0, filter.limit);
    const events = this.pageEvents(page.map((row) => row.position));
    return {
      invocations: page.map((row) => {
        const event = events.get(row.position);
        // The time as the event holds it (the store writes it as `Date.toISOString` does).
        const occurredAt = event?.occurredAt ?? new Date(row.occurredMs).toISOString();
        return invocationRecord({ ...row, occurredAt }, event ?? { arguments: null, argumentsDigest: null });
      }),
      nextBefore: rows.length > filter.limit ? (page[page.length - 1] as ModelRow).position : null,
    };
  }

  /** The call at `position`, where a `before` cursor starts; throws when there is none. */
  private cursor(position: number): { readonly occurredMs: number; readonly position: number } {
    const occurredMs = this.statement(
      `SELECT ${MS_OF_EVENT} FROM events WHERE position = ? AND type IN ('ToolInvoked', 'ToolInvocationFailed') AND substr(stream_id, 1, 9) = 'provider-'`,
    )
      .pluck()
      .get(position) as number | undefined;
    if (occurredMs === undefined) throw new UnknownInvocationCursor(position);
    return { occurredMs, position };
  }

  /** The time as recorded and the arguments (or their digest) of the events at `positions`: one lookup by primary key each. */
  private pageEvents(positions: readonly number[]): Map<number, PageEvent> {
    const found = new Map<number, PageEvent>();
    if (positions.length === 0) return found;
    const rows = this.statement(
      "SELECT position, occurred_at AS occurredAt, json_extract(data, '$.arguments') AS args, json_extract(data, '$.argumentsDigest') AS digest FROM events WHERE position IN (SELECT value FROM json_each(?)) AND json_valid(data)",
    ).all(JSON.stringify(positions)) as { position: number; occurredAt: string; args: unknown; digest: unknown }[];
    for (const row of rows) {
      let args: RecordedArguments | null = null;
      try {
        args = typeof row.args === 'string' ? recordedArguments(JSON.parse(row.args)) : null;
      } catch {
        // not JSON after all: shown as not recorded
      }
      found.set(row.position, { occurredAt: row.occurredAt, arguments: args, argumentsDigest: typeof row.digest === 'string' ? row.digest : null });
    }
    return found;
  }

  private statement(sql: string): Statement {
    return this.statements.get(sql);
  }
}
