import type { InstanceLease, InstanceLeases } from '../../application/ports/instance-leases.js';
import { instanceId, type InstanceId } from '../../domain/shared/ids.js';

/** Seats in this process only, for in-memory event stores: share one between hangars that share a store. */
export class MemoryInstanceLeases implements InstanceLeases {
  private readonly held = new Set<InstanceId>();

  async claim(): Promise<InstanceLease> {
    for (let n = 1; ; n++) {
      const lease = this.take(instanceId(n));
      if (lease !== null) return lease;
    }
  }

  async tryClaim(instance: InstanceId): Promise<InstanceLease | null> {
    return this.take(instance);
  }

  private take(instance: InstanceId): InstanceLease | null {
    if (this.held.has(instance)) return null;
    this.held.add(instance);
    let released = false;
    return {
      instance,
      release: async () => {
        if (released) return;
        released = true;
        this.held.delete(instance);
      },
    };
  }
}
