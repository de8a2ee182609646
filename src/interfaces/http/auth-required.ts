import { isIPv4, isIPv6 } from 'node:net';
import type { HttpConfig } from '../../application/config.js';

/**
 * Whether `host` (the `http.host` to listen on) is reachable from this machine only: `localhost`, an address
 * in 127.0.0.0/8, `::1` (bracketed or not, in any spelling) or an IPv4-mapped 127.x address. `0.0.0.0`,
 * `::` and every other name are not.
 */
export const isLoopbackHost = (host: string): boolean => {
  const name = host.trim().toLowerCase();
  if (name === 'localhost' || name === 'localhost.') return true;
  if (isIPv4(name)) return name.split('.')[0] === '127';
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  // A zone (fe80::1%eth0) names a link, never the loopback interface.
  if (!isIPv6(bare) || bare.includes('%')) return false;
  // The WHATWG URL parser writes an IPv6 address in its one canonical form: ::1, ::ffff:7f00:1.
  const canonical = new URL(`http://[${bare}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
};

/** Whether `http.auth` asks for any credential: at least one static token, or JWTs. */
export const authConfigured = (auth?: HttpConfig['auth']): boolean => auth !== undefined && (auth.tokens.length > 0 || auth.jwt !== undefined);
