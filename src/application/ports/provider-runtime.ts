import type { ToolDefinition } from '../../domain/provider/tool-definition.js';

/** What a runtime needs to launch one provider; one variant per mode that has a runtime. */
export type LaunchSpec = {
  readonly mode: 'subprocess';
  readonly providerId: string;
  /** argv as configured; a first word `node` means the Node.js running the hangar. */
  readonly command: readonly string[];
  /** Variables merged over a minimal inherited environment (PATH, HOME, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Absolute working directory of the provider. */
  readonly cwd: string;
};

/** A provider's `CallToolResult`, kept as the JSON it sent (isError, structuredContent, every content type). */
export interface ToolCallResult {
  readonly content: readonly unknown[];
  readonly isError?: boolean;
  readonly structuredContent?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

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
  readonly signal?: AbortSignal;
  /** Receives progress the provider reports for this call. */
  readonly onProgress?: (update: ProgressUpdate) => void;
}

/** How a provider's process ended. `expected` is true when the hangar asked it to stop. */
export interface ExitInfo {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;
  readonly expected: boolean;
}

/** What a runtime knows about a connection's health, for details and debugging. */
export interface ConnectionDiagnostics {
  readonly stderrTail: string;
  /** Lines on stdout that were not protocol messages (banners, stray logs): skipped, never forwarded. */
  readonly skippedStdoutLines: number;
  readonly lastSkippedLines: readonly string[];
}

/** A started provider with a live MCP session. */
export interface ProviderConnection {
  readonly pid: number | null;
  readonly protocolVersion: string | null;
  readonly serverInfo: { readonly name: string; readonly version: string } | null;
  /** Every tool from `tools/list` (all pages), as the provider described them. */
  readonly tools: readonly ToolDefinition[];
  /**
   * Calls a tool and resolves to the provider's result unchanged (a tool's own error is a result with
   * isError, not a rejection). Rejects with DomainError: TIMEOUT, CANCELLED, PROVIDER_CRASHED (exit code
   * and stderr tail in details) or PROVIDER_UNAVAILABLE (the session is closed).
   */
  callTool(name: string, args: Readonly<Record<string, unknown>>, options: CallOptions): Promise<ToolCallResult>;
  /** MCP `ping`; rejects with TIMEOUT or PROVIDER_UNAVAILABLE. */
  ping(timeoutMs: number): Promise<void>;
  /**
   * Closes the MCP session, SIGTERMs the provider's whole process group and SIGKILLs it after a grace
   * period. Resolves once the process has exited. Idempotent. In-flight calls fail with PROVIDER_UNAVAILABLE.
   */
  stop(): Promise<void>;
  /**
   * Registers a listener called once when the process exits or the session becomes unusable, for any
   * reason; `expected` is true when stop() caused it. In-flight calls have already been failed then.
   */
  onExit(listener: (info: ExitInfo) => void): void;
  diagnostics(): ConnectionDiagnostics;
}

export interface StartOptions {
  /** Start fails when `initialize` and `tools/list` are not answered within this time. */
  readonly startTimeoutMs: number;
  readonly clientInfo: { readonly name: string; readonly version: string };
}

/**
 * Launches providers. Adapters: a subprocess (execa), later a container (dockerode), a remote server.
 */
export interface ProviderRuntime {
  /**
   * Launches the provider and completes `initialize`, `notifications/initialized` and `tools/list`.
   * Rejects with DomainError('PROVIDER_START_FAILED') whose details carry exitCode, signal, stderrTail
   * and a hint fitting the cause; nothing is left running then.
   */
  start(spec: LaunchSpec, options: StartOptions): Promise<ProviderConnection>;
}
