import { z } from 'zod';
import { providerSummaryDto } from '../../shared/dto.js';
import { dataResult, defineTool } from '../registry-tool.js';
import { startFailureText, TOOLS_UNKNOWN } from '../status-lines.js';

const STATES = ['cold', 'initializing', 'ready', 'degraded', 'dead'] as const;

export const registryList = defineTool({
  name: 'registry_list',
  title: 'List providers',
  description:
    'List every MCP provider registered in the hangar with its mode, state (cold, initializing, ready, degraded, dead), number of tools (or "tools unknown until first start"), the failure of its last start when it failed, and description. Cheap: starts nothing. Use it first to see what is available.',
  inputSchema: z.object({ state_filter: z.enum(STATES).optional().describe('Only providers in this state') }).strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (input, { app }) => {
    const providers = app.list(input.state_filter).map(providerSummaryDto);
    const lines = providers.map((p) => {
      const tools = p.tools_count === null ? TOOLS_UNKNOWN : `${p.tools_count} tools`;
      const failed = p.start_failure ? `  (${startFailureText(p.start_failure)})` : '';
      return `${p.id}  ${p.state}  ${p.mode}  ${tools}${failed}${p.description ? `  — ${p.description}` : ''}`;
    });
    return dataResult(lines.length > 0 ? lines.join('\n') : 'No providers match.', { providers });
  },
});
