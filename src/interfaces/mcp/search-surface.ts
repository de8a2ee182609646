import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RegistryTool } from './registry-tool.js';
import { ToolSearchIndex, type SearchableTool } from './tool-search.js';
import { registryInvoke } from './tools/invoke.tool.js';
import { registrySearchTools, searchDescription } from './tools/search-tools.tool.js';
import { registryTools } from './tools/tools.tool.js';

/** The search tool: callable by name in every mode, listed only with `expose: search`. */
export const SEARCH_TOOL = registrySearchTools as unknown as RegistryTool;

/**
 * What `expose: search` lists: registry_search_tools (its description naming the providers and the number of
 * tools it covers, so the listing changes, and list_changed is sent, when the catalogue does), registry_tools
 * and registry_invoke. The other registry tools stay callable by name.
 */
export const searchListing =
  (listing: (tool: RegistryTool) => Tool) =>
  (searchable: readonly SearchableTool[]): Tool[] => {
    const providers = [...new Set(searchable.map((s) => s.provider))].sort();
    return [
      { ...listing(SEARCH_TOOL), description: searchDescription(providers, searchable.length) },
      listing(registryTools as unknown as RegistryTool),
      listing(registryInvoke as unknown as RegistryTool),
    ];
  };

/** The search index of one exposure, built at most once (eagerly by the cache with `expose: search`). */
export const indexOnce = (searchable: readonly SearchableTool[]): (() => ToolSearchIndex) => {
  let index: ToolSearchIndex | undefined;
  return () => (index ??= new ToolSearchIndex(searchable));
};
