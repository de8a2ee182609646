import { z } from 'zod';
import { PROVIDER_EVENT_TYPES } from '../../../domain/provider/events.js';
import { providerId } from '../../../domain/shared/ids.js';
import { historyEntryDto } from '../../shared/dto.js';
import { providerIdSchema } from '../schemas.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const registryHistory = defineTool({
  name: 'registry_history',
  title: 'Provider event history',
  description:
    "A provider's recorded events in order (registered, started, tool invoked, crashed, stopped, ...) with global position and time, across restarts of the hangar. Use it to find out what happened to a provider and when.",
  inputSchema: z
    .object({
      provider: providerIdSchema,
      since: z.string().optional().describe('Only events from this ISO time or global position on'),
      limit: z.number().int().min(1).max(1000).default(50).describe('At most this many of the most recent events'),
      types: z.array(z.enum(PROVIDER_EVENT_TYPES)).optional().describe('Only these event types, e.g. ["ProviderCrashed"]'),
    })
    .strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (input, { app }) => {
    const id = providerId(input.provider); // the schema's pattern is the provider id's: this only brands it
    const events = (await app.history({ provider: id, since: input.since, limit: input.limit, types: input.types })).map(historyEntryDto);
    // A deregistered provider keeps its history; an id with no events at all is unknown.
    if (events.length === 0 && input.since === undefined && input.types === undefined) app.resolve(id);
    const lines = events.map((e) => `#${e.position} ${e.occurred_at} @${e.instance ?? '-'} ${e.type} ${JSON.stringify(e.data)}`);
    return dataResult(lines.length > 0 ? lines.join('\n') : `No events for ${id}.`, { provider: id, events });
  },
});
