import { z } from 'zod';
import { providerIdSchema } from '../schemas.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const registryStop = defineTool({
  name: 'registry_stop',
  title: 'Stop a provider',
  description: 'Stop a running provider (closes its session and ends its processes). Its tools stay listed and the next call starts it again.',
  inputSchema: z.object({ provider: providerIdSchema }).strict(),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ provider }, { app, correlationId }) => {
    const id = app.resolve(provider);
    const state = await app.stop(id, 'user_request', { correlationId });
    return dataResult(`${id} is ${state.status}.`, { provider: id, state: state.status, reason: 'user_request' });
  },
});
