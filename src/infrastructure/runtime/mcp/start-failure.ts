import type { DomainError } from '../../../domain/shared/errors.js';

/** A step of the MCP handshake; a failed start names the one the provider had not answered. */
export type HandshakeStep = 'initialize' | 'tools/list';

/** What a failed start revealed, whatever the runtime. The runtime words it in its own terms. */
export interface StartFailureFacts {
  /** Why the provider could not be launched at all (ENOENT, EACCES, ...); absent when it ran. */
  readonly launchError?: string | undefined;
  /** Exit code / signal when the provider ended by itself during start; null otherwise. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The start timeout elapsed; `pendingStep` says what was still unanswered. */
  readonly timedOut: boolean;
  readonly timeoutMs: number;
  readonly pendingStep?: HandshakeStep | undefined;
  /** The provider answered, but broke the protocol (error response, unsupported version, broken stream, ...). */
  readonly protocolError?: string | undefined;
  readonly stderrTail: string;
  /** Lines on stdout that were not protocol messages. */
  readonly skippedStdoutLines?: number | undefined;
}

/** Turns the facts of a failed start into the runtime's PROVIDER_START_FAILED error, hint included. */
export type StartFailureReport = (facts: StartFailureFacts) => DomainError;
