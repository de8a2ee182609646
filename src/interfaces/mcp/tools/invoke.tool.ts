import { z } from 'zod';
import { flushProgress } from '../progress.js';
import { providerIdSchema, timeoutSchema, toolArgumentsSchema, toolNameSchema } from '../schemas.js';
import { defineTool } from '../registry-tool.js';

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
  handler: async (input, { app, correlationId, signal, progress }) => {
    let relayed: Promise<void> | undefined;
    const result = await app.invoke({
      provider: input.provider,
      tool: input.tool,
      arguments: input.arguments,
      timeoutMs: input.timeout === undefined ? undefined : input.timeout * 1000,
      correlationId,
      signal,
      // The provider's own progress is relayed as it sent it, under the caller's token.
      onProgress: progress ? (u) => void (relayed = progress(u.progress, u.total, u.message).catch(() => undefined)) : undefined,
    });
    if (relayed) await relayed.then(flushProgress);
    return result;
  },
});
