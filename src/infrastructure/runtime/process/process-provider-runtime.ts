import type { ProviderConnection, ProviderRuntime, StartOptions, SubprocessLaunch } from '../../../application/ports/provider-runtime.js';
import { ProcessConnection, type ProcessRuntimeOptions } from './process-connection.js';
import { loadExeca, spawnProvider } from './spawn.js';
import { startFailed, type StartFailureFacts } from './start-hints.js';

export type { ProcessRuntimeOptions } from './process-connection.js';
export { providerEnvironment } from './spawn.js';

/**
 * Runs `mode: subprocess` providers: a child process in its own process group, speaking MCP over
 * newline-delimited JSON-RPC on stdin/stdout, stderr drained into a bounded tail.
 */
export class ProcessProviderRuntime implements ProviderRuntime<SubprocessLaunch> {
  constructor(private readonly options: ProcessRuntimeOptions = {}) {}

  async start(provider: string, launch: SubprocessLaunch, options: StartOptions): Promise<ProviderConnection> {
    const [first, ...args] = launch.command;
    if (first === undefined) {
      const facts: StartFailureFacts = {
        command: [],
        cwd: launch.cwd,
        exitCode: null,
        signal: null,
        timedOut: false,
        timeoutMs: options.startTimeoutMs,
        stderrTail: '',
      };
      throw startFailed(provider, facts);
    }
    const child = spawnProvider(await loadExeca(), first === 'node' ? process.execPath : first, args, launch);
    const connection = new ProcessConnection(child, provider, launch, this.options);
    await connection.open(options.startTimeoutMs);
    return connection;
  }
}
