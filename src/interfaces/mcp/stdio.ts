import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Application } from '../../application/application.js';
import type { Logger } from '../../application/ports/logger.js';
import { createHangarServer } from './hangar-server.js';

/** What serving needs of a booted hangar. */
export interface Servable {
  readonly app: Application;
  shutdown(): Promise<void>;
}

/**
 * In stdio mode stdout is the MCP channel: anything a library prints with console.log would corrupt it,
 * so console's stdout methods are sent to stderr for the life of the process.
 */
const guardStdout = (): void => {
  /* eslint-disable no-console -- this is the guard that keeps console output off stdout */
  const toStderr = (...args: unknown[]) => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  /* eslint-enable no-console */
};

/**
 * Serves the hangar over stdio while it boots (initialize and tools/list need no registry; tool calls
 * wait for it) and until the client closes stdin or a signal arrives; then stops every provider, closes
 * the store and exits 0.
 */
export const serveStdio = async (booting: Promise<Servable>, logger: Logger, version: string): Promise<void> => {
  guardStdout();
  const server = createHangarServer(
    booting.then((h) => h.app),
    logger,
    version,
  );
  let closing = false;
  const close = (why: string) => {
    if (closing) return;
    closing = true;
    logger.info('shutting down', { why });
    void (async () => {
      await server.close().catch(() => undefined);
      const hangar = await booting.catch(() => undefined);
      await hangar?.shutdown().catch((e: unknown) => logger.error('shutdown failed', { error: String(e) }));
      process.exit(0);
    })();
  };
  process.stdin.on('end', () => close('stdin closed'));
  process.stdin.on('close', () => close('stdin closed'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => close(signal));
  await server.connect(new StdioServerTransport());
};
