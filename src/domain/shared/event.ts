/** A domain event: a `type` that equals its TypeScript name, and plain JSON `data`. The store adds the envelope. */
export type Event<T extends string, D> = { readonly type: T; readonly data: D };

/** Any domain event, as the store and the bus carry it. */
export type DomainEvent = Event<string, unknown>;
