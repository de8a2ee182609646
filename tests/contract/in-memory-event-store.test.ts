import type { EventSchemaRegistry } from '../../src/infrastructure/persistence/event-schemas.js';
import { InMemoryEventLog, InMemoryEventStore } from '../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { eventStoreContract } from './event-store.contract.js';

eventStoreContract('InMemoryEventStore', async (registry?: EventSchemaRegistry) => {
  const log = new InMemoryEventLog();
  const open = (r?: EventSchemaRegistry) => new InMemoryEventStore({ log, registry: r });
  const stores = [open(registry)];
  return {
    store: stores[0] as InMemoryEventStore,
    reopen: async (r?: EventSchemaRegistry) => {
      const store = open(r);
      stores.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
});
