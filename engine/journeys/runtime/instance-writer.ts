import type { Store } from '../../store/store.ts';
import type { InstanceRecord } from '../../store/instance-store.ts';
import type { ActivityRecord } from '../../store/activity-store.ts';
import type { DeliveryRecord } from '../../store/delivery-store.ts';

/**
 * Applies what a run decided. The instance (with its outbox) is written first in one
 * compare-and-set; then the outbox is materialized (activities appended, deliveries inserted by
 * idempotency key) and marked done. A crash in between leaves the outbox on the instance, and
 * materializing it again is harmless.
 */
export class InstanceWriter {
  readonly #store: Store;
  readonly #onDeliveries: (deliveries: DeliveryRecord[]) => void;

  /**
   * `onDeliveries` receives deliveries once they are recorded (the dispatcher's hand-off; it
   * makes sure they are on disk before sending, see Store.durable).
   */
  constructor(store: Store, onDeliveries: (deliveries: DeliveryRecord[]) => void = () => {}) {
    this.#store = store;
    this.#onDeliveries = onDeliveries;
  }

  /** Materializes an instance's outbox (idempotent) and marks it done. */
  async materialize(instance: InstanceRecord): Promise<void> {
    if (instance.outbox.length === 0) return;
    const activities: ActivityRecord[] = [];
    const inserts: Array<Promise<DeliveryRecord | null>> = [];
    for (const entry of instance.outbox) {
      if (entry.kind === 'activity') activities.push(entry.activity);
      else inserts.push(this.#store.deliveries.insertIfAbsent(entry.delivery).then((r) => (r === 'inserted' ? entry.delivery : null)));
    }
    const [, ...inserted] = await Promise.all([this.#store.activities.append(activities), ...inserts]);
    await this.#store.instances.markOutboxDone(instance.spaceId, instance.id, instance.rev);
    // Only deliveries this call stored: one found already stored may be in flight or done.
    this.#handOff(inserted.filter((d): d is DeliveryRecord => d !== null));
  }

  /** Writes a changed instance over `from`, the revision it was computed from; false on a concurrent change. */
  async update(next: InstanceRecord, from: InstanceRecord): Promise<boolean> {
    if (await this.#store.instances.update(next, from.rev, from) !== 'ok') return false;
    await this.afterWrite(next);
    return true;
  }

  /** Finishes a just-written instance: materializes its outbox unless the store applied it with the write. */
  async afterWrite(written: InstanceRecord): Promise<void> {
    if (!this.#store.instances.appliesOutboxAtomically) return this.materialize(written);
    this.#handOff(written.outbox.flatMap((e) => (e.kind === 'delivery' ? [e.delivery] : [])));
  }

  #handOff(deliveries: DeliveryRecord[]): void {
    if (deliveries.length > 0) this.#onDeliveries(deliveries);
  }
}
