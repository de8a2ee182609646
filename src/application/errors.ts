import { DomainError, isDomainError, type ErrorCode } from '../domain/shared/errors.js';
import { closestMatch } from '../domain/shared/closest.js';

/** Normalises anything thrown to a DomainError; unknown throwables become `fallback` with their message. */
export const toDomainError = (error: unknown, fallback: ErrorCode = 'INTERNAL_ERROR'): DomainError => {
  if (isDomainError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DomainError(fallback, message);
};

/** PROVIDER_NOT_FOUND, with the closest known id as a suggestion ("did you mean"). */
export const providerNotFound = (id: string, known: Iterable<string>): DomainError => {
  const suggestion = closestMatch(id, known);
  return new DomainError('PROVIDER_NOT_FOUND', `unknown provider '${id}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
    provider: id,
    retryable: false,
    ...(suggestion ? { suggestion } : {}),
  });
};

/** TOOL_NOT_FOUND, with the closest tool of the provider as a suggestion. */
export const toolNotFound = (provider: string, tool: string, known: Iterable<string>): DomainError => {
  const suggestion = closestMatch(tool, known);
  return new DomainError('TOOL_NOT_FOUND', `provider '${provider}' has no tool '${tool}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}`, {
    provider,
    tool,
    retryable: false,
    ...(suggestion ? { suggestion } : {}),
  });
};
