/** What a redacted secret is replaced with. */
export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not searched for by value: they would blank out ordinary words. */
const MIN_KNOWN_SECRET = 4;

// Keys whose values are secrets, wherever they appear as `key=value`, `key: value` or `"key": "value"`.
// A word of the key may come before or after the secret-looking one: GITHUB_TOKEN, X-API-Key, db.password.
const SECRET_KEY = String.raw`(?:[A-Za-z0-9]{1,20}[_.-]){0,2}(?:token|passw(?:or)?d|pwd|secret|api[_-]?key|apikey|access[_-]?key|private[_-]?key|authorization|auth|credentials?|session[_-]?id|cookie)(?:[_.-][A-Za-z0-9]{1,20}){0,2}`;
const KEY_VALUE = new RegExp(String.raw`("?\b${SECRET_KEY}\b"?[ \t]{0,8}[=:][ \t]{0,8}"?)([^\s"',;&]{1,512})`, 'gi');
// `Authorization: Bearer abc` (and Basic, Token) — the scheme stays, the credential goes.
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/g;
// Token formats that announce themselves: GitHub, OpenAI/Anthropic-style `sk-`, Slack, AWS access keys,
// Google API keys, JWTs, and private key blocks.
const TOKEN_FORMATS: readonly RegExp[] = [
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})\b/g,
  /\bsk-[A-Za-z0-9_-]{16,255}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,255}/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{35}\b/g,
  /\beyJ[A-Za-z0-9_-]{8,2048}\.[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{8,2048}/g,
  /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]{0,8192}?-----END [A-Z ]{0,40}PRIVATE KEY-----/g,
];

// What every pattern above needs in the text to match at all (kept in step with them): text without any of
// it is returned as it is after one scan, instead of one scan per pattern. Recorded arguments are many
// short strings, most of which hold none of it.
const ANY_PATTERN = /[=:]|gh[pousr]_|github_pat_|sk-|xox[abprs]-|AKIA|ASIA|AIza|eyJ|-----BEGIN|Bearer|Basic|Token/;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes secrets from text a provider wrote (its stderr, an error message) before the hangar stores or
 * shows it: every value in `known` (the provider's own env values and the `${VAR}` values expanded into its
 * config), the values of secret-looking keys (`token=…`, `"password": "…"`, `API_KEY: …`), the credential of
 * `Bearer`/`Basic`/`Token` schemes, and token formats that announce themselves (GitHub, `sk-…`, Slack, AWS,
 * Google API keys, JWTs, private key blocks). Every pattern is bounded: linear time on any input.
 */
export const redactSecrets = (text: string, known: readonly string[] = []): string => {
  let out = text;
  const values = known.length === 0 ? known : [...new Set(known)].filter((value) => value.length >= MIN_KNOWN_SECRET).sort((a, b) => b.length - a.length);
  if (values.length > 0) out = out.replace(new RegExp(values.map(escapeRegExp).join('|'), 'g'), REDACTED);
  if (!ANY_PATTERN.test(out)) return out;
  for (const format of TOKEN_FORMATS) out = out.replace(format, REDACTED);
  out = out.replace(AUTH_SCHEME, (_match, scheme: string) => `${scheme} ${REDACTED}`);
  // A value already redacted, or an auth scheme whose credential was, stays as it is.
  return out.replace(KEY_VALUE, (match, key: string, value: string) =>
    value === REDACTED || /^(?:Bearer|Basic|Token)$/i.test(value) ? match : `${key}${REDACTED}`,
  );
};
