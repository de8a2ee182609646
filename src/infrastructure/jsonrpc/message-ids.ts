/** A JSON-RPC id, as MCP allows it: a string or an integer (never null). */
export type RequestId = string | number;

const ID_VALUE = String.raw`(-?\d{1,16}|"(?:[^"\\]|\\.){0,256}")`;
// `…,"id":42}` at the very end (the official SDK writes the id last) …
const ID_AT_END = new RegExp(String.raw`"id"\s*:\s*${ID_VALUE}\s*\}\s*$`);
// … or `{"jsonrpc":"2.0","id":42,…` / `{"id":42,…` near the start.
const ID_AT_START = new RegExp(String.raw`^\s*\{\s*(?:"(?:jsonrpc|method)"\s*:\s*"[^"]{0,128}"\s*,\s*){0,2}"id"\s*:\s*${ID_VALUE}`);

const parseId = (text: string | undefined): RequestId | undefined => {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value)) ? value : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The id of a JSON-RPC message that could not be parsed whole (too long, or broken), found at either end of
 * its text; undefined when neither end shows one. Both patterns are anchored and bounded: linear time.
 */
export const findMessageId = (head: string, tail: string = head): RequestId | undefined =>
  parseId(ID_AT_END.exec(tail)?.[1]) ?? parseId(ID_AT_START.exec(head)?.[1]);

/** A valid JSON-RPC id for a reply: a string or a safe integer. */
export const isRequestId = (value: unknown): value is RequestId => typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
