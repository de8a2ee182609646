import type { Application } from '../../application/application.js';
import type { Logger } from '../../application/ports/logger.js';

/** What serving needs of a booted hangar. */
export interface Servable {
  readonly app: Application;
  shutdown(): Promise<void>;
  /** Reads the config file again and applies it (SIGHUP); logs and records what it did or refused. */
  reload?(why: string): Promise<unknown>;
}

/** One serving process's end, shared by every serve mode (stdio, HTTP). */
export interface ServeLifecycle {
  /**
   * Runs `close` first when the process ends (a transport stops taking messages; over HTTP it also lets the
   * calls in flight finish, within the shutdown grace), before the hangar shuts down.
   */
  onClose(close: () => Promise<void>): void;
  /**
   * Ends the process in order, once: a boot under way finishes first, then the transports close, the hangar
   * shuts down (stopping its providers), exit 0.
   */
  end(why: string): void;
}

/** The exit code of a process ended at once by a second signal during its orderly shutdown (128 + SIGINT). */
export const FORCED_EXIT_CODE = 130;

/**
 * Signal handling and process exit for a serving hangar. SIGINT and SIGTERM, and whatever a transport
 * reports as its own end (stdin closed), lead to the same orderly shutdown. A second signal while it runs
 * ends the process at once (exit 130), in case something in it hangs. SIGHUP reloads the config file (once
 * the boot has finished); a hangar that cannot reload shuts down on it instead, as before.
 */
export const serveLifecycle = (booting: Promise<Servable>, logger: Logger): ServeLifecycle => {
  const closers: (() => Promise<void>)[] = [];
  let booted = false;
  booting.then(
    () => (booted = true),
    () => undefined, // a failed boot is reported (and ends the process) where the boot was started
  );
  let ending = false;
  const end = (why: string): void => {
    if (ending) return;
    ending = true;
    const duringBoot = !booted;
    void (async () => {
      // Boot runs to its end first (it starts no provider, so it is short): its "hangar ready" comes before
      // "shutting down", and the shutdown below stops a hangar that is whole, once.
      const hangar = await booting.catch(() => undefined);
      logger.info('shutting down', duringBoot ? { why, duringBoot } : { why });
      for (const close of closers) await close().catch((e: unknown) => logger.error('closing a transport failed', { error: String(e) }));
      await hangar?.shutdown().catch((e: unknown) => logger.error('shutdown failed', { error: String(e) }));
      process.exit(0);
    })();
  };
  process.on('SIGHUP', () => {
    if (ending) return;
    void booting.then(
      (hangar) => {
        if (ending) return;
        if (hangar.reload === undefined) return end('SIGHUP');
        hangar.reload('SIGHUP').catch((e: unknown) => logger.error('config reload failed', { error: String(e) }));
      },
      () => undefined,
    );
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (ending) {
        logger.warn('second signal during shutdown: exiting at once', { signal });
        process.exit(FORCED_EXIT_CODE);
      }
      end(signal);
    });
  return { onClose: (close) => void closers.push(close), end };
};
