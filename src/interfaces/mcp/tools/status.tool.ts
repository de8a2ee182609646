import { z } from 'zod';
import { dataResult, defineTool } from '../registry-tool.js';
import { statusText } from '../status-lines.js';

export const registryStatus = defineTool({
  name: 'registry_status',
  title: 'Status dashboard',
  description: 'A one-line-per-provider dashboard: what is running, when it was last used, what will start on request, what is degraded and why.',
  inputSchema: z.object({}).strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (_input, { app }) => {
    const { atMs, rows } = app.status();
    const dashboard = statusText(rows, atMs);
    return dataResult(dashboard, { dashboard });
  },
});
