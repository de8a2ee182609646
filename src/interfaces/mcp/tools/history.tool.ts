import { z } from 'zod';
import { PROVIDER_EVENT_TYPES } from '../../../domain/provider/events.js';
import { providerId } from '../../../domain/shared/ids.js';
import { historyEntryDto } from '../../shared/dto.js';
import { formatTimeline } from '../../shared/timeline.js';
import { providerIdSchema } from '../schemas.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const registryHistory = defineTool({
  name: 'registry_history',
  title: 'Provider event history',
  description:
    "A provider's recorded events in order (registered, started, tool invoked, crashed, stopped, ...) one line each (global position, time, instance, type, and a summary — tool names rather than schemas), with every recorded field in structuredContent, across restarts of the hangar. Use it to find out what happened to a provider and when.",
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
    const entries = await app.history({ provider: id, since: input.since, limit: input.limit, types: input.types });
    // A deregistered provider keeps its history; an id with no events at all is unknown.
    if (entries.length === 0 && input.since === undefined && input.types === undefined) app.resolve(id);
    // The text is the CLI's timeline (one line per event, what matters of it); structuredContent has every recorded field.
    const text = entries.length > 0 ? formatTimeline(id, entries) : `No events for ${id}.`;
    return dataResult(text, { provider: id, events: entries.map(historyEntryDto) });
  },
});
