import type { HangarEvent } from '../domain/hangar-event.js';
import { instanceDecider, isInstanceEvent, type InstanceCommand, type InstanceEvent, type InstanceState } from '../domain/instance/instance.decider.js';
import type { ProviderCommand } from '../domain/provider/commands.js';
import { isProviderEvent, type ProviderEvent } from '../domain/provider/events.js';
import { providerDecider } from '../domain/provider/provider.decider.js';
import type { ProviderState } from '../domain/provider/state.js';
import type { InstanceId, ProviderId } from '../domain/shared/ids.js';
import { instanceStreamId, providerStreamId } from '../domain/shared/streams.js';
import { CommandHandler, type Aggregate } from './command-handler.js';
import type { Clock } from './ports/clock.js';
import type { EventBus } from './ports/event-bus.js';
import type { EventStore, StoredEvent } from './ports/event-store.js';

/** Runs commands on the providers one instance runs (streams `provider-<id>@<instance>`). */
export type ProviderCommands = CommandHandler<HangarEvent, ProviderId, ProviderCommand, ProviderEvent, ProviderState>;
/** Runs commands on instances (streams `instance-<instance>`). */
export type InstanceCommands = CommandHandler<HangarEvent, InstanceId, InstanceCommand, InstanceEvent, InstanceState>;

export interface HandlerDeps {
  readonly store: EventStore<HangarEvent>;
  readonly bus: EventBus<HangarEvent>;
  readonly clock: Clock;
}

/** The Provider aggregate as run by `instance`. */
const providerAggregate = (instance: InstanceId): Aggregate<HangarEvent, ProviderId, ProviderCommand, ProviderEvent, ProviderState> => ({
  decider: providerDecider,
  streamId: (id) => providerStreamId(id, instance),
  owns: (event): event is StoredEvent<ProviderEvent> => isProviderEvent(event),
  name: 'provider',
});

const instanceAggregate: Aggregate<HangarEvent, InstanceId, InstanceCommand, InstanceEvent, InstanceState> = {
  decider: instanceDecider,
  streamId: instanceStreamId,
  owns: (event): event is StoredEvent<InstanceEvent> => isInstanceEvent(event),
  name: 'instance',
};

export const providerCommands = (instance: InstanceId, deps: HandlerDeps): ProviderCommands => new CommandHandler(providerAggregate(instance), deps);
export const instanceCommands = (deps: HandlerDeps): InstanceCommands => new CommandHandler(instanceAggregate, deps);
