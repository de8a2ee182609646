import { z } from 'zod';
import { PROVIDER_ID_PATTERN } from '../../domain/shared/ids.js';

/** Provider ids as the spec allows them. */
export const providerIdSchema = z
  .string()
  .regex(PROVIDER_ID_PATTERN, 'a provider id starts with a letter and has at most 64 letters, digits, _ or -')
  .describe('Provider id, as listed by registry_list');

/** Tool names per the MCP spec: 1-128 characters of letters, digits, _ - . and /. */
export const toolNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_./-]{1,128}$/, 'a tool name has 1-128 letters, digits, _ - . or /')
  .describe('Tool name, as listed by registry_tools');

const MAX_ARGUMENT_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;

const depthOf = (value: unknown, depth = 0): number => {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return depth;
  let deepest = depth;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child, depth + 1));
  return deepest;
};

/** Tool arguments: a JSON object of at most 1 MiB and nesting depth 32. */
export const toolArgumentsSchema = z
  .record(z.string(), z.unknown())
  .default({})
  .superRefine((value, ctx) => {
    if (Buffer.byteLength(JSON.stringify(value)) > MAX_ARGUMENT_BYTES) ctx.addIssue({ code: 'custom', message: 'arguments exceed 1 MiB as JSON' });
    else if (depthOf(value) > MAX_DEPTH) ctx.addIssue({ code: 'custom', message: `arguments are nested deeper than ${MAX_DEPTH} levels` });
  })
  .describe("The tool's arguments, an object that fits the tool's inputSchema");

/** Per-call timeout in seconds. */
export const timeoutSchema = z.number().min(0.1).max(3600).optional().describe("Timeout in seconds (0.1-3600); default the provider's timeout_s");
