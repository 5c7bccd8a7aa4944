import type { Store } from '../../store/store.ts';
import type { InstanceRecord } from '../../store/instance-store.ts';
import type { ActivityRecord } from '../../store/activity-store.ts';

/**
 * Applies what a run decided. The instance (with its outbox) is written first in one
 * compare-and-set; then the outbox is materialized (activities appended, deliveries inserted by
 * idempotency key) and marked done. A crash in between leaves the outbox on the instance, and
 * materializing it again is harmless.
 */
export class InstanceWriter {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Materializes an instance's outbox (idempotent) and marks it done. */
  async materialize(instance: InstanceRecord): Promise<void> {
    if (instance.outbox.length === 0) return;
    const activities: ActivityRecord[] = [];
    const deliveries: Promise<unknown>[] = [];
    for (const entry of instance.outbox) {
      if (entry.kind === 'activity') activities.push(entry.activity);
      else deliveries.push(this.#store.deliveries.insertIfAbsent(entry.delivery));
    }
    await Promise.all([this.#store.activities.append(activities), ...deliveries]);
    await this.#store.instances.markOutboxDone(instance.spaceId, instance.id, instance.rev);
  }

  /** Writes a changed instance over the revision it was computed from; false on a concurrent change. */
  async update(next: InstanceRecord, expectedRev: number): Promise<boolean> {
    if (await this.#store.instances.update(next, expectedRev) !== 'ok') return false;
    await this.afterWrite(next);
    return true;
  }

  /** Finishes a just-written instance: materializes its outbox unless the store applied it with the write. */
  async afterWrite(written: InstanceRecord): Promise<void> {
    if (!this.#store.instances.appliesOutboxAtomically) await this.materialize(written);
  }
}
