import { z } from 'zod';
import { DomainError } from '../../../domain/shared/errors.js';
import { dataResult, defineTool } from '../registry-tool.js';

export const SEARCH_LIMIT_DEFAULT = 10;
export const SEARCH_LIMIT_MAX = 50;
/** How many provider ids the listed description names before it says how many more. */
const NAMED_PROVIDERS = 20;
const SHORT_DESCRIPTION = 100;

const BASE_DESCRIPTION =
  'Search the provider tools by what they do (BM25 over tool names, parameter names and descriptions) and get the best matches with their input schemas, to call them with registry_invoke (provider, tool, arguments).';

/** The description as listed with `expose: search`: names what the search covers, so a model knows to use it. */
export const searchDescription = (providers: readonly string[], tools: number): string => {
  const named = providers.slice(0, NAMED_PROVIDERS).join(', ');
  const more = providers.length > NAMED_PROVIDERS ? ` and ${providers.length - NAMED_PROVIDERS} more` : '';
  const covers =
    providers.length === 0
      ? 'No provider tools are known yet (a provider that never started has none until registry_warm or a first call).'
      : `Covers ${tools} tool${tools === 1 ? '' : 's'} of ${providers.length} provider${providers.length === 1 ? '' : 's'}: ${named}${more}.`;
  return `${BASE_DESCRIPTION} ${covers}`;
};

const short = (text: string): string => {
  const line = text.split('\n')[0]!.trim();
  return line.length <= SHORT_DESCRIPTION ? line : `${line.slice(0, SHORT_DESCRIPTION - 1)}…`;
};

export const registrySearchTools = defineTool({
  name: 'registry_search_tools',
  title: 'Search provider tools',
  description: BASE_DESCRIPTION,
  inputSchema: z
    .object({
      query: z.string().min(1).max(1000).describe('What the tool should do, in a few words (e.g. "read file", "create github issue")'),
      limit: z
        .number()
        .int()
        .min(1)
        .max(SEARCH_LIMIT_MAX)
        .optional()
        .describe(`How many matches at most (default ${SEARCH_LIMIT_DEFAULT}, at most ${SEARCH_LIMIT_MAX})`),
    })
    .strict(),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  handler: async ({ query, limit }, { toolSearch }) => {
    if (toolSearch === undefined) throw new DomainError('INTERNAL_ERROR', 'the tool search index is not available');
    const index = toolSearch();
    const { hits, total } = index.search(query, limit ?? SEARCH_LIMIT_DEFAULT);
    const results = hits.map(({ entry, score }) => ({
      provider: entry.provider,
      tool: entry.tool,
      name: entry.name ?? null,
      description: entry.definition.description ?? '',
      score: Math.round(score * 1000) / 1000,
      input_schema: entry.definition.inputSchema ?? { type: 'object' },
    }));
    const lines = results.map((r) => `${r.provider}  ${r.tool}  ${r.score.toFixed(3)}${r.description ? `  — ${short(r.description)}` : ''}`);
    const text =
      results.length === 0
        ? `No tool matches '${query}' among ${index.size} tools. Try other words, or registry_list and registry_tools.`
        : `${lines.join('\n')}\n(${results.length} of ${total} matches; call one with registry_invoke { provider, tool, arguments })`;
    return dataResult(text, { results, total });
  },
});
