const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** The characters that matter inside a nested value: strings and brackets. */
const STRUCTURE = /["[\]{}]/g;

const isSpace = (code: number): boolean => code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

const skipSpace = (text: string, from: number): number => {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
};

/** `at` is an opening quote; the index just after its closing quote. */
const stringEnd = (text: string, at: number): number => {
  for (let from = at + 1; ;) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return text.length;
    let escapes = 0;
    while (text.charCodeAt(quote - 1 - escapes) === BACKSLASH) escapes++;
    if (escapes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
};

/** `at` starts a value; the index just after it. */
const valueEnd = (text: string, at: number): number => {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let from = at; ;) {
      STRUCTURE.lastIndex = from;
      const found = STRUCTURE.exec(text);
      if (found === null) return text.length;
      const code = text.charCodeAt(found.index);
      if (code === QUOTE) {
        from = stringEnd(text, found.index);
        continue;
      }
      depth += code === OPEN_BRACE || code === OPEN_BRACKET ? 1 : -1;
      from = found.index + 1;
      if (depth === 0) return from;
    }
  }
  let i = at;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isSpace(code)) break;
    i++;
  }
  return i;
};

/**
 * The text of the value of the top-level member `key` of `json`, a JSON object's text that `JSON.parse`
 * has accepted: exactly as written, so that forwarding it keeps every byte (large numbers, number spellings,
 * key order). Undefined when there is no such member. Keys are compared as `JSON.parse` reads them
 * (escapes decoded), and with duplicate keys the last one counts, as in `JSON.parse`: the text returned is
 * always the value `JSON.parse` gives the member. Linear in the length of the text; strings are
 * skipped with `indexOf` and nested values by their brackets, so a large value costs little.
 */
export const memberText = (json: string, key: string): string | undefined => {
  let i = skipSpace(json, 0);
  if (json.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(json, i + 1);
  let found: string | undefined;
  while (i < json.length && json.charCodeAt(i) === QUOTE) {
    const keyEnd = stringEnd(json, i);
    const raw = json.slice(i + 1, keyEnd - 1);
    // A key written with escapes ("res\u0075lt") is the same key to JSON.parse: decode it before comparing.
    const name = raw.includes('\\') ? (JSON.parse(json.slice(i, keyEnd)) as string) : raw;
    const start = skipSpace(json, skipSpace(json, keyEnd) + 1); // past the colon
    const end = valueEnd(json, start);
    if (name === key) found = json.slice(start, end);
    i = skipSpace(json, end);
    if (json.charCodeAt(i) === COMMA) i = skipSpace(json, i + 1);
  }
  return found;
};
