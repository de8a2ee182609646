import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../../application/ports/logger.js';
import { serveLifecycle, type Servable } from '../shared/lifecycle.js';
import { createHangarServer } from './hangar-server.js';

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
 * Serves the hangar over stdio (through `transport`, the line transport on the process's stdin and stdout)
 * while it boots — initialize and tools/list need no registry; tool calls wait for it — and until the
 * client closes stdin or a signal arrives (the shared serve lifecycle).
 */
export const serveStdio = async (booting: Promise<Servable>, logger: Logger, version: string, transport: Transport): Promise<void> => {
  guardStdout();
  const server = createHangarServer(
    booting.then((h) => h.app),
    logger,
    version,
  );
  const lifecycle = serveLifecycle(booting, logger);
  lifecycle.onClose(() => server.close());
  process.stdin.on('end', () => lifecycle.end('stdin closed'));
  process.stdin.on('close', () => lifecycle.end('stdin closed'));
  process.stdout.on('error', () => lifecycle.end('stdout closed')); // EPIPE: the client is gone
  await server.connect(transport);
};
