import { DomainError } from '../../domain/shared/errors.js';
import { isProviderId } from '../../domain/shared/ids.js';
import {
  INVOCATION_OUTCOMES,
  UnknownInvocationCursor,
  type InvocationAudit,
  type InvocationFilter,
  type InvocationPage,
  type OutcomeFilter,
} from '../ports/invocation-audit.js';

/** Calls a page holds when no limit is given. */
export const AUDIT_DEFAULT_LIMIT = 100;
/** The most calls one page may hold: a query's cost is bounded by its page. */
export const AUDIT_MAX_LIMIT = 10_000;

/** Every value the outcome filter takes: each outcome, and `failed` for any call that ended without a result. */
export const OUTCOME_FILTERS: readonly OutcomeFilter[] = [...INVOCATION_OUTCOMES, 'failed'];

/** An audit query as a person or an agent writes it: text that is checked here. */
export interface AuditQuery {
  readonly provider?: string | undefined;
  readonly tool?: string | undefined;
  /** An ISO date or time: calls at or after it. */
  readonly since?: string | undefined;
  /** An ISO date or time: calls before it. */
  readonly until?: string | undefined;
  /** An outcome (`success`, `tool_error`, an error code in either case) or `failed`. */
  readonly outcome?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly caller?: string | undefined;
  /** The position a previous page gave as its next cursor. */
  readonly before?: number | undefined;
  /** 1 to {@link AUDIT_MAX_LIMIT}; default {@link AUDIT_DEFAULT_LIMIT}. */
  readonly limit?: number | undefined;
}

// A calendar date, optionally followed by a time: what Date.parse reads the same everywhere. Without this
// check it would also take "1" (the year 2001) or "March 7".
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An audit time as the store compares it (`Date.toISOString`), or undefined when `text` is not an ISO date or
 * time. A date alone is midnight UTC; a time without a zone is UTC too (not the local time Date.parse would
 * take), so that a query means the same on every machine.
 */
export const parseAuditTime = (text: string): string | undefined => {
  const trimmed = text.trim();
  if (!ISO_DATE.test(trimmed)) return undefined;
  const [year, month, day] = trimmed.slice(0, 10).split('-').map(Number) as [number, number, number];
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return undefined; // 2026-02-30 is no date
  const zoned = /T|\s/i.test(trimmed) && !/(?:Z|[+-]\d{2}:?\d{2})$/i.test(trimmed) ? `${trimmed.replace(' ', 'T')}Z` : trimmed.replace(' ', 'T');
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** The outcome filter `text` names (error codes in either case), or undefined. */
export const parseOutcomeFilter = (text: string): OutcomeFilter | undefined => {
  const lower = text.trim().toLowerCase();
  return OUTCOME_FILTERS.find((outcome) => outcome === lower);
};

const invalid = (message: string): DomainError => new DomainError('INVALID_ARGUMENTS', message, { retryable: false });

/** Checks an audit query and makes it a filter; throws INVALID_ARGUMENTS naming the first bad value. */
export const auditFilter = (query: AuditQuery): InvocationFilter => {
  const time = (name: 'since' | 'until'): string | undefined => {
    const text = query[name];
    if (text === undefined) return undefined;
    const parsed = parseAuditTime(text);
    if (parsed === undefined) throw invalid(`${name} '${text}' is not an ISO date or time (e.g. 2026-03-07 or 2026-03-07T12:00:00Z)`);
    return parsed;
  };
  const since = time('since');
  const until = time('until');
  if (since !== undefined && until !== undefined && until <= since) throw invalid(`until (${until}) must be later than since (${since})`);
  let outcome: OutcomeFilter | undefined;
  if (query.outcome !== undefined) {
    outcome = parseOutcomeFilter(query.outcome);
    if (outcome === undefined) throw invalid(`unknown outcome '${query.outcome}'; one of: ${OUTCOME_FILTERS.join(', ')}`);
  }
  const limit = query.limit ?? AUDIT_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_MAX_LIMIT)
    throw invalid(`limit must be a whole number from 1 to ${AUDIT_MAX_LIMIT}, got ${limit}`);
  if (query.before !== undefined && !(Number.isInteger(query.before) && query.before >= 1))
    throw invalid(`before must be a global position (a whole number ≥ 1), got ${query.before}`);
  const { provider } = query;
  if (provider !== undefined && !isProviderId(provider)) throw invalid(`'${provider}' is not a provider id (a letter, then letters, digits, _ or -)`);
  return {
    provider,
    tool: query.tool,
    since,
    until,
    outcome,
    correlationId: query.correlationId,
    caller: query.caller,
    before: query.before,
    limit,
  };
};

/**
 * Recorded tool calls that pass the query's filters, newest first (by time, then position), a page at a
 * time: at most `limit`, with the cursor of the next page. Bad values (a time that does not parse, an
 * unknown outcome, a limit out of range, a cursor that names no call) throw INVALID_ARGUMENTS; whether a
 * provider id is known is for the caller to say (a provider removed from the config keeps its records).
 */
export const auditInvocations =
  (audit: InvocationAudit) =>
  async (query: AuditQuery): Promise<InvocationPage> => {
    const filter = auditFilter(query);
    try {
      return await audit.invocations(filter);
    } catch (error) {
      if (error instanceof UnknownInvocationCursor) throw invalid(`before ${error.position}: ${error.message}`);
      throw error;
    }
  };
