import { REDACTED, redactSecrets } from '../shared/redact.js';
import { utf8Bytes, utf8Prefix } from '../shared/utf8.js';

/** What the hangar records of a call's arguments (`audit.record_arguments`): nothing, a digest, or the redacted arguments too. */
export const RECORD_ARGUMENTS_MODES = ['none', 'digest', 'full'] as const;
export type RecordArgumentsMode = (typeof RECORD_ARGUMENTS_MODES)[number];

/** A call's arguments as recorded under `full`: their redacted JSON, cut at the configured size. */
export interface RecordedArguments {
  /** The redacted arguments as JSON text; when `truncated`, only its first bytes (not valid JSON then). */
  readonly json: string;
  /** Whether `json` was cut at the size limit. */
  readonly truncated: boolean;
  /** UTF-8 bytes of the whole redacted JSON, before any cut. */
  readonly bytes: number;
}

export { REDACTED };

/**
 * Words that mark a key as secret wherever they stand in it, alone or as the end of a word written in one
 * piece (`accesstoken`, `PHPSESSID`): `db_password`, `X-Auth-Token`, `clientSecret`, `Set-Cookie`.
 */
const SECRET_ENDING = /(?:passwords?|passwd|passphrase|pwd|secrets?|token|credentials?|authorization|authentication|auth|cookies?|bearer|sessionid|sessid)$/;

/** Words that make a following `key`, `keys` or `tokens` a secret (`api_key_id`, `ssh_keys`, `access_tokens`), also written in one piece (`apikey`). */
const QUALIFIERS = new Set([
  'api',
  'access',
  'refresh',
  'id',
  'secret',
  'private',
  'ssh',
  'auth',
  'bearer',
  'signing',
  'sign',
  'encryption',
  'decryption',
  'master',
  'client',
  'license',
  'session',
  'pass',
  'app',
  'hmac',
  'jwt',
  'gpg',
  'pgp',
]);

/** Any candidate at all (case-insensitive substrings): most keys are turned away here, before they are split. */
const MAYBE_SECRET = /pass|pwd|secret|token|cred|auth|cookie|bearer|key|sess/i;

const OTHER = 0;
const LOWER = 1;
const UPPER = 2;
const DIGIT = 3;

const classOf = (code: number): number => {
  if (code >= 0x61 && code <= 0x7a) return LOWER;
  if (code >= 0x41 && code <= 0x5a) return UPPER;
  if (code >= 0x30 && code <= 0x39) return DIGIT;
  // Letters beyond ASCII stay inside words; every other ASCII character separates them.
  return code >= 0x80 ? LOWER : OTHER;
};

/**
 * The words of a key, lower-cased: split at every character that is not a letter or digit (`_ - . space`),
 * between a lower-case letter or digit and a capital (`apiKey`), before the last capital of a run that
 * goes on in lower case (`APIKey` → api, key), and between letters and digits (`password2` → password, 2).
 * One pass, linear in the key's length (a regular expression for the capitals run would backtrack).
 */
export const keyWords = (key: string): string[] => {
  const words: string[] = [];
  let start = -1;
  let previous = OTHER;
  let current = key.length > 0 ? classOf(key.charCodeAt(0)) : OTHER;
  for (let i = 0; i < key.length; i++) {
    const next = i + 1 < key.length ? classOf(key.charCodeAt(i + 1)) : OTHER;
    if (current === OTHER) {
      if (start >= 0) words.push(key.slice(start, i).toLowerCase());
      start = -1;
    } else if (start < 0) {
      start = i;
    } else if ((current === UPPER && (previous === LOWER || previous === DIGIT || next === LOWER)) || (current === DIGIT) !== (previous === DIGIT)) {
      words.push(key.slice(start, i).toLowerCase());
      start = i;
    }
    previous = current;
    current = next;
  }
  if (start >= 0) words.push(key.slice(start).toLowerCase());
  return words;
};

const isDigits = (word: string): boolean => /^[0-9]+$/.test(word);
/** `apikey`, `sshkeys`, `refreshtokens`: a qualifier and `key`, `keys` or `tokens` written as one word. */
const gluedToQualifier = (word: string): boolean => {
  const tail = word.endsWith('key') ? 3 : word.endsWith('keys') ? 4 : word.endsWith('tokens') ? 6 : 0;
  return tail > 0 && word.length > tail && QUALIFIERS.has(word.slice(0, -tail));
};

