import { z } from 'zod';
import { warmDto } from '../../shared/dto.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const registryWarm = defineTool({
  name: 'registry_warm',
  title: 'Pre-start providers',
  description: 'Start providers ahead of their first call so it is fast. Give a comma-separated list of provider ids, or nothing for all.',
  inputSchema: z.object({ providers: z.string().max(4096).optional().describe('Comma-separated provider ids; empty = all') }).strict(),
  annotations: { readOnlyHint: false, idempotentHint: true, openWorldHint: false },
  handler: async ({ providers }, { app, correlationId }) => {
    const names = (providers ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    const result = warmDto(await app.warm(names, correlationId));
    const lines = [result.summary, ...result.failed.map((f) => `failed: ${f.id}: ${f.code}: ${f.error}`)];
    return dataResult(lines.join('\n'), { ...result });
  },
});
