import type { EventRegistry } from '../../src/infrastructure/persistence/event-registry.js';
import { InMemoryEventLog, InMemoryEventStore } from '../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { contractRegistry, eventStoreContract, type ContractEvent } from './event-store.contract.js';
import { invocationAuditContract } from './invocation-audit.contract.js';

eventStoreContract('InMemoryEventStore', async (registry?: EventRegistry<ContractEvent>) => {
  const log = new InMemoryEventLog();
  const open = (r: EventRegistry<ContractEvent> = contractRegistry()) => new InMemoryEventStore<ContractEvent>({ log, registry: r });
  const stores = [open(registry)];
  return {
    store: stores[0] as InMemoryEventStore<ContractEvent>,
    reopen: async (r?: EventRegistry<ContractEvent>) => {
      const store = open(r);
      stores.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
});

invocationAuditContract('InMemoryEventStore', async () => {
  const store = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
  return { store, between: () => undefined, cleanup: () => store.close() };
});
