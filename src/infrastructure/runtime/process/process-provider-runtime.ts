import type { LaunchSpec, ProviderConnection, ProviderRuntime, StartOptions } from '../../../application/ports/provider-runtime.js';
import { ProcessConnection, type ProcessRuntimeOptions } from './process-connection.js';
import { loadExeca, spawnProvider } from './spawn.js';
import { startFailed, type StartFailureFacts } from './start-hints.js';

export type { ProcessRuntimeOptions } from './process-connection.js';
export { providerEnvironment } from './spawn.js';

/**
 * Runs `mode: subprocess` providers: a child process in its own process group, speaking MCP over
 * newline-delimited JSON-RPC on stdin/stdout, stderr drained into a bounded tail.
 */
export class ProcessProviderRuntime implements ProviderRuntime {
  constructor(private readonly options: ProcessRuntimeOptions = {}) {}

  async start(spec: LaunchSpec, options: StartOptions): Promise<ProviderConnection> {
    const [first, ...args] = spec.command;
    if (first === undefined) {
      const facts: StartFailureFacts = {
        command: [],
        cwd: spec.cwd,
        exitCode: null,
        signal: null,
        timedOut: false,
        timeoutMs: options.startTimeoutMs,
        stderrTail: '',
      };
      throw startFailed(spec, facts);
    }
    const child = spawnProvider(await loadExeca(), first === 'node' ? process.execPath : first, args, spec);
    const connection = new ProcessConnection(child, spec, options, this.options);
    await connection.open(options.startTimeoutMs);
    return connection;
  }
}
