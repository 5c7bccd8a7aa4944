import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryRecord } from '../store/delivery-store.ts';
import type { TimerSource } from '../scheduler/timer-loop.ts';
import { DestinationLane } from './destination-lane.ts';
import { DELIVERY_HANDOFF_LEASE_MS } from './delivery-lease.ts';
import { recordAttempt, type AttemptResult } from './record-attempt.ts';
import { reasonNotToSend } from './instance-check.ts';
import { HeldDeliveries } from './held-deliveries.ts';
import type { DeliveryTarget, DeliveryTargets } from './delivery-targets.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { DeliveryMetrics } from '../metrics/delivery-metrics.ts';

/** Options of the dispatcher. */
/** Waits between tries to record an outcome (about 15 s in all, far inside the 120 s lease). */
const RECORD_RETRY_DELAYS_MS = [50, 200, 1_000, 3_000, 10_000];

export interface DeliveryDispatcherOptions {
  store: Store;
  targets: DeliveryTargets;
  clock: Clock;
  logger: Logger;
  policy?: Partial<RetryPolicy>;
  random?: () => number;
  /** Most deliveries held in memory (queued or in flight); beyond it only their ids wait in memory (default 10,000). */
  maxInFlight?: number;
  /** Called with the time of every retry it schedules, so the polling loop can wake by then. */
  onRetry?: (at: number) => void;
  /** Counts attempts by outcome and times them. */
  metrics?: DeliveryMetrics;
}

interface Queued {
  delivery: DeliveryRecord;
  /** store.durabilityMark() when it was taken in: its record was written before. */
  durableMark: number;
  target: DeliveryTarget;
  batchKey: string | null;
}

/**
 * Sends deliveries. New ones are handed over in memory right after the instance write that
 * recorded them (no polling delay); retries and deliveries whose hand-off was lost (a crash) are
 * claimed from the store when due, under a lease. Each destination has its own lane (concurrency,
 * rate, batching); every outcome is classified once and written back with a compare-and-set.
 * As a TimerSource it is driven by a TimerLoop, like journey timers.
 */
export class DeliveryDispatcher implements TimerSource {
  readonly #o: DeliveryDispatcherOptions;
  /**
   * Deliveries this process holds (queued or in flight), bounded in all and per target; beyond
   * the bounds, deferred by id (the records stay in the store, leased to this process) and loaded
   * again as room frees, so a burst is sent in order instead of waiting for the leases to end.
   */
  readonly #held: HeldDeliveries;
  readonly #lanes = new Map<string, DestinationLane<Queued>>();
  #idleWaiters: Array<() => void> = [];
  #refilling = false;
  #stopped = false;
  /** Claims reading the store right now: what they take is not held yet, but will be. */
  #claiming = 0;

  constructor(options: DeliveryDispatcherOptions) {
    this.#o = options;
    this.#held = new HeldDeliveries(options.maxInFlight ?? 10_000);
  }

