import { z } from 'zod';
import { healthDto } from '../../shared/dto.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const registryHealth = defineTool({
  name: 'registry_health',
  title: 'Hangar health',
  description:
    'Overall health of the hangar, derived from its providers (healthy, degraded, unhealthy), with counts by state, providers in trouble, open circuits, health-check and rate-limit figures.',
  inputSchema: z.object({}).strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (_input, { app }) => {
    const health = healthDto(app.health());
    const counts = Object.entries(health.by_state)
      .map(([state, n]) => `${state} ${n}`)
      .join(', ');
    const trouble = health.unhealthy_providers.length > 0 ? `; needs attention: ${health.unhealthy_providers.join(', ')}` : '';
    return dataResult(`${health.status}: ${health.providers} providers (${counts})${trouble}`, health);
  },
});
