import { ERROR_CODES, type ErrorCode } from '../../domain/shared/errors.js';
import type { InstanceId, ProviderId } from '../../domain/shared/ids.js';

/**
 * How a recorded tool call ended: with a result (`success`, or `tool_error` when the tool said `isError`),
 * or without one — then the failure's error code in lower case (`timeout`, `provider_crashed`, ...).
 */
export type InvocationOutcome = 'success' | 'tool_error' | Lowercase<ErrorCode>;

/** Every outcome a recorded call can have, in that order. */
export const INVOCATION_OUTCOMES: readonly InvocationOutcome[] = [
  'success',
  'tool_error',
  ...ERROR_CODES.map((code) => code.toLowerCase() as Lowercase<ErrorCode>),
];

/** An outcome filter: one outcome, or `failed` for every call that ended without a result. */
export type OutcomeFilter = InvocationOutcome | 'failed';

/** What an audit query asks for; every filter is optional and they combine with AND. */
export interface InvocationFilter {
  readonly provider?: ProviderId | undefined;
  readonly tool?: string | undefined;
  /** Calls that occurred at or after this time (canonical ISO form, as `Date.toISOString` writes it). */
  readonly since?: string | undefined;
  /** Calls that occurred before this time (canonical ISO form). */
  readonly until?: string | undefined;
  readonly outcome?: OutcomeFilter | undefined;
  readonly correlationId?: string | undefined;
  /** Who made the call (an HTTP caller's token name or JWT subject). */
  readonly caller?: string | undefined;
  /**
   * The next page: only the calls that come after the call at this global position in the newest-first
   * order. A position that holds no recorded call throws {@link UnknownInvocationCursor}.
   */
  readonly before?: number | undefined;
  /** At most this many calls (a positive integer). */
  readonly limit: number;
}

/** The arguments of a call as recorded with `audit.record_arguments: full` (redacted, cut at the configured size). */
export interface RecordedArguments {
  /** The redacted arguments as JSON text, cut on a UTF-8 boundary when `truncated`. */
  readonly json: string;
  readonly truncated: boolean;
  /** The size of the whole redacted JSON, in bytes. */
  readonly bytes: number;
}

/** One recorded tool call. */
export interface InvocationRecord {
  /** The global position of its event (ToolInvoked or ToolInvocationFailed). */
  readonly position: number;
  readonly occurredAt: string;
  readonly provider: ProviderId;
  /** The hangar instance that served it; null in stores written before instances existed. */
  readonly instance: InstanceId | null;
  readonly tool: string;
  readonly outcome: InvocationOutcome;
  readonly durationMs: number;
  readonly caller: string | null;
  readonly correlationId: string | null;
  /** The arguments as recorded, when they were recorded in full; else null. */
  readonly arguments: RecordedArguments | null;
  /** The digest of the arguments, when one was recorded. */
  readonly argumentsDigest: string | null;
}

/** A page of an audit query, newest first. */
export interface InvocationPage {
  readonly invocations: readonly InvocationRecord[];
  /** Pass as `before` for the next page; null when this page holds the last matching call. */
  readonly nextBefore: number | null;
}

/** Thrown when `before` names a position that holds no recorded call (pruned, or never one). */
export class UnknownInvocationCursor extends Error {
  override readonly name = 'UnknownInvocationCursor';
  constructor(readonly position: number) {
    super(`no recorded tool call at position ${position}`);
  }
}

/**
 * The recorded tool calls, for audit queries: a read model of the ToolInvoked and ToolInvocationFailed
 * events, answered newest first — by time, then by position among calls of the same millisecond — and
 * bounded by the filter's limit.
 */
export interface InvocationAudit {
  invocations(filter: InvocationFilter): Promise<InvocationPage>;
}
