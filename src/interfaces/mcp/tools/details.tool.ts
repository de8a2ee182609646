import { z } from 'zod';
import { providerIdSchema } from '../schemas.js';
import { detailsDto } from '../../shared/dto.js';
import { dataResult, defineTool } from '../registry-tool.js';
import { startFailureText, TOOLS_UNKNOWN } from '../status-lines.js';

export const registryDetails = defineTool({
  name: 'registry_details',
  title: 'Provider details',
  description:
    'Everything about one provider: config summary (no secrets), state, process id, uptime, counters of starts, crashes and calls, last error, stderr tail of the running process, and its tools. Use it to debug a failing provider.',
  inputSchema: z.object({ provider: providerIdSchema }).strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ provider }, { app }) => {
    const details = detailsDto(app.details(provider));
    const lines = [
      `${details.id} (${details.mode}) — ${details.state}`,
      details.process ? `pid ${details.process.pid}, up ${details.process.uptime_s} s, ${details.process.in_flight} calls in flight` : 'no process running',
      `starts ${details.counters.starts}, failed starts ${details.counters.startFailures}, crashes ${details.counters.crashes}, calls ${details.counters.invocations} (tool errors ${details.counters.toolErrors}), failed calls ${details.counters.invocationFailures}`,
      details.start_failure
        ? startFailureText(details.start_failure)
        : details.last_error
          ? `last error: ${details.last_error.code}: ${details.last_error.message}`
          : 'no errors recorded',
      ...(details.start_failure?.stderr_tail ? [`stderr (last lines):\n${details.start_failure.stderr_tail}`] : []),
      details.tools_known ? `tools (${details.tools_source}): ${details.tools.join(', ') || 'none'}` : `tools: ${TOOLS_UNKNOWN}`,
    ];
    return dataResult(lines.join('\n'), details);
  },
});
