import { z } from 'zod';
import { providerIdSchema } from '../schemas.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const registryTools = defineTool({
  name: 'registry_tools',
  title: 'Tool definitions of a provider',
  description:
    "Get the full definitions (name, description, inputSchema, outputSchema, annotations) of a provider's tools, to call them with registry_invoke. Does not start a cold provider whose tools are already known.",
  inputSchema: z.object({ provider: providerIdSchema }).strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ provider }, { app, correlationId }) => {
    const result = await app.tools(provider, correlationId);
    const lines = result.tools.map((t) => `${t.name}${t.description ? ` — ${t.description}` : ''}`);
    return dataResult(`${result.provider} (${result.state}, ${result.tools.length} tools, from ${result.source}):\n${lines.join('\n')}`, { ...result });
  },
});
