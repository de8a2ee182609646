import type { Logger } from '../../src/application/ports/logger.js';

/** A logger that drops everything (tests that check logs use their own). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
