// Subject alone: the package's index loads all of rxjs (about 220 modules, 2 MB and 25 ms at boot).
import { Subject } from 'rxjs/internal/Subject';
import type { EventBus } from '../../application/ports/event-bus.js';
import type { StoredEvent } from '../../application/ports/event-store.js';
import type { Logger } from '../../application/ports/logger.js';
import type { DomainEvent } from '../../domain/shared/event.js';

/**
 * The in-process event bus on an RxJS Subject (the only place rxjs is used). A subscriber that throws
 * is logged and stays subscribed; it never breaks delivery to the others or the publisher.
 */
export class RxjsEventBus<E extends DomainEvent = DomainEvent> implements EventBus<E> {
  private readonly subject = new Subject<StoredEvent<E>>();

  constructor(private readonly logger?: Logger) {}

  publish(events: readonly StoredEvent<E>[]): void {
    for (const event of events) this.subject.next(event);
  }

  subscribe(handler: (event: StoredEvent<E>) => void): () => void {
    const subscription = this.subject.subscribe((event) => {
      try {
        handler(event);
      } catch (error) {
        this.logger?.error('event subscriber failed', { type: event.type, position: event.position, error: String(error) });
      }
    });
    return () => subscription.unsubscribe();
  }
}
