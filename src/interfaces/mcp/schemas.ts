import { z } from 'zod';
import { PROVIDER_ID_PATTERN } from '../../domain/shared/ids.js';

/** Provider ids as the spec allows them. */
export const providerIdSchema = z
  .string()
  .regex(PROVIDER_ID_PATTERN, 'a provider id starts with a letter and has at most 64 letters, digits, _ or -')
  .describe('Provider id, as listed by registry_list');

/** Tool names per the MCP spec: 1-128 characters of letters, digits, _ - . and /. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_./-]{1,128}$/;
export const toolNameSchema = z
  .string()
  .regex(TOOL_NAME_PATTERN, 'a tool name has 1-128 letters, digits, _ - . or /')
  .describe('Tool name, as listed by registry_tools');

const MAX_ARGUMENT_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;

/**
 * Whether some value inside `value` sits more than `limit` levels down (the object's own entries are level 1).
 * A loop, not recursion, that stops at the first value too deep: arguments nested 100,000 levels deep cost no
 * more than 33 levels and never exhaust the stack. It runs before anything recursive looks at the arguments
 * (`JSON.stringify` below, the arguments digest, Ajv).
 */
export const nestedDeeperThan = (value: unknown, limit: number): boolean => {
  const stack: { readonly value: unknown; readonly depth: number }[] = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (next.depth > limit) return true;
    if (next.value === null || typeof next.value !== 'object') continue;
    for (const child of Object.values(next.value)) stack.push({ value: child, depth: next.depth + 1 });
  }
  return false;
};

/** Whether tool arguments are within the limits below (depth first: see {@link nestedDeeperThan}). */
const withinLimits = (value: unknown): boolean => !nestedDeeperThan(value, MAX_DEPTH) && Buffer.byteLength(JSON.stringify(value)) <= MAX_ARGUMENT_BYTES;

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The hand check of the hot path: tool arguments that `toolArgumentsSchema` accepts, returned as they came
 * (no copy); undefined for anything else, which the schema then words. (An absent value is `{}`.)
 */
export const acceptToolArguments = (value: unknown): Record<string, unknown> | undefined => {
  if (value === undefined) return {};
  return isPlainObject(value) && withinLimits(value) ? value : undefined;
};

/** Tool arguments: a JSON object of at most 1 MiB and nesting depth 32. */
export const toolArgumentsSchema = z
  .record(z.string(), z.unknown())
  .default({})
  .superRefine((value, ctx) => {
    // Depth first: JSON.stringify recurses, and overflows the stack on a value some thousands of levels deep.
    if (nestedDeeperThan(value, MAX_DEPTH)) ctx.addIssue({ code: 'custom', message: `arguments are nested deeper than ${MAX_DEPTH} levels` });
    else if (Buffer.byteLength(JSON.stringify(value)) > MAX_ARGUMENT_BYTES) ctx.addIssue({ code: 'custom', message: 'arguments exceed 1 MiB as JSON' });
  })
  .describe("The tool's arguments, an object that fits the tool's inputSchema");

/** Per-call timeout in seconds. */
export const timeoutSchema = z.number().min(0.1).max(3600).optional().describe("Timeout in seconds (0.1-3600); default the provider's timeout_s");
