import { z } from 'zod';
import type { ReplayPoint } from '../../../application/queries/provider-replay.js';
import { DEFAULT_REPLAY_STEPS, MAX_REPLAY_STEPS, parseReplayPoint } from '../../../application/queries/provider-replay.js';
import { providerId } from '../../../domain/shared/ids.js';
import { replayAtDto, replayWindowDto } from '../../shared/dto.js';
import { formatReplayAt, formatReplayWindow } from '../../shared/timeline.js';
import { providerIdSchema } from '../schemas.js';
import { dataResult, defineTool } from '../registry-tool.js';

const point = z.string().min(1).max(64);

export const registryReplay = defineTool({
  name: 'registry_replay',
  title: 'Replay a provider',
  description:
    "A provider's state at a moment (at), rebuilt from its recorded events with the hangar's own logic: status, pid, circuit, consecutive failures, retry time, tools, call counters, last error. Or, with from and to, each event of that window with the state fields it changed. Points are ISO times or global positions (as registry_history shows them). Use it to find out what state a provider was in when something happened.",
  inputSchema: z
    .object({
      provider: providerIdSchema,
      at: point.optional().describe('An ISO time or a global position: the state then'),
      from: point.optional().describe('Start of a window (ISO time or position), with to'),
      to: point.optional().describe('End of a window (ISO time or position), with from'),
      limit: z
        .number()
        .int()
        .min(1)
        .max(MAX_REPLAY_STEPS)
        .optional()
        .describe(`A window shows at most this many events (default ${DEFAULT_REPLAY_STEPS}); its answer says where to go on`),
    })
    .strict()
    .superRefine((v, ctx) => {
      const window = v.from !== undefined || v.to !== undefined;
      if (window === (v.at !== undefined)) ctx.addIssue({ code: 'custom', message: 'give exactly one of: at, or from and to' });
      else if (window && (v.from === undefined || v.to === undefined)) ctx.addIssue({ code: 'custom', message: 'a window needs both from and to' });
      for (const key of ['at', 'from', 'to'] as const) {
        const value = v[key];
        if (value !== undefined && parseReplayPoint(value) === undefined)
          ctx.addIssue({ code: 'custom', path: [key], message: 'expected an ISO time or a global position' });
      }
    }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async (input, { app }) => {
    const id = providerId(input.provider);
    const parse = (value: string): ReplayPoint => parseReplayPoint(value) as ReplayPoint; // checked by the schema
    if (input.at !== undefined) {
      const result = await app.replay.at({ provider: id, point: parse(input.at) });
      if (result.state.lastEvent === null) app.resolve(id); // an id with no events at all is unknown
      return dataResult(formatReplayAt(result), replayAtDto(result));
    }
    const result = await app.replay.window({ provider: id, from: parse(input.from as string), to: parse(input.to as string), limit: input.limit });
    if (result.state.lastEvent === null) app.resolve(id);
    return dataResult(formatReplayWindow(result), replayWindowDto(result));
  },
});
