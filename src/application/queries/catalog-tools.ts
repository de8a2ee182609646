import type { HangarEvent } from '../../domain/hangar-event.js';
import { knownTools } from '../../domain/provider/state.js';
import type { ToolDefinition } from '../../domain/provider/tool-definition.js';
import type { ProviderId } from '../../domain/shared/ids.js';
import type { EventBus } from '../ports/event-bus.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

/** One registered provider's known tools (discovered in this or an earlier run, else predefined). */
export interface CatalogTools {
  readonly provider: ProviderId;
  readonly tools: readonly ToolDefinition[];
}

/** Every registered provider of this instance with its known tools, in the catalog's order; starts nothing. */
export const catalogTools = (catalog: ProviderCatalog) => (): readonly CatalogTools[] =>
  catalog.list().map((entry) => ({ provider: entry.id, tools: knownTools(entry.state) }));

/** The events after which a provider's known tools, or the set of providers, may differ. */
const TOOL_LIST_EVENTS: ReadonlySet<string> = new Set(['ProviderRegistered', 'ProviderConfigChanged', 'ProviderDeregistered', 'ToolsDiscovered']);

/**
 * Calls `listener` after each event that may change `catalogTools()` (the catalog, subscribed to the bus
 * first, has folded it by then). Whether the tools did change is the listener's to find out. Returns the
 * unsubscribe function.
 */
export const onCatalogToolsChanged =
  (bus: EventBus<HangarEvent>) =>
  (listener: () => void): (() => void) =>
    bus.subscribe((event) => {
      if (TOOL_LIST_EVENTS.has(event.type)) listener();
    });
