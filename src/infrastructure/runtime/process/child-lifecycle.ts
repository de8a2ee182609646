import type { Readable, Writable } from 'node:stream';
import type { Logger } from '../../../application/ports/logger.js';
import type { LifecycleExit, ProviderLifecycle } from '../mcp/provider-lifecycle.js';
import { killMarked } from './proc-sweep.js';
import { signalGroup, track, untrack } from './process-groups.js';
import type { Child } from './spawn.js';

const noop = (): void => {};
const unref = (stream: Readable | Writable | null | undefined): void => (stream as { unref?: () => void } | null)?.unref?.();

/** How a {@link ChildLifecycle} ends its process. */
export interface ChildEnding {
  /** terminate() SIGKILLs the group this long after its SIGTERM. */
  readonly graceMs: number;
  /** The provider start's environment marker (process-marker.ts); null where markers are not used. */
  readonly marker: string | null;
}

/**
 * A provider's child process, leader of its own process group. While it runs the group is tracked, so
 * it dies with the hangar (exit hook and watchdog); signals go to the whole group; and when the leader
 * exits, whatever it left in its group is killed, and so is every process still carrying its start's
 * marker: one that left the group or the session (setsid, a daemon) included.
 */
export class ChildLifecycle implements ProviderLifecycle {
  readonly pid: number | null;
  readonly ended: Promise<LifecycleExit>;
  private exit: LifecycleExit | null = null;
  private readonly signalsSent = new Set<NodeJS.Signals>();
  private forceKill: NodeJS.Timeout | undefined;
  private reportEnded: (exit: LifecycleExit) => void = noop;

  constructor(
    private readonly child: Child,
    private readonly ending: ChildEnding,
    private readonly log?: Logger,
  ) {
    this.pid = child.pid ?? null;
    this.ended = new Promise((resolve) => (this.reportEnded = resolve));
    child.on('exit', (code, signal) => this.handleExit(code, signal, null));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (this.pid !== null) return void this.log?.debug('provider process error', { error: error.message });
      this.handleExit(null, null, error.code ?? 'spawn error');
    });
    void child.then(noop, noop);
    if (this.pid !== null) track(this.pid);
  }

  terminate(): void {
    if (this.exit !== null || this.forceKill !== undefined) return;
    this.signal('SIGTERM');
    this.forceKill = setTimeout(() => this.kill(), this.ending.graceMs);
  }

  kill(): void {
    this.signal('SIGKILL');
  }

  keepAlive(on: boolean): void {
    // While the hangar waits for an exit, the child's handle is enough to keep the loop alive.
    if (on) return void this.child.ref();
    this.child.unref();
    unref(this.child.stdin);
    unref(this.child.stdout);
    unref(this.child.stderr);
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.pid === null || this.exit !== null) return;
    this.signalsSent.add(signal);
    signalGroup(this.pid, signal);
  }

  /**
   * Every process still carrying this start's marker: those outside its group (their own session, a
   * daemon), and group members the group's SIGKILL has not finished yet. One /proc scan when none is left.
   */
  private endEscaped(): void {
    if (this.ending.marker === null) return;
    const { signalled, refused } = killMarked({ kind: 'start', marker: this.ending.marker });
    if (signalled.length > 0) this.log?.info('ended processes the provider left running', { pids: signalled });
    if (refused.length > 0) this.log?.warn('not permitted to end processes the provider left running', { pids: refused });
  }

  private handleExit(exitCode: number | null, signal: NodeJS.Signals | null, launchError: string | null): void {
    if (this.exit !== null) return;
    clearTimeout(this.forceKill);
    this.exit = { exitCode, signal, launchError, endedByRuntime: signal !== null && this.signalsSent.has(signal) };
    if (this.pid !== null) {
      untrack(this.pid);
      signalGroup(this.pid, 'SIGKILL', true); // never an orphan: whatever the provider left in its group goes too
      this.endEscaped();
    }
    this.reportEnded(this.exit);
  }
}
