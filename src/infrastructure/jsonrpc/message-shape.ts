import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
// A number id must be exact: one a double cannot hold would be answered with a rounded id.
const isId = (value: unknown): boolean => typeof value === 'string' || Number.isSafeInteger(value);
const onlyKeys = (value: Json, allowed: ReadonlySet<string>): boolean => {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
};

const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);
const NOTIFICATION_KEYS = new Set(['jsonrpc', 'method', 'params']);
const RESULT_KEYS = new Set(['jsonrpc', 'id', 'result']);
const ERROR_KEYS = new Set(['jsonrpc', 'id', 'error']);

/** `params` of a request or notification: an object whose `_meta`, when present, is an object with a valid progress token. */
const validParams = (params: unknown): boolean => {
  if (params === undefined) return true;
  if (!isObject(params)) return false;
  const meta = params['_meta'];
  if (meta === undefined) return true;
  return isObject(meta) && (meta['progressToken'] === undefined || isId(meta['progressToken']));
};

/**
 * Whether `value` is a JSON-RPC 2.0 message as MCP defines it (the SDK's `JSONRPCMessageSchema`: a request,
 * a notification, a result or an error, with no other top-level keys), checked by hand: it looks at the
 * envelope only, never into params or results, and returns the value itself rather than a copy, so that
 * a message costs no schema parse and no copy on its way in.
 */
export const isJsonRpcMessage = (value: unknown): value is JSONRPCMessage => {
  if (!isObject(value) || value['jsonrpc'] !== '2.0') return false;
  if (typeof value['method'] === 'string') {
    if (!validParams(value['params'])) return false;
    return 'id' in value ? isId(value['id']) && onlyKeys(value, REQUEST_KEYS) : onlyKeys(value, NOTIFICATION_KEYS);
  }
  if ('result' in value) return isId(value['id']) && isObject(value['result']) && onlyKeys(value, RESULT_KEYS);
  // An error may have no id (JSON-RPC answers an unparsable request so).
  if (value['id'] !== undefined && !isId(value['id'])) return false;
  const error = value['error'];
  return isObject(error) && Number.isInteger(error['code']) && typeof error['message'] === 'string' && onlyKeys(value, ERROR_KEYS);
};
