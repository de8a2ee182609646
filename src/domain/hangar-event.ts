import type { InstanceEvent } from './instance/instance.decider.js';
import type { ProviderEvent } from './provider/events.js';

/** Every event the hangar stores: the union of its aggregates' events. A new aggregate adds its union here. */
export type HangarEvent = ProviderEvent | InstanceEvent;
