import { existsSync } from 'node:fs';
import type { ProviderConnection, ProviderRuntime, StartOptions, SubprocessLaunch } from '../../../application/ports/provider-runtime.js';
import type { ProviderId } from '../../../domain/shared/ids.js';
import { McpConnection, type McpConnectionOptions } from '../mcp/mcp-connection.js';
import { ChildLifecycle } from './child-lifecycle.js';
import { nextProviderMarker } from './proc-sweep.js';
import { loadExeca, spawnProvider } from './spawn.js';
import { startFailed } from './start-hints.js';

/** Settings of {@link ProcessProviderRuntime}; all optional. */
export interface ProcessRuntimeOptions extends McpConnectionOptions {
  /** stop(): SIGKILL the process group this long after SIGTERM (default 2000 ms). */
  readonly stopGraceMs?: number;
}

/**
 * Runs `mode: subprocess` providers: a child process in its own process group, marked in its environment
 * (process-marker.ts) so that what it starts in other groups or sessions is found too, speaking MCP over
 * newline-delimited JSON-RPC on stdin/stdout, stderr drained into a bounded tail.
 */
export class ProcessProviderRuntime implements ProviderRuntime<SubprocessLaunch> {
  constructor(private readonly options: ProcessRuntimeOptions = {}) {}

  async start(provider: ProviderId, launch: SubprocessLaunch, options: StartOptions): Promise<ProviderConnection> {
    const { command, cwd } = launch;
    const [first, ...args] = command;
    if (first === undefined) {
      throw startFailed(provider, { command, cwd, exitCode: null, signal: null, timedOut: false, timeoutMs: options.startTimeoutMs, stderrTail: '' });
    }
    const marker = nextProviderMarker(provider);
    const child = spawnProvider(await loadExeca(), first === 'node' ? process.execPath : first, args, launch, marker);
    const log = this.options.logger?.child({ provider, pid: child.pid ?? null });
    const connection = new McpConnection(
      {
        provider,
        lifecycle: new ChildLifecycle(child, { graceMs: this.options.stopGraceMs ?? 2000, marker }, log),
        streams: { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr },
        ...(options.secrets ? { secrets: options.secrets } : {}),
        startFailed: (facts) => startFailed(provider, { ...facts, command, cwd, cwdExists: facts.launchError === undefined ? undefined : existsSync(cwd) }),
      },
      this.options,
    );
    await connection.open(options.startTimeoutMs);
    return connection;
  }
}
