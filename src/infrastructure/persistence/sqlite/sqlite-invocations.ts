import type Database from 'better-sqlite3';
import { UnknownInvocationCursor, type InvocationFilter, type InvocationPage } from '../../../application/ports/invocation-audit.js';
import { invocationRecord, recordedArguments, type InvocationColumns, type InvocationCursor } from '../invocation-records.js';

type Statement = Database.Statement<unknown[], unknown>;

/** The events the model holds: tool calls in a provider stream, whose JSON json_extract can read. */
const INVOCATION_EVENTS =
  "type IN ('ToolInvoked', 'ToolInvocationFailed') AND substr(stream_id, 1, 9) = 'provider-' AND json_valid(data) AND json_valid(metadata)";

// The stream id is `provider-<id>@<instance>`, or `provider-<id>` in stores from before instances
// (src/domain/shared/streams.ts); `@` cannot occur in a provider id. `at` is the `@`'s place after `provider-`.
const AT = "instr(substr(stream_id, 10), '@')";

/** A model row computed from an event row, in the model's column order (the migration's backfill computes the same). */
const FROM_EVENT = `position,
  CASE ${AT} WHEN 0 THEN substr(stream_id, 10) ELSE substr(stream_id, 10, ${AT} - 1) END,
  CASE ${AT} WHEN 0 THEN NULL ELSE substr(stream_id, 10 + ${AT}) END,
  json_extract(data, '$.tool'),
  CASE type WHEN 'ToolInvoked' THEN json_extract(data, '$.outcome') ELSE lower(json_extract(data, '$.errorCode')) END,
  json_extract(data, '$.durationMs'),
  occurred_at,
  json_extract(metadata, '$.caller'),
  json_extract(data, '$.correlationId')`;

const MODEL_COLUMNS = 'position, provider, instance, tool, outcome, duration_ms, occurred_at, caller, correlation_id';
const AS_RECORD = 'position, provider, instance, tool, outcome, duration_ms AS durationMs, occurred_at AS occurredAt, caller, correlation_id AS correlationId';
const CHECKPOINT = "(SELECT position FROM read_models WHERE name = 'invocations')";
const NEWEST_FIRST = 'ORDER BY occurred_at DESC, position DESC';

/**
 * The audit read model in the SQLite store: the `invocations` table (one row per ToolInvoked or
 * ToolInvocationFailed, keyed by the event's position; see migrations.ts for its indexes) and the position
 * up to which it has read the events (`read_models`).
 *
 * The writer fills it in batches ({@link catchUp}, called by the store off the latency path) rather than
 * with an insert trigger: the trigger's five more B-tree writes and JSON extraction in every append's
 * transaction cost about as much again as the append itself (measured; see docs/architecture.md). A query
 * reads the table and, for the events past its checkpoint (those of the last batch not yet read, or what a
 * hangar that died left), the same columns computed from the events themselves: its answers are always
 * as complete as the log, whether or not a batch has run, and read-only connections need no writer.
 */
export class SqliteInvocations {
  private readonly statements = new Map<string, Statement>();
  private readonly catchUpTx: Database.Transaction<(maxEvents: number) => number>;

  constructor(private readonly db: Database.Database) {
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
   * its own; returns how many events it covered (0: the model is up to date).
   */
  catchUp(maxEvents: number): number {
    return this.catchUpTx.immediate(maxEvents);
  }

  /** How many events the table has not read yet (the tail a query computes from the events). */
  behind(): number {
    return this.statement(`SELECT coalesce(max(position), 0) - ${CHECKPOINT} FROM events`).pluck().get() as number;
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
      where.push('occurred_at >= @since');
      params['since'] = filter.since;
    }
    if (filter.until !== undefined) {
      where.push('occurred_at < @until');
      params['until'] = filter.until;
    }
    if (filter.outcome === 'failed') where.push("outcome NOT IN ('success', 'tool_error')");
    else equal('outcome', 'outcome');
    if (filter.before !== undefined) {
      const cursor = this.cursor(filter.before);
      // The first term bounds the index range; the second orders calls of the same millisecond.
      where.push('occurred_at <= @beforeAt AND (occurred_at < @beforeAt OR position < @beforePosition)');
      params['beforeAt'] = cursor.occurredAt;
      params['beforePosition'] = cursor.position;
    }
    const conditions = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    // Each side is ordered and limited on its own, so that the table side reads its index in order and
    // stops at the limit; the tail holds the events of at most one batch or so.
    const sql = `WITH tail (${MODEL_COLUMNS}) AS (SELECT ${FROM_EVENT} FROM events WHERE position > ${CHECKPOINT} AND ${INVOCATION_EVENTS})
      SELECT * FROM (SELECT ${AS_RECORD} FROM invocations ${conditions} ${NEWEST_FIRST} LIMIT @limit)
      UNION ALL
      SELECT * FROM (SELECT ${AS_RECORD} FROM tail ${conditions} ${NEWEST_FIRST} LIMIT @limit)
      ORDER BY occurredAt DESC, position DESC LIMIT @limit`;
    const rows = this.statement(sql).all(params) as InvocationColumns[];
    const page = rows.slice(0, filter.limit);
    const recorded = this.recordedArguments(page.map((row) => row.position));
    return {
      invocations: page.map((row) => invocationRecord(row, recorded.get(row.position) ?? { arguments: null, argumentsDigest: null })),
      nextBefore: rows.length > filter.limit ? (page[page.length - 1] as InvocationColumns).position : null,
    };
  }

  /** The call at `position`, where a `before` cursor starts; throws when there is none. */
  private cursor(position: number): InvocationCursor {
    const occurredAt = this.statement(
      "SELECT occurred_at FROM events WHERE position = ? AND type IN ('ToolInvoked', 'ToolInvocationFailed') AND substr(stream_id, 1, 9) = 'provider-'",
    )
      .pluck()
      .get(position) as string | undefined;
    if (occurredAt === undefined) throw new UnknownInvocationCursor(position);
    return { occurredAt, position };
  }

  /** The arguments (or their digest) of the events at `positions`: one lookup by primary key each. */
  private recordedArguments(positions: readonly number[]) {
    const found = new Map<number, { arguments: ReturnType<typeof recordedArguments>; argumentsDigest: string | null }>();
    if (positions.length === 0) return found;
    const rows = this.statement(
      "SELECT position, json_extract(data, '$.arguments') AS args, json_extract(data, '$.argumentsDigest') AS digest FROM events WHERE position IN (SELECT value FROM json_each(?)) AND json_valid(data)",
    ).all(JSON.stringify(positions)) as { position: number; args: unknown; digest: unknown }[];
    for (const row of rows) {
      let args: ReturnType<typeof recordedArguments> = null;
      try {
        args = typeof row.args === 'string' ? recordedArguments(JSON.parse(row.args)) : null;
      } catch {
        // not JSON after all: shown as not recorded
      }
      found.set(row.position, { arguments: args, argumentsDigest: typeof row.digest === 'string' ? row.digest : null });
    }
    return found;
  }

  /** Prepared once per distinct SQL text (the filter combinations are few). */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
