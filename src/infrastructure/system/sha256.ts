import * as crypto from 'node:crypto';

/** Hex SHA-256 of a text. `crypto.hash` (Node >= 20.12) is a one-shot digest, about twice as fast as `createHash` for short inputs. */
export const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');
