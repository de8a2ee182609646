import type { InvocationFilter, InvocationOutcome, InvocationRecord, RecordedArguments } from '../../application/ports/invocation-audit.js';
import type { InstanceId, ProviderId } from '../../domain/shared/ids.js';

/** The event types the audit read model holds: one per tool call on a known provider. */
export const INVOCATION_TYPES: readonly string[] = ['ToolInvoked', 'ToolInvocationFailed'];

/** The outcomes of a call that ended with a result; every other outcome is a failure's error code. */
export const RESULT_OUTCOMES: readonly string[] = ['success', 'tool_error'];

/** `arguments` of a ToolInvoked / ToolInvocationFailed data as recorded, or null when absent or not of that shape. */
export const recordedArguments = (value: unknown): RecordedArguments | null => {
  if (value === null || typeof value !== 'object') return null;
  const { json, truncated, bytes } = value as Record<string, unknown>;
  if (typeof json !== 'string' || typeof truncated !== 'boolean' || typeof bytes !== 'number') return null;
  return { json, truncated, bytes };
};

/** Where a page starts: the call a `before` cursor names. */
export interface InvocationCursor {
  readonly occurredAt: string;
  readonly position: number;
}

/** The audit order, newest first: the later time first, then the higher position (calls of one millisecond). */
export const newestFirst = (a: InvocationCursor, b: InvocationCursor): number =>
  a.occurredAt === b.occurredAt ? b.position - a.position : a.occurredAt < b.occurredAt ? 1 : -1;

/** Whether `record` passes every filter of `filter`, and comes after `cursor` in the audit order. */
export const matchesInvocation = (record: InvocationRecord, filter: InvocationFilter, cursor: InvocationCursor | undefined): boolean =>
  (filter.provider === undefined || record.provider === filter.provider) &&
  (filter.tool === undefined || record.tool === filter.tool) &&
  (filter.since === undefined || record.occurredAt >= filter.since) &&
  (filter.until === undefined || record.occurredAt < filter.until) &&
  (filter.outcome === undefined || (filter.outcome === 'failed' ? !RESULT_OUTCOMES.includes(record.outcome) : record.outcome === filter.outcome)) &&
  (filter.correlationId === undefined || record.correlationId === filter.correlationId) &&
  (filter.caller === undefined || record.caller === filter.caller) &&
  (cursor === undefined || newestFirst(cursor, record) < 0);

/** The outcome an invocation event records. */
export const outcomeOf = (type: string, data: { readonly outcome?: unknown; readonly errorCode?: unknown }): InvocationOutcome =>
  String(type === 'ToolInvoked' ? data.outcome : typeof data.errorCode === 'string' ? data.errorCode.toLowerCase() : data.errorCode) as InvocationOutcome;

/** The columns of a read-model row, as SQL or a scan yields them. */
export interface InvocationColumns {
  readonly position: number;
  readonly provider: string;
  readonly instance: string | null;
  readonly tool: unknown;
  readonly outcome: unknown;
  readonly durationMs: unknown;
  readonly occurredAt: string;
  readonly caller: unknown;
  readonly correlationId: unknown;
}

const textOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * A read-model row as an {@link InvocationRecord}. The row was derived from an event the store wrote, so
 * its fields have their types; a row of an altered event (which `audit verify` reports) is shown as far as
 * it can be, never thrown on.
 */
export const invocationRecord = (
  row: InvocationColumns,
  recorded: { readonly arguments: RecordedArguments | null; readonly argumentsDigest: string | null },
): InvocationRecord => ({
  position: row.position,
  occurredAt: row.occurredAt,
  provider: row.provider as ProviderId,
  instance: row.instance as InstanceId | null,
  tool: typeof row.tool === 'string' ? row.tool : String(row.tool),
  outcome: String(row.outcome) as InvocationOutcome,
  durationMs: typeof row.durationMs === 'number' ? row.durationMs : Number(row.durationMs),
  caller: textOrNull(row.caller),
  correlationId: textOrNull(row.correlationId),
  arguments: recorded.arguments,
  argumentsDigest: recorded.argumentsDigest,
});
