import { DomainError } from '../../../domain/shared/errors.js';
import type { StartFailureFacts } from '../mcp/start-failure.js';

/**
 * What is known about a subprocess provider that failed to start: the session's facts (`launchError` is
 * the spawn error's code, ENOENT, EACCES, ...) and the launch it was given.
 */
export interface ProcessStartFailure extends StartFailureFacts {
  /** The configured argv (first word as configured, e.g. `node`). */
  readonly command: readonly string[];
  readonly cwd: string;
  /** `false` when the working directory was found missing. */
  readonly cwdExists?: boolean | undefined;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;
const commandName = (command: readonly string[]): string => command[0] ?? '(empty)';
const MODULE_NOT_FOUND = /Cannot find module|ERR_MODULE_NOT_FOUND|MODULE_NOT_FOUND/;

/** One line saying what went wrong, for the error message. */
const startFailureSummary = (f: ProcessStartFailure): string => {
  if (f.command.length === 0) return 'the command is empty';
  if (f.launchError !== undefined) {
    return `could not run \`${commandName(f.command)}\` (${f.launchError})`;
  }
  if (f.timedOut) {
    return `no answer to \`${f.pendingStep ?? 'initialize'}\` within ${seconds(f.timeoutMs)}`;
  }
  if (f.signal !== null) return `the process was killed by ${f.signal} during start`;
  if (f.exitCode !== null) return `the process exited with code ${f.exitCode} during start`;
  if (f.protocolError !== undefined) return `protocol error during start: ${f.protocolError}`;
  return 'the provider closed the session during start';
};

/** One line saying what to do about it. Pure: the facts in, a hint out. */
const startHint = (f: ProcessStartFailure): string => {
  const cmd = commandName(f.command);
  if (f.command.length === 0) return 'set `command` in the config to the program and its arguments';
  if (f.launchError === 'ENOENT' && f.cwdExists === false) {
    return `the working directory does not exist: ${f.cwd}: check \`cwd\` in the config`;
  }
  if (f.launchError === 'ENOENT' || f.exitCode === 127) {
    return 'command not found: check `command` in the config (and that it is on PATH)';
  }
  if (f.launchError === 'EACCES' || f.exitCode === 126) {
    return `\`${cmd}\` is not executable: check its permissions (chmod +x) or run it through its interpreter`;
  }
  if (f.launchError !== undefined) {
    return `the system refused to start \`${cmd}\` (${f.launchError}): check \`command\` and \`cwd\` in the config`;
  }
  if (f.exitCode !== null && MODULE_NOT_FOUND.test(f.stderrTail)) {
    return `Node.js could not find the script or a module it imports: check the path in \`command\` (relative to ${f.cwd}) and that dependencies are installed`;
  }
  if (f.timedOut) {
    const noise = f.skippedStdoutLines ? ` (it printed ${f.skippedStdoutLines} non-protocol line(s) on stdout)` : '';
    return f.pendingStep === 'tools/list'
      ? `no answer to \`tools/list\` within ${seconds(f.timeoutMs)}: the provider starts too slowly; raise the start timeout`
      : `no answer to \`initialize\` within ${seconds(f.timeoutMs)}: is this an MCP server speaking stdio?${noise}`;
  }
  if (f.signal !== null) {
    return `the provider was killed by ${f.signal} during start: see its stderr below (out of memory? killed by another process?)`;
  }
  if (f.exitCode === 0) {
    return 'the provider exited (code 0) before finishing the handshake: is it an MCP server that stays running on stdio?';
  }
  if (f.exitCode !== null) {
    return `the provider exited during start (code ${f.exitCode}): see its stderr below / run the command by hand`;
  }
  if (f.protocolError !== undefined) {
    return 'the provider broke the MCP handshake: check that it speaks a supported MCP protocol version over stdio';
  }
  return 'the provider closed its stdout during start: run the command by hand to see what it does';
};

/** Whether trying again at once may help: not for a missing or non-executable command. */
const startFailureRetryable = (f: ProcessStartFailure): boolean =>
  f.command.length > 0 && f.launchError === undefined && f.exitCode !== 127 && f.exitCode !== 126;

/** The PROVIDER_START_FAILED error for a start that failed as `facts` say. */
export const startFailed = (provider: string, facts: ProcessStartFailure): DomainError =>
  new DomainError('PROVIDER_START_FAILED', `provider '${provider}' failed to start: ${startFailureSummary(facts)}`, {
    provider,
    exitCode: facts.exitCode,
    signal: facts.signal,
    stderrTail: facts.stderrTail,
    hints: [startHint(facts)],
    retryable: startFailureRetryable(facts),
  });
