/**
 * The codes of every expected failure, shared by all interfaces. One table in the interface layer maps
 * each to an MCP tool result, an HTTP status and a CLI exit code.
 */
export const ERROR_CODES = [
  'PROVIDER_NOT_FOUND',
  'TOOL_NOT_FOUND',
  'INVALID_ARGUMENTS',
  'PROVIDER_START_FAILED',
  'PROVIDER_DEGRADED',
  'CIRCUIT_OPEN',
  'TIMEOUT',
  'PROVIDER_CRASHED',
  'PROVIDER_UNAVAILABLE',
  'RATE_LIMITED',
  'CANCELLED',
  'RESULT_TOO_LARGE',
  'CONCURRENCY_CONFLICT',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Details a failure may carry; all optional, all plain JSON. */
export interface DomainErrorDetails {
  readonly provider?: string;
  readonly tool?: string;
  readonly retryable?: boolean;
  /** A known name close to the one asked for (a provider id, a tool name): "did you mean". */
  readonly suggestion?: string;
  /** What to do about it, in the words of the configuration or the provider (never of one interface). */
  readonly hints?: readonly string[];
  readonly retryAfterMs?: number;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly stderrTail?: string;
  readonly cause?: string;
  /**
   * The failure behind a refusal (a degraded provider, an open circuit): the provider's last error, with
   * its hint and stderr tail when it was a failed start. Interfaces put it first: it is what to fix.
   */
  readonly rootCause?: { readonly code: string; readonly message: string; readonly hint?: string; readonly stderrTail?: string };
}

/** An expected failure: typed by `code`, never classified by message text. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
