import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ExposeConfig, ExposeMode, ProviderExposure } from '../../application/config.js';
import type { CatalogTools } from '../../application/queries/catalog-tools.js';
import type { SearchableTool } from './tool-search.js';

/** The longest tool name clients accept (Claude, OpenAI: `^[a-zA-Z0-9_-]{1,64}$`). */
export const MAX_TOOL_NAME = 64;
/** `_` and six hex digits: what a shortened or disambiguated name ends with. */
const SUFFIX_LENGTH = 7;

/** Where a direct tool's calls go. */
export interface DirectTarget {
  readonly provider: string;
  readonly tool: string;
}

/** The direct tools clients see: the exposure map from exposed name to (provider, tool), and their listing. */
export interface Exposure {
  /** Whether `tools/list` holds the registry tools (`registry`, `both`, `search`). */
  readonly registryListed: boolean;
  /** The registry tools as listed: every one (`registry`, `both`), the search set (`search`), none (`direct`). */
  readonly registryListing: readonly Tool[];
  /**
   * The tools `registry_search_tools` covers: every tool of each provider whose mode is not `registry`
   * (allowed, not denied), with its direct name when it is also listed directly; providers by id, tools by name.
   */
  readonly searchable: readonly SearchableTool[];
  /** The direct tools as listed: the provider's definition, only the name changed; providers by id, tools by name. */
  readonly tools: readonly Tool[];
  readonly byName: ReadonlyMap<string, DirectTarget>;
  /** What was renamed beyond the plain `<prefix><separator><tool>` (collisions), in words, for the log. */
  readonly collisions: readonly string[];
  /** A digest of the whole listing (registry tools included): `tools/list_changed` is sent when it changes. */
  readonly digest: string;
}

export interface ExposureInput {
  readonly config: ExposeConfig;
  /** Each provider's own exposure settings (read at every recomputation: a config reload changes them). */
  readonly providers: { get(provider: string): ProviderExposure | undefined };
  readonly catalog: readonly CatalogTools[];
  /** The registry tools' names: never taken by a direct tool. */
  readonly reserved: readonly string[];
  /** The registry tools' listing, part of the digest. */
  readonly registryTools: readonly Tool[];
  /** With `expose: search`: the registry tools listed instead, which may name what the search covers. */
  readonly searchTools?: (searchable: readonly SearchableTool[]) => readonly Tool[];
}

const hex6 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 6);

/** Characters clients refuse in a tool name become `_`. */
const sanitize = (name: string): string => name.replace(/[^A-Za-z0-9_-]/g, '_');

/** A name of at most 64 characters: longer ones keep their first 57 and end with `_` + 6 hex of sha256(`full`). */
export const shorten = (name: string, full: string = name): string =>
  name.length <= MAX_TOOL_NAME ? name : `${name.slice(0, MAX_TOOL_NAME - SUFFIX_LENGTH)}_${hex6(full)}`;

/** The same name made distinct: its first 57 characters at most, `_` and 6 hex of sha256(`provider/tool`). */
const disambiguate = (name: string, provider: string, tool: string): string => `${name.slice(0, MAX_TOOL_NAME - SUFFIX_LENGTH)}_${hex6(`${provider}/${tool}`)}`;

const globCache = new Map<string, RegExp>();
const matches = (pattern: string, name: string): boolean => {
  let regex = globCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    globCache.set(pattern, regex);
  }
  return regex.test(name);
};

const listsDirect = (mode: ExposeMode): boolean => mode === 'direct' || mode === 'both';
/** A provider in `registry` mode keeps its tools behind registry_tools/registry_invoke: the search leaves them out. */
const searched = (mode: ExposeMode): boolean => mode !== 'registry';

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The exposure map: every provider whose mode (its own, else the top-level one) is `direct` or `both` has
 * its known tools (allowed, not denied) listed as `<prefix><separator><tool>` (prefix: the provider id by
 * default; characters outside A-Z a-z 0-9 _ - become `_`; shortened to 64 characters with a hash suffix).
 * Providers in id order, tools in name order; a name a registry tool or an earlier tool already holds gets
 * `_` + 6 hex of sha256(`provider/tool`) instead, and is reported in `collisions`. Deterministic: the same
 * catalog and config give the same names.
 */
export const computeExposure = (input: ExposureInput): Exposure => {
  const { config } = input;
  const taken = new Set(input.reserved);
  const tools: Tool[] = [];
  const byName = new Map<string, DirectTarget>();
  const collisions: string[] = [];
  const searchable: SearchableTool[] = [];
  const providers = [...input.catalog].sort((a, b) => byCodePoint(a.provider, b.provider));
  for (const { provider, tools: known } of providers) {
    const own = input.providers.get(provider) ?? {};
    const mode = own.mode ?? config.mode;
    const direct = listsDirect(mode);
    if (!direct && !searched(mode)) continue;
    const prefix = own.prefix ?? provider;
    const head = prefix === '' ? '' : `${prefix}${config.separator}`;
    const sorted = [...known].sort((a, b) => byCodePoint(a.name, b.name));
    for (const definition of sorted) {
      const tool = definition.name;
      if (own.allow !== undefined && !own.allow.some((p) => matches(p, tool))) continue;
      if (own.deny?.some((p) => matches(p, tool)) === true) continue;
      if (!direct) {
        searchable.push({ provider, tool, definition });
        continue;
      }
      const full = sanitize(`${head}${tool}`);
      let name = shorten(full);
      if (taken.has(name)) {
        const other = byName.get(name);
        const holder = other === undefined ? 'a registry tool' : `${other.provider}/${other.tool}`;
        const renamed = disambiguate(full, provider, tool);
        if (taken.has(renamed)) {
          collisions.push(`${provider}/${tool}: '${name}' and '${renamed}' are both taken; not exposed directly (call it through registry_invoke)`);
          searchable.push({ provider, tool, definition });
          continue;
        }
        collisions.push(`${provider}/${tool}: '${name}' is taken by ${holder}; exposed as '${renamed}'`);
        name = renamed;
      }
      taken.add(name);
      byName.set(name, { provider, tool });
      tools.push({ ...definition, name, inputSchema: (definition.inputSchema ?? { type: 'object' }) as Tool['inputSchema'] });
      searchable.push({ provider, tool, name, definition });
    }
  }
  const registryListed = config.mode !== 'direct';
  const registryListing = !registryListed
    ? []
    : config.mode === 'search' && input.searchTools !== undefined
      ? input.searchTools(searchable)
      : input.registryTools;
  const digest = createHash('sha256')
    .update(JSON.stringify([registryListing, tools]))
    .digest('hex');
  return { registryListed, registryListing, searchable, tools, byName, collisions, digest };
};
