import { pino, type Logger as Pino } from 'pino';
import type { Logger } from '../../application/ports/logger.js';

const wrap = (log: Pino): Logger => ({
  debug: (message, fields) => log.debug(fields ?? {}, message),
  info: (message, fields) => log.info(fields ?? {}, message),
  warn: (message, fields) => log.warn(fields ?? {}, message),
  error: (message, fields) => log.error(fields ?? {}, message),
  child: (fields) => wrap(log.child(fields)),
});

/**
 * JSON lines on stderr (fd 2), never stdout: in stdio mode stdout carries only MCP messages.
 * Level from MCP_LOG_LEVEL (default `info`; `silent` turns logging off).
 */
export const createLogger = (level: string = process.env['MCP_LOG_LEVEL'] ?? 'info'): Logger =>
  wrap(pino({ level, base: { name: 'mcp-hangar' } }, pino.destination({ fd: 2, sync: true })));
