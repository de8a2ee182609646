import type { CancelSignal } from './cancel-signal.js';
import type { ProviderId } from '../../domain/shared/ids.js';
import type { ToolDefinition } from '../../domain/provider/tool-definition.js';

/** How to launch a `mode: subprocess` provider: a program on this machine speaking MCP on stdin/stdout. */
export interface SubprocessLaunch {
  readonly mode: 'subprocess';
  /** argv as configured; a first word `node` means the Node.js running the hangar. */
  readonly command: readonly string[];
  /** Variables merged over a minimal inherited environment (PATH, HOME, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory of the provider. */
  readonly cwd: string;
}

/**
 * How to launch a provider: one variant per mode that has a runtime. A new mode (a container, a remote
 * server) is a new variant here and a new runtime adapter; the composition root routes by `mode`.
 */
export type LaunchSpec = SubprocessLaunch;
export type LaunchMode = LaunchSpec['mode'];

/** A provider's `CallToolResult`, kept as the JSON it sent (isError, structuredContent, every content type). */
export interface ToolCallResult {
  readonly content: readonly unknown[];
  readonly isError?: boolean;
  readonly structuredContent?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

const jsonTexts = new WeakMap<ToolCallResult, string>();

/**
 * Keeps the JSON text a result came as (a runtime that read it from the wire knows it), so that it can be
 * forwarded byte for byte — large numbers and all — and measured without serialising it again.
 */
export const withJsonText = <R extends ToolCallResult>(result: R, text: string): R => {
  jsonTexts.set(result, text);
  return result;
};

/** The JSON text `result` came as, when its runtime kept it. */
export const jsonTextOf = (result: ToolCallResult): string | undefined => jsonTexts.get(result);

/** A progress notification a provider sent for a call. */
export interface ProgressUpdate {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

export interface CallOptions {
  /** The call fails with TIMEOUT after this long, and the provider's request is cancelled. */
  readonly timeoutMs: number;
  /** Aborting cancels the provider's request (`notifications/cancelled`) and fails the call with CANCELLED. */
  readonly signal?: CancelSignal;
  /** Receives progress the provider reports for this call. */
  readonly onProgress?: (update: ProgressUpdate) => void;
}

/**
 * The MCP requests besides tools that the hangar forwards to a provider unchanged (resources, prompts,
 * completions, logging); nothing else passes through {@link ProviderConnection.request}.
 */
export const FORWARDED_METHODS = [
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
] as const;
export type ForwardedMethod = (typeof FORWARDED_METHODS)[number];

export interface RequestOptions {
  /** The request fails with TIMEOUT after this long. */
  readonly timeoutMs: number;
  /** Aborting cancels the provider's request and fails it with CANCELLED. */
  readonly signal?: CancelSignal;
}

/** A notification a provider sent on its own (a log message, a list_changed), as it sent it. */
export interface ProviderNotification {
  readonly method: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** How a provider ended. */
export interface ProviderExit {
  /** True when the hangar asked it to stop. */
  readonly expected: boolean;
  /** The provider's own exit code, when it ended by itself with one; null otherwise. */
  readonly exitCode: number | null;
  /** What ended it from outside, when something did (for a process, the signal's name); null otherwise. */
  readonly signal: string | null;
  /** The last lines it wrote to its error output. */
  readonly stderrTail: string;
  /** How many calls were in flight when it ended (each of them has failed). */
  readonly interruptedCalls: number;
}

/** What a runtime knows about a running provider's health, for details and debugging. */
export interface ProviderDiagnostics {
  readonly stderrTail: string;
  /** Lines on the protocol channel that were not protocol messages (banners, stray logs): skipped, never forwarded. */
  readonly skippedStdoutLines: number;
  readonly lastSkippedLines: readonly string[];
}

/** A started provider with a live MCP session. */
export interface ProviderConnection {
  /** The operating-system process id, when the runtime runs the provider as a local process; null otherwise. */
  readonly pid: number | null;
  readonly protocolVersion: string | null;
  readonly serverInfo: { readonly name: string; readonly version: string } | null;
  /** Every tool from `tools/list` (all pages), as the provider described them. */
  readonly tools: readonly ToolDefinition[];
  /**
   * Lists the tools again (`tools/list`, every page), for a provider that said its tools changed; `tools`
   * holds the new list afterwards. Rejects as `request` does.
   */
  listTools(timeoutMs: number): Promise<readonly ToolDefinition[]>;
  /** The capabilities the provider declared in `initialize` (resources, prompts, completions, logging, ...). */
  readonly capabilities: Readonly<Record<string, unknown>>;
  /**
   * Sends one of the {@link FORWARDED_METHODS} and resolves to the provider's result as it sent it. Rejects
   * with DomainError: TIMEOUT, CANCELLED, INVALID_ARGUMENTS or INTERNAL_ERROR (the provider answered with
   * an error; its message in `cause`), PROVIDER_CRASHED or PROVIDER_UNAVAILABLE.
   */
  request(method: ForwardedMethod, params: Readonly<Record<string, unknown>>, options: RequestOptions): Promise<Readonly<Record<string, unknown>>>;
  /**
   * Calls `listener` with each notification the provider sends of itself (`notifications/message`, the
   * list_changed notifications, `notifications/resources/updated`); returns the unsubscribe function.
   */
  onNotification(listener: (notification: ProviderNotification) => void): () => void;
  /**
   * Calls a tool and resolves to the provider's result unchanged (a tool's own error is a result with
   * isError, not a rejection). Rejects with DomainError: TIMEOUT, CANCELLED, PROVIDER_CRASHED (exit code
   * and stderr tail in details) or PROVIDER_UNAVAILABLE (the session is closed).
   */
  callTool(name: string, args: Readonly<Record<string, unknown>>, options: CallOptions): Promise<ToolCallResult>;
  /** MCP `ping`; rejects with TIMEOUT or PROVIDER_UNAVAILABLE. */
  ping(timeoutMs: number): Promise<void>;
  /**
   * Ends the provider: closes its session, then ends everything it runs, forcefully after a grace period.
   * Resolves once it has ended. Idempotent. In-flight calls fail with PROVIDER_UNAVAILABLE.
   */
  stop(): Promise<void>;
  /**
   * Settles once, when the provider has ended or its session became unusable, for any reason (`expected`
   * when stop() caused it); its in-flight calls have failed by then. Never rejects.
   */
  readonly exited: Promise<ProviderExit>;
  diagnostics(): ProviderDiagnostics;
}

export interface StartOptions {
  /** Start fails when `initialize` and `tools/list` are not answered within this time. */
  readonly startTimeoutMs: number;
  /**
   * Values the runtime never lets out of what it reports (stderr tails, skipped lines, the provider's
   * error messages): they are replaced, with other secret-looking text, before anything is stored or shown.
   */
  readonly secrets?: readonly string[];
}

/** Launches providers of one mode (or, routed by mode, of every mode). */
export interface ProviderRuntime<L extends LaunchSpec = LaunchSpec> {
  /**
   * Launches the provider and completes `initialize`, `notifications/initialized` and `tools/list`.
   * Rejects with DomainError('PROVIDER_START_FAILED') whose details carry exitCode, signal, stderrTail
   * and a hint fitting the cause; nothing is left running then.
   */
  start(provider: ProviderId, launch: L, options: StartOptions): Promise<ProviderConnection>;
}
