import type { Readable, Writable } from 'node:stream';

/** How a provider's process (or container) ended, as its runtime saw it. */
export interface LifecycleExit {
  /** Its own exit code, when it exited with one; null otherwise. */
  readonly exitCode: number | null;
  /** What ended it from outside (for a process, the signal's name); null otherwise. */
  readonly signal: string | null;
  /** Why it could not be launched at all (ENOENT, EACCES, a missing image, ...); null when it ran. */
  readonly launchError: string | null;
  /** True when the runtime's own terminate() or kill() ended it; false when it ended by itself or something else ended it. */
  readonly endedByRuntime: boolean;
}

/**
 * Everything about a running provider that is not its MCP session: its process (or container) and how
 * to end it. Each runtime implements this for its kind of process; `McpConnection` drives it.
 */
export interface ProviderLifecycle {
  /** The operating-system process id, when the provider is a local process; null otherwise. */
  readonly pid: number | null;
  /**
   * Resolves once, when the provider has ended (a failed launch included) and nothing it started is left
   * running. Never rejects.
   */
  readonly ended: Promise<LifecycleExit>;
  /** Asks the provider to end (SIGTERM, `docker stop`) and ends it forcefully after the runtime's grace period. No-op once it ended. */
  terminate(): void;
  /** Ends the provider at once (SIGKILL). No-op once it ended. */
  kill(): void;
  /**
   * Whether the provider holds the hangar's event loop open: off while it idles (an idle provider must
   * never keep the hangar alive), on while the hangar waits for it to end.
   */
  keepAlive(on: boolean): void;
}

/** A provider's byte streams: the MCP channel in both directions, and its error output. */
export interface ProviderStreams {
  /** Where the hangar writes (a process's stdin, a container's attached input). */
  readonly stdin: Writable;
  /** Where the provider writes its messages. */
  readonly stdout: Readable;
  /** Its error output: always drained, the tail kept for diagnostics. */
  readonly stderr: Readable;
}
