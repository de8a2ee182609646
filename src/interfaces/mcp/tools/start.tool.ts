import { z } from 'zod';
import { providerIdSchema } from '../schemas.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const registryStart = defineTool({
  name: 'registry_start',
  title: 'Start a provider',
  description:
    'Start a provider now instead of on its first call (spawns it, completes the MCP handshake and lists its tools). Rarely needed: registry_invoke starts cold providers by itself.',
  inputSchema: z.object({ provider: providerIdSchema }).strict(),
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ provider }, { app, correlationId }) => {
    const id = app.resolve(provider);
    const session = await app.start(id, 'user_request', { correlationId });
    const tools = session.connection.tools.map((t) => t.name);
    return dataResult(`${id} is ready (${tools.length} tools).`, { provider: id, state: 'ready', pid: session.connection.pid, tools });
  },
});
