import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

/** What Ajv needs of a compiled pattern: `.test`, and a `toString` that tells patterns apart (Ajv caches by it). */
export interface LinearRegExp {
  test(text: string): boolean;
  toString(): string;
}

/** A pattern compiled for linear-time matching, or why it cannot be. */
export type LinearCompiled = { readonly ok: true; readonly regExp: LinearRegExp } | { readonly ok: false; readonly reason: string };

/** Longer patterns are not compiled: RE2's compile time grows with the pattern (about 1 ms per 1,000 characters). */
export const MAX_PATTERN_LENGTH = 10_000;

// re2js is loaded with the first pattern, like Ajv itself: an idle hangar never needs it.
let re2js: typeof RE2JSClass | undefined;
const RE2 = (): typeof RE2JSClass => (re2js ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS);

/**
 * Compiles an ECMAScript pattern (as JSON Schema's `pattern` and `patternProperties` use them, with the `u`
 * flag Ajv passes) for RE2's linear-time matcher: matching takes time proportional to the text, whatever the
 * pattern. What RE2 cannot express (lookahead, lookbehind, backreferences, repeat counts above 1,000, ...)
 * is refused with the reason, never compiled for a backtracking engine.
 */
export const compileLinear = (pattern: string, flags: string): LinearCompiled => {
  if (flags !== 'u') return { ok: false, reason: `flags '${flags}' are not supported (only 'u', as Ajv passes it)` };
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `the pattern is longer than ${MAX_PATTERN_LENGTH} characters` };
  try {
    // Syntax only: V8 parses the pattern here and compiles it at its first use, which never comes.
    new RegExp(pattern, flags);
  } catch (error) {
    return { ok: false, reason: `not a valid ECMAScript pattern: ${messageOf(error)}` };
  }
  try {
    const re = RE2().compile(RE2().translateRegExp(toRe2Syntax(pattern)));
    return { ok: true, regExp: { test: (text) => re.test(text), toString: () => `/${pattern}/${flags}` } };
  } catch (error) {
    return { ok: false, reason: messageOf(error) };
  }
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

// ECMAScript's \s (WhiteSpace and LineTerminator); RE2's \s is only [\t\n\f\r ]. Checked against V8 in the tests.
const SPACE_RANGES: readonly (readonly [number, number])[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const hex = (code: number) => `\\x{${code.toString(16).toUpperCase()}}`;
const rangeText = (ranges: readonly (readonly [number, number])[]) =>
  ranges.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join('');
const complement = (ranges: readonly (readonly [number, number])[]) => {
  const out: [number, number][] = [];
  let next = 0;
  for (const [from, to] of ranges) {
    if (from > next) out.push([next, from - 1]);
    next = to + 1;
  }
  out.push([next, 0x10ffff]);
  return out;
};
const SPACE = rangeText(SPACE_RANGES);
const NOT_SPACE = rangeText(complement(SPACE_RANGES));
// ECMAScript's `.` leaves out all four line terminators; RE2's only \n.
const DOT = '[^\\n\\r\\x{2028}\\x{2029}]';

const HEX4 = /^[0-9A-Fa-f]{4}$/;
const surrogateAt = (pattern: string, at: number, low: boolean): number | undefined => {
  if (pattern[at] !== '\\' || pattern[at + 1] !== 'u') return undefined;
  const digits = pattern.slice(at + 2, at + 6);
  if (!HEX4.test(digits)) return undefined;
  const code = Number.parseInt(digits, 16);
  return (low ? code >= 0xdc00 && code <= 0xdfff : code >= 0xd800 && code <= 0xdbff) ? code : undefined;
};

/**
 * Rewrites what a `u`-mode ECMAScript pattern (already known to be valid) means differently in RE2: `\s`, `\S`
 * and `.` get ECMAScript's character sets, `[\b]` is a backspace, a `[` inside a class is a plain character
 * (RE2 would read `[:alpha:]` as a POSIX class), and an escaped surrogate pair is one code point.
 * Backreferences are refused: no linear-time engine can match them. re2js's `translateRegExp` then does the
 * rest (`\u` escapes, `\cX`, named groups, the empty classes `[]` and `[^]`). One pass, no regular expression.
 */
const toRe2Syntax = (pattern: string): string => {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      i++;
      if ((next >= '1' && next <= '9') || next === 'k') throw new Error('backreferences cannot be matched in linear time');
      if (next === 's') out += inClass ? SPACE : `[${SPACE}]`;
      else if (next === 'S') out += inClass ? NOT_SPACE : `[${NOT_SPACE}]`;
      else if (next === 'b' && inClass) out += '\\x{8}';
      else if (next === 'u' && surrogateAt(pattern, i - 1, false) !== undefined && surrogateAt(pattern, i + 5, true) !== undefined) {
        const high = surrogateAt(pattern, i - 1, false) as number;
        const low = surrogateAt(pattern, i + 5, true) as number;
        out += hex((high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000);
        i += 10;
      } else out += `\\${next}`;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      out += ch === '[' ? '\\[' : ch;
    } else if (ch === '[') {
      inClass = true;
      out += ch;
      // `[]` and `[^]`: the `]` closes the class in ECMAScript (translateRegExp rewrites both).
      if (pattern[i + 1] === ']' || (pattern[i + 1] === '^' && pattern[i + 2] === ']')) {
        const close = pattern[i + 1] === ']' ? 1 : 2;
        out += pattern.slice(i + 1, i + 1 + close);
        i += close;
        inClass = false;
      }
    } else {
      out += ch === '.' ? DOT : ch;
    }
  }
  return out;
};
