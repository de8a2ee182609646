import type { DomainError } from '../../domain/shared/errors.js';
import { ERROR_CODES } from '../shared/error-codes.js';

/** "did you mean" as a next step, in the words of the registry tools. */
const suggestionHint = (error: DomainError): string | undefined => {
  const { suggestion } = error.details;
  if (suggestion === undefined) return undefined;
  return error.code === 'TOOL_NOT_FOUND' ? `Use tool '${suggestion}'` : `Use provider '${suggestion}'`;
};

/**
 * The hints of a failed registry call: "did you mean", then what the failure itself says to do (a start
 * hint, a wait), else the error code's own next step, which names the registry tool to call.
 */
const hintsOf = (error: DomainError): string[] => {
  const root = error.details.rootCause?.hint ? [error.details.rootCause.hint] : [];
  const own = [suggestionHint(error), ...(error.details.hints ?? [])].filter((h): h is string => h !== undefined && h !== '');
  if (own.length > 0) return [...root, ...own];
  return [...root, ERROR_CODES[error.code].hint.replaceAll('{p}', error.details.provider ?? '<provider>')];
};

/** The failure behind a refusal (a degraded provider's failed start), in wire shape. */
const rootCauseOf = (error: DomainError) => {
  const root = error.details.rootCause;
  if (!root) return undefined;
  return {
    code: root.code,
    message: root.message,
    ...(root.hint !== undefined ? { hint: root.hint } : {}),
    ...(root.stderrTail !== undefined ? { stderr_tail: root.stderrTail } : {}),
  };
};

/** The error in one line, its root cause first when it is a refusal because of an earlier failure. */
export const reasonOf = (error: DomainError): string => {
  const root = error.details.rootCause;
  const own = `${error.code}: ${error.message}`;
  return root ? `${root.code}: ${root.message} — so ${own}` : own;
};

/** The rich error a failed registry tool returns, as a CallToolResult with isError. */
export const errorResult = (error: DomainError, correlationId: string) => {
  const row = ERROR_CODES[error.code];
  const d = error.details;
  const hints = hintsOf(error);
  const rootCause = rootCauseOf(error);
  const structured = {
    code: error.code,
    message: error.message,
    ...(d.provider !== undefined ? { provider: d.provider } : {}),
    ...(d.tool !== undefined ? { tool: d.tool } : {}),
    retryable: d.retryable ?? row.retryable,
    hints,
    correlation_id: correlationId,
    ...(d.retryAfterMs !== undefined ? { retry_after_ms: Math.ceil(d.retryAfterMs) } : {}),
    ...(d.exitCode !== undefined ? { exit_code: d.exitCode } : {}),
    ...(d.signal !== undefined && d.signal !== null ? { signal: d.signal } : {}),
    ...(d.stderrTail ? { stderr_tail: d.stderrTail } : {}),
    ...(rootCause ? { root_cause: rootCause } : {}),
  };
  // A refusal because of an earlier failure says that failure first: it is what to fix.
  const text = rootCause ? [`${rootCause.code}: ${rootCause.message}`] : [];
  text.push(`${error.code}: ${error.message}`, ...hints.map((h) => `Hint: ${h}`));
  const stderrTail = d.stderrTail || rootCause?.stderr_tail;
  if (stderrTail) text.push(`stderr (last lines):\n${stderrTail}`);
  return {
    isError: true as const,
    content: [{ type: 'text' as const, text: text.join('\n') }],
    structuredContent: { error: structured },
  };
};

/** Where a direct tool's error result carries the structured error (see {@link directErrorResult}). */
export const DIRECT_ERROR_META = 'mcp-hangar/error';

/**
 * The rich error of a failed direct tool call: the same text, with the structured error under
 * `_meta["mcp-hangar/error"]` instead of `structuredContent`, which a client checks against the provider
 * tool's `outputSchema` (the SDK's Client does, even on an error result) and would refuse.
 */
export const directErrorResult = (error: DomainError, correlationId: string) => {
  const { structuredContent, ...rest } = errorResult(error, correlationId);
  return { ...rest, _meta: { [DIRECT_ERROR_META]: structuredContent.error } };
};
