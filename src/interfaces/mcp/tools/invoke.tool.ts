import { z } from 'zod';
import { flushProgress } from '../progress.js';
import { PROVIDER_ID_PATTERN } from '../../../domain/shared/ids.js';
import { acceptToolArguments, providerIdSchema, timeoutSchema, TOOL_NAME_PATTERN, toolArgumentsSchema, toolNameSchema } from '../schemas.js';
import { defineTool } from '../registry-tool.js';

const INPUT_KEYS = new Set(['provider', 'tool', 'arguments', 'timeout']);

export const registryInvoke = defineTool({
  name: 'registry_invoke',
  title: 'Call a provider tool',
  description:
    "Call a tool of a provider and get the tool's own result back unchanged. A cold provider is started first (that first call takes longer). Find providers with registry_list and tool names and argument schemas with registry_tools.",
  inputSchema: z
    .object({
      provider: providerIdSchema,
      tool: toolNameSchema,
      arguments: toolArgumentsSchema,
      timeout: timeoutSchema,
    })
    .strict(),
  annotations: { readOnlyHint: false, openWorldHint: true },
  // The input schema above, checked by hand on the hot path (and the arguments passed on as they came).
  accept: (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
    for (const key in input) if (!INPUT_KEYS.has(key)) return undefined;
    const { provider, tool, arguments: args, timeout } = input as Record<string, unknown>;
    if (typeof provider !== 'string' || !PROVIDER_ID_PATTERN.test(provider) || typeof tool !== 'string' || !TOOL_NAME_PATTERN.test(tool)) return undefined;
    if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0.1 && timeout <= 3600)) return undefined;
    const accepted = acceptToolArguments(args);
    return accepted === undefined ? undefined : { provider, tool, arguments: accepted, timeout };
  },
  handler: async (input, { app, correlationId, caller, signal, progress }) => {
    let relayed: Promise<void> | undefined;
    const result = await app.invoke({
      provider: input.provider,
      tool: input.tool,
      arguments: input.arguments,
      timeoutMs: input.timeout === undefined ? undefined : input.timeout * 1000,
      correlationId,
      caller,
      signal,
      // The provider's own progress is relayed as it sent it, under the caller's token.
      onProgress: progress ? (u) => void (relayed = progress(u.progress, u.total, u.message).catch(() => undefined)) : undefined,
    });
    if (relayed) await relayed.then(flushProgress);
    return result;
  },
});
