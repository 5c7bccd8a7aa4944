import type { DeliveryRecord } from '../store/delivery-store.ts';

/** A delivery's target as a key: the destination or function it goes to. */
export function targetKeyOf(d: Pick<DeliveryRecord, 'target'>): string {
  if (d.target === null) return 'none';
  return d.target.type === 'function' ? `fn:${d.target.functionId}` : `dst:${d.target.destinationId}`;
}

/**
 * The deliveries a dispatcher holds in memory (queued or in flight), bounded in all and per
 * target, and the ones deferred beyond those bounds, by id, in a queue per target. Why per
 * target: with one bound and one queue, a destination that hangs filled the memory bound with
 * its own deliveries and every other destination's new sends waited behind its backlog (an audit
 * saw a healthy destination's send still pending after 50 s). Now a target holds a quarter of the
 * bound, or more only while less than half of it is used (so one busy destination alone may use
 * half), and room that frees is offered to the waiting targets in turn.
 */
export class HeldDeliveries {
  readonly #max: number;
  readonly #perTarget: number;
  readonly #held = new Map<string, DeliveryRecord>();
  readonly #heldBy = new Map<string, number>();
  readonly #deferred = new Map<string, Array<{ spaceId: string; id: string }>>();
  #deferredCount = 0;

  constructor(maxInFlight: number) {
    this.#max = maxInFlight;
    this.#perTarget = Math.max(1, Math.floor(maxInFlight / 4));
  }

  get size(): number {
    return this.#held.size;
  }

  /** Deliveries deferred, waiting for room. */
  get waiting(): number {
    return this.#deferredCount;
  }

  /** Room for any delivery at all (claims from the store ask this). */
  get room(): number {
    return this.#max - this.#held.size;
  }

  has(id: string): boolean {
    return this.#held.has(id);
  }

  get(id: string): DeliveryRecord | undefined {
    return this.#held.get(id);
  }

  /** Whether `d` may be held now: room in all and for its target, and no delivery of its target deferred before it. */
  canHold(d: DeliveryRecord): boolean {
    const key = targetKeyOf(d);
    return this.#hasRoomFor(key) && !this.#deferred.has(key);
  }

  #hasRoomFor(key: string): boolean {
    if (this.#held.size >= this.#max) return false;
    return (this.#heldBy.get(key) ?? 0) < this.#perTarget || this.#held.size < this.#max / 2;
  }

  add(d: DeliveryRecord): void {
    if (this.#held.has(d.id)) return;
    this.#held.set(d.id, d);
    const key = targetKeyOf(d);
    this.#heldBy.set(key, (this.#heldBy.get(key) ?? 0) + 1);
  }

  remove(id: string): void {
    const d = this.#held.get(id);
    if (!d) return;
    this.#held.delete(id);
    const key = targetKeyOf(d);
    const left = (this.#heldBy.get(key) ?? 1) - 1;
    if (left === 0) this.#heldBy.delete(key);
    else this.#heldBy.set(key, left);
  }

  /** Defers a delivery (left in the store, leased to this process) until its target has room. */
  defer(d: Pick<DeliveryRecord, 'spaceId' | 'id' | 'target'>): void {
    const key = targetKeyOf(d);
    const queue = this.#deferred.get(key);
    if (queue) queue.push({ spaceId: d.spaceId, id: d.id });
    else this.#deferred.set(key, [{ spaceId: d.spaceId, id: d.id }]);
    this.#deferredCount++;
  }

  /** The next deferred delivery whose target has room, taking the targets in turn; null when none may go now. */
  nextDeferred(): { spaceId: string; id: string } | null {
    if (this.#held.size >= this.#max) return null;
    for (const [key, queue] of this.#deferred) {
      if (!this.#hasRoomFor(key)) continue;
      const next = queue.shift()!;
      this.#deferredCount--;
      // Re-inserted at the end when more wait: the next call starts with another target.
      this.#deferred.delete(key);
      if (queue.length > 0) this.#deferred.set(key, queue);
      return next;
    }
    return null;
  }

  clearDeferred(): void {
    this.#deferred.clear();
    this.#deferredCount = 0;
  }
}
