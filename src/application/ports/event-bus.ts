import type { DomainEvent } from '../../domain/shared/event.js';
import type { StoredEvent } from './event-store.js';

/** Publishes committed events to in-process subscribers (projections, process managers). */
export interface EventBus<E extends DomainEvent = DomainEvent> {
  /** Delivers events, in order, to every subscriber. Called only after the events are committed. */
  publish(events: readonly StoredEvent<E>[]): void;
  /** Registers a handler for every event published from now on; returns a function that unsubscribes. */
  subscribe(handler: (event: StoredEvent<E>) => void): () => void;
}
