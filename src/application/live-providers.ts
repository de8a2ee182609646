import type { ProviderId } from '../domain/shared/ids.js';
import type { ProviderConnection } from './ports/provider-runtime.js';

/** A running provider as the hangar tracks it between calls. */
export interface LiveSession {
  readonly connection: ProviderConnection;
  readonly startedMs: number;
  inFlight: number;
  lastUsedMs: number;
}

/** A provider that started running (`running`) or stopped running, with its connection. */
export interface LiveChange {
  readonly provider: ProviderId;
  readonly connection: ProviderConnection;
  readonly running: boolean;
}

/**
 * The providers that have a process right now, and the starts under way (one per provider: concurrent
 * callers share it). Bookkeeping only; the command handlers decide and record.
 */
export class LiveProviders {
  private readonly sessions = new Map<ProviderId, LiveSession>();
  private readonly starts = new Map<ProviderId, Promise<LiveSession>>();
  private readonly listeners = new Set<(change: LiveChange) => void>();

  /** Calls `listener` after each provider that starts running or stops; returns the unsubscribe function. */
  onChange(listener: (change: LiveChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(change: LiveChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // a listener's failure is its own; bookkeeping goes on
      }
    }
  }

  get(id: ProviderId): LiveSession | undefined {
    return this.sessions.get(id);
  }

  add(id: ProviderId, connection: ProviderConnection, nowMs: number): LiveSession {
    const session: LiveSession = { connection, startedMs: nowMs, inFlight: 0, lastUsedMs: nowMs };
    this.sessions.set(id, session);
    this.changed({ provider: id, connection, running: true });
    return session;
  }

  /** Removes and returns the session (if any), so no new call can reach it. */
  take(id: ProviderId): LiveSession | undefined {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    if (session) this.changed({ provider: id, connection: session.connection, running: false });
    return session;
  }

  /** Removes the session only if it still belongs to `connection`; true when it did. */
  release(id: ProviderId, connection: ProviderConnection): boolean {
    if (this.sessions.get(id)?.connection !== connection) return false;
    this.sessions.delete(id);
    this.changed({ provider: id, connection, running: false });
    return true;
  }

  /** The start under way for a provider, if any. */
  pendingStart(id: ProviderId): Promise<LiveSession> | undefined {
    return this.starts.get(id);
  }

  /** Shares `start` with every caller until it settles. */
  trackStart(id: ProviderId, start: Promise<LiveSession>): Promise<LiveSession> {
    this.starts.set(id, start);
    const clear = () => {
      if (this.starts.get(id) === start) this.starts.delete(id);
    };
    start.then(clear, clear);
    return start;
  }

  entries(): IterableIterator<[ProviderId, LiveSession]> {
    return this.sessions.entries();
  }

  get size(): number {
    return this.sessions.size;
  }
}
