import { z } from 'zod';
import { OUTCOME_FILTERS, parseAuditTime } from '../../../application/queries/audit-invocations.js';
import { providerId } from '../../../domain/shared/ids.js';
import { auditPageDto, formatInvocations } from '../../shared/audit.js';
import { providerIdSchema, toolNameSchema } from '../schemas.js';
import { dataResult, defineTool } from '../registry-tool.js';

const time = z
  .string()
  .max(64)
  .refine((value) => parseAuditTime(value) !== undefined, 'expected an ISO date or time, e.g. 2026-03-07 or 2026-03-07T12:00:00Z');

export const registryAudit = defineTool({
  name: 'registry_audit',
  title: 'Audit tool calls',
  description:
    'Recorded tool calls, newest first, filtered by provider, tool, time range, outcome, correlation id or caller (filters combine): for each, time, provider and instance, tool, outcome, duration, caller, correlation id, global position, and the arguments as recorded (in full where the config records them, else their digest). A page holds at most limit calls; pass next_before as before for the next. Use it to answer who called what, when, and how it ended.',
  inputSchema: z
    .object({
      provider: providerIdSchema.optional(),
      tool: toolNameSchema.optional(),
      since: time.optional().describe('Only calls at or after this ISO date or time (UTC unless it names a zone)'),
      until: time.optional().describe('Only calls before this ISO date or time'),
      outcome: z
        .enum(OUTCOME_FILTERS as [string, ...string[]])
        .optional()
        .describe('success, tool_error, failed (any call that ended without a result), or one error code in lower case'),
      correlation_id: z.string().min(1).max(128).optional().describe('Only the calls of this registry call'),
      caller: z.string().min(1).max(256).optional().describe('Only the calls of this HTTP caller (token name or JWT subject)'),
      before: z.number().int().min(1).optional().describe('The next page: next_before of the previous page'),
      limit: z.number().int().min(1).max(1000).default(100).describe('At most this many calls'),
    })
    .strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (input, { app }) => {
    const page = await app.audit({
      provider: input.provider,
      tool: input.tool,
      since: input.since,
      until: input.until,
      outcome: input.outcome,
      correlationId: input.correlation_id,
      caller: input.caller,
      before: input.before,
      limit: input.limit,
    });
    // A removed provider keeps its records; an id with none at all that the registry does not know is unknown.
    if (input.provider !== undefined && page.invocations.length === 0) app.resolve(providerId(input.provider));
    const more = page.nextBefore === null ? '' : `\nMore calls match: pass before: ${page.nextBefore} for the next page.`;
    return dataResult(`${formatInvocations(page)}${more}`, auditPageDto(page));
  },
});