  /** Deliveries just recorded (committed, leased to this process): send them now, once on disk. */
  accept(deliveries: readonly DeliveryRecord[]): void {
    if (this.#stopped) return;
    for (const d of deliveries) {
      if (d.status !== 'pending' || this.#held.has(d.id)) continue;
      if (this.#held.canHold(d)) this.#hold(d);
      else this.#held.defer(d);
    }
  }

  /** Claims due deliveries from the store (retries, lost hand-offs); answers how many. */
  async fireDue(limit: number): Promise<number> {
    return this.#claim(this.#o.clock.now(), limit);
  }

  /**
   * When this process becomes the processor (at start, or taking over from one that died): the
   * deliveries still leased (hand-offs, retries being sent) were held by the previous processor,
   * since only the processor sends, so they are claimed now rather than when their lease ends. A
   * retry waiting out its backoff (or a Retry-After) keeps its time: a restart must not cut it short.
   */
  async recoverLeases(): Promise<number> {
    let recovered = 0;
    // Fixed once, just short of the leases this loop grants (now + lease): a bound recomputed per
    // round would claim the rows it has just leased again, for ever, without yielding.
    const dueBy = this.#o.clock.now() + DELIVERY_HANDOFF_LEASE_MS - 1;
    for (;;) {
      const n = await this.#claim(dueBy, 1000, { onlyLeased: true });
      recovered += n;
      if (n === 0) return recovered;
    }
  }

  /** Stops taking deliveries, drops the queued ones (they stay leased in the store) and waits for sends in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    // Left in the store, leased: sent after the restart (recoverLeases).
    this.#held.clearDeferred();
    for (const lane of this.#lanes.values()) for (const item of lane.clear()) this.#release(item.delivery.id);
    await this.idle();
  }

  async #claim(dueBy: number, limit: number, options: { onlyLeased?: boolean } = {}): Promise<number> {
    const room = Math.min(limit, this.#held.room);
    if (room <= 0 || this.#stopped) return 0;
    const now = this.#o.clock.now();
    this.#claiming++;
    let claimed: DeliveryRecord[];
    try {
      claimed = await this.#o.store.deliveries.claimDue(dueBy, now + DELIVERY_HANDOFF_LEASE_MS, room, options);
    } finally {
      this.#claiming--;
    }
    for (const d of claimed) {
      const held = this.#held.get(d.id);
      // Still queued here from an earlier claim: keep the one copy, at the new lease's revision.
      if (held) {
        held.rev = d.rev;
        held.nextAttemptAt = d.nextAttemptAt;
      } else if (this.#held.canHold(d)) {
        this.#hold(d);
      } else {
        // Its target is at its share: leased to this process, it waits for room like a hand-off.
        this.#held.defer(d);
      }
    }
    this.#wakeIdleWaiters();
    return claimed.length;
  }

  nextWakeAt(): Promise<number | null> {
    return this.#o.store.deliveries.nextDueAt();
  }

  /** Destinations changed: resolve them again. */
  invalidate(): void {
    this.#o.targets.invalidate();
  }

  /** Deliveries held in memory now. */
  get held(): number {
    return this.#held.size;
  }

  /** Resolves once nothing is being claimed, queued or in flight. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Sends everything due now and waits for the outcomes, until nothing is due (settle, test clock). */
  async drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      await this.idle();
      const n = await this.fireDue(1000);
      sent += n;
      if (n === 0) return sent;
    }
  }

  #hold(d: DeliveryRecord): void {
    this.#held.add(d);
    const mark = this.#o.store.durabilityMark();
    void this.#route(d, mark).catch((error: unknown) => {
      this.#o.logger.error('delivery routing failed', { deliveryId: d.id, error });
      this.#release(d.id);
    });
  }

  async #route(d: DeliveryRecord, durableMark: number): Promise<void> {
    const stop = await reasonNotToSend(this.#o.store.instances, d);
    if (stop !== null) {
      await this.#skip(d, stop);
      return;
    }
    const resolution = await this.#o.targets.resolve(d);
    if ('failed' in resolution) {
      await this.#finish(d, { verdict: { kind: 'failed', reason: resolution.failed }, status: null, response: null }, this.#o.clock.now(), null);
      return;
    }
    const { target } = resolution;
    let lane = this.#lanes.get(target.key);
    if (!lane) {
      lane = new DestinationLane<Queued>(target.options, (items) => this.#send(items));
      this.#lanes.set(target.key, lane);
    } else {
      lane.setOptions(target.options);
    }
    lane.push({ delivery: d, durableMark, target, batchKey: target.batchKey });
  }

  async #send(items: Queued[]): Promise<void> {
    try {
      // The records (hand-offs, claims) and all that led to them must be on disk before anything
      // leaves: a send that a power loss could undo would be made again under another key.
      await this.#o.store.durable(Math.max(...items.map((i) => i.durableMark)));
    } catch (error) {
      // Nothing was sent, so no attempt is recorded: they stay leased to this process in the
      // store and are claimed again when the lease ends.
      this.#o.logger.error('deliveries could not be made durable before sending; tried again when their lease ends', { error });
      for (const item of items) this.#release(item.delivery.id);
      return;
    }
    const startedAt = this.#o.clock.now();
    // Engine time (a test clock stands still) dates the attempt; the wall clock measures it.
    const sendStarted = performance.now();
    let results: AttemptResult[];
    try {
      // A destination that batches gets a batch even of one: the receiver always sees one request shape.
      results = items.length === 1 && items[0]!.batchKey === null
        ? [await items[0]!.target.send(items[0]!.delivery)]
        : await items[0]!.target.sendBatch(items.map((i) => i.delivery));
    } catch (error) {
      // The senders classify their own errors; reaching here is a bug, not a destination's answer.
      this.#o.logger.error('delivery send failed unexpectedly', { error });
      results = items.map(() => ({ verdict: { kind: 'retry', reason: `engine error: ${(error as Error).message}` }, status: null, response: null }));
    }
    const seconds = (performance.now() - sendStarted) / 1000;
    await Promise.all(items.map((item, i) => this.#finish(item.delivery, results[i]!, startedAt, seconds)));
  }

  /** Records an attempt's outcome; `seconds` it took, or null when nothing was sent. */
  async #finish(d: DeliveryRecord, result: AttemptResult, startedAt: number, seconds: number | null): Promise<void> {
    try {
      const next = recordAttempt(d, result, { startedAt, now: this.#o.clock.now(), policy: this.#o.policy ?? {}, random: this.#o.random ?? Math.random });
      if (next.status === 'delivered' || next.status === 'retrying' || next.status === 'failed') this.#o.metrics?.attempted(next.status, seconds);
      const written = await this.#record(next, d.rev);
      if (written === 'version_conflict') {
        // Re-driven or claimed elsewhere meanwhile: that change wins; this attempt stays unrecorded.
        this.#o.logger.warn('delivery changed while being sent; outcome not recorded', { deliveryId: d.id, outcome: result.verdict.kind });
      } else if (next.nextAttemptAt !== null) {
        this.#o.onRetry?.(next.nextAttemptAt);
      }
    } catch (error) {
      this.#o.logger.error('recording a delivery outcome failed', { deliveryId: d.id, error });
    } finally {
      this.#release(d.id);
    }
  }

  /** Closes a delivery unsent (its instance exited meanwhile): no attempt is recorded. */
  async #skip(d: DeliveryRecord, reason: string): Promise<void> {
    try {
      const now = this.#o.clock.now();
      const next: DeliveryRecord = { ...d, status: 'skipped', nextAttemptAt: null, reason, updatedAt: new Date(now).toISOString(), rev: d.rev + 1 };
      if (await this.#record(next, d.rev) === 'version_conflict') {
        this.#o.logger.warn('delivery changed while being skipped; left as it is', { deliveryId: d.id });
      }
    } catch (error) {
      this.#o.logger.error('recording a skipped delivery failed', { deliveryId: d.id, error });
    } finally {
      this.#release(d.id);
    }
  }

  /**
   * Writes an attempt's outcome, trying again while the store fails (a lock, a failover): an
   * outcome that is not recorded means the send goes out again once its lease ends. Gives up well
   * within the lease, so the retry of the store never outlives the delivery's claim.
   */
  async #record(next: DeliveryRecord, expectedRev: number): Promise<'ok' | 'version_conflict'> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#o.store.deliveries.update(next, expectedRev);
      } catch (error) {
        const delay = RECORD_RETRY_DELAYS_MS[attempt];
        if (delay === undefined || this.#stopped) throw error;
        this.#o.logger.warn('recording a delivery outcome failed; trying again', { deliveryId: next.id, attempt: attempt + 1, error });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #release(id: string): void {
    this.#held.remove(id);
    if (this.#held.waiting > 0) this.#refill();
    this.#wakeIdleWaiters();
  }

  /** Loads deferred deliveries while their targets have room, the targets in turn (one refill at a time). */
  #refill(): void {
    if (this.#refilling || this.#stopped) return;
    this.#refilling = true;
    void (async () => {
      try {
        for (let next = this.#held.nextDeferred(); next !== null && !this.#stopped; next = this.#held.nextDeferred()) {
          const d = await this.#o.store.deliveries.get(next.spaceId, next.id);
          // Sent meanwhile by a claim (after its lease), or closed: nothing to do here.
          if (d && (d.status === 'pending' || d.status === 'retrying') && !this.#held.has(d.id)) this.#hold(d);
        }
      } catch (error) {
        this.#o.logger.error('loading queued deliveries failed; they are claimed when their lease ends', { error });
        this.#held.clearDeferred();
      } finally {
        this.#refilling = false;
        this.#wakeIdleWaiters();
      }
    })();
  }

  #isIdle(): boolean {
    return this.#held.size === 0 && this.#claiming === 0 && this.#held.waiting === 0 && !this.#refilling;
  }

  #wakeIdleWaiters(): void {
    if (this.#isIdle() && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