/**
 * Whether a key of the arguments names a secret, case-insensitively, whatever separates its words:
 * - one of its words is, or ends with, `password(s)`, `passwd`, `passphrase`, `pwd`, `secret(s)`, `token`,
 *   `credential(s)`, `authorization`, `authentication`, `auth`, `cookie(s)`, `bearer`, `sessionid` or
 *   `sessid` (`GITHUB_TOKEN`, `accessToken`, `X-Auth-Token`, `oauth`, `Set-Cookie`, `JSESSIONID`);
 * - its last word is `key` (`key`, `api_key`, `apiKey`, `X-Api-Key`, `sshKey`, `secret_key`), or `session`
 *   (`session`, `user_session`); trailing numbers do not count (`key2`, `api_key_1`);
 * - `key`, `keys` or `tokens` follows a qualifier — api, access, refresh, id, secret, private, ssh, auth,
 *   bearer, signing, sign, encryption, decryption, master, client, license, session, pass, app, hmac, jwt,
 *   gpg, pgp — as its own word (`api_key_id`, `ssh_keys`, `refresh_tokens`) or glued to it (`apikey`,
 *   `privatekeys`); `session` followed by `id` (`session_id`, `sessionId`).
 * Not secret: `keys`, `tokens`, `max_tokens`, `keyboard`, `monkey`, `hotkey`, `key_name`, `author`,
 * `session_timeout`. Erring towards secrecy, `token_count`, `primary_key`, `public_key` and `auth_method`
 * are secret too.
 */
export const isSecretKey = (key: string): boolean => {
  if (!MAYBE_SECRET.test(key)) return false;
  const words = keyWords(key);
  let last = words.length - 1;
  while (last >= 0 && isDigits(words[last] as string)) last--;
  for (let i = 0; i <= last; i++) {
    const word = words[i] as string;
    const before = i > 0 ? (words[i - 1] as string) : '';
    const after = i < last ? (words[i + 1] as string) : '';
    if (SECRET_ENDING.test(word)) return true;
    if ((word === 'key' || word === 'session') && i === last) return true;
    if ((word === 'key' || word === 'keys' || word === 'tokens') && QUALIFIERS.has(before)) return true;
    if (gluedToQualifier(word)) return true;
    if (word === 'session' && after === 'id') return true;
  }
  return false;
};

/**
 * The arguments as JSON text with their secrets replaced by `[REDACTED]`, at any depth, inside arrays too:
 * - the value of every secret-looking key ({@link isSecretKey}), whatever it holds (a string, a number, a
 *   whole object or list), except `null` and booleans, which cannot carry a secret and are kept;
 * - in every other string, what the hangar also removes from a provider's output (`redactSecrets`): token
 *   formats that announce themselves (GitHub, `sk-…`, Slack, AWS, JWTs, private key blocks), `Bearer …`
 *   credentials, and `key=value` pairs of secret-looking keys.
 * Keys themselves are kept. The input is not changed. The text is JSON.stringify's, so arguments without
 * anything to redact give exactly `JSON.stringify(args)`.
 */
export const redactArguments = (args: unknown): string =>
  JSON.stringify(args, (key: string, value: unknown) => {
    if (typeof value === 'string') return key !== '' && isSecretKey(key) ? REDACTED : redactSecrets(value);
    if (value === null || value === undefined || typeof value === 'boolean') return value;
    return key !== '' && isSecretKey(key) ? REDACTED : value;
  }) ?? 'null';

/**
 * What `full` records of a call's arguments, given their redacted JSON ({@link redactArguments}): that
 * text, cut to its first `maxBytes` UTF-8 bytes (between code points) when longer, with the cut and the
 * whole size said.
 */
export const recordedArguments = (redactedJson: string, maxBytes: number): RecordedArguments => {
  const bytes = utf8Bytes(redactedJson);
  return bytes <= maxBytes ? { json: redactedJson, truncated: false, bytes } : { json: utf8Prefix(redactedJson, maxBytes), truncated: true, bytes };
};
