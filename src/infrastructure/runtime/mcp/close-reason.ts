import { assertNever } from '../../../domain/shared/decider.js';

/**
 * Why a provider's protocol stream closed when the hangar did not close it. Callers branch on `kind`,
 * never on the wording, to tell a provider that went away (`stdout_closed`) from a broken stream.
 */
export type StreamCloseReason =
  /** The provider ended its output: it exited or closed the stream itself. */
  { readonly kind: 'stdout_closed' } | { readonly kind: 'read_failed'; readonly message: string } | { readonly kind: 'write_failed'; readonly message: string };

/** The reason in words, for error messages and logs. */
export const describeCloseReason = (reason: StreamCloseReason): string => {
  switch (reason.kind) {
    case 'stdout_closed':
      return 'the provider closed its stdout';
    case 'read_failed':
      return `reading the provider's stdout failed: ${reason.message}`;
    case 'write_failed':
      return `writing to the provider's stdin failed: ${reason.message}`;
    default:
      return assertNever(reason);
  }
};

/** True when the stream itself broke, as opposed to the provider simply ending its output. */
export const streamBroke = (reason: StreamCloseReason): boolean => reason.kind !== 'stdout_closed';
