import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { thisRun } from './proc-sweep.js';
import { formatRun } from './process-marker.js';

const WATCHDOG_MAIN = fileURLToPath(new URL('./watchdog-main.js', import.meta.url));

/**
 * The hangar's side of the provider watchdog (see watchdog-main.ts): started on first use with this
 * hangar run (whose markers it ends too), told about every provider process group that starts and ends.
 * It never keeps the hangar alive, and if it cannot be started the hangar runs on without it (providers
 * still die on stdin EOF and the exit hook, and the next hangar to boot ends what is left).
 */
export class GroupWatchdog {
  private child: ChildProcess | null = null;
  private failed = false;

  constructor(private readonly graceMs = 1500) {}

  /** A provider's process group started. */
  add(pgid: number): void {
    this.write(`+${pgid}\n`);
  }

  /** A provider's process group is gone. */
  remove(pgid: number): void {
    this.write(`-${pgid}\n`);
  }

  private write(line: string): void {
    const child = this.ensure();
    if (!child?.stdin?.writable) return;
    child.stdin.write(line);
  }

  private ensure(): ChildProcess | null {
    if (this.child || this.failed) return this.child;
    try {
      const run = thisRun();
      const child = spawn(process.execPath, [WATCHDOG_MAIN, String(process.pid), String(this.graceMs), run ? formatRun(run) : ''], {
        detached: true, // its own process group: a signal to the hangar's group does not reach it first
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      child.on('error', () => {
        this.failed = true;
        this.child = null;
      });
      child.stdin?.on('error', () => undefined);
      child.unref();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      this.child = child;
    } catch {
      this.failed = true;
    }
    return this.child;
  }
}
