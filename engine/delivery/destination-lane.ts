import type { DeliveryOptions } from '../store/destination-store.ts';

/** What a lane needs to know of a queued item. */
export interface LaneItem {
  /** Same key: may go in one batch call. Null: alone. */
  batchKey: string | null;
}

/**
 * One destination's queue: at most `concurrency` calls in flight, at most `ratePerSecond` calls
 * started per second (token bucket), and batches of up to `batchSize` deliveries with the same
 * batch key, waiting at most `batchWaitMs` for a batch to fill. So one slow destination fills
 * only its own lane and never holds up another's.
 */
export class DestinationLane<T extends LaneItem> {
  #options: DeliveryOptions;
  readonly #run: (items: T[]) => Promise<void>;
  readonly #queue: T[] = [];
  #inFlight = 0;
  #tokens: number;
  #refilledAt = performance.now();
  #timer: NodeJS.Timeout | null = null;
  #oldestQueuedAt = 0;

  /** `run` sends one call's items and records their outcomes; it must not throw. */
  constructor(options: DeliveryOptions, run: (items: T[]) => Promise<void>) {
    this.#options = options;
    this.#run = run;
    this.#tokens = Math.max(1, options.ratePerSecond);
  }

  /** The destination's limits changed: they apply from the next call. */
  setOptions(options: DeliveryOptions): void {
    this.#options = options;
  }

  get queued(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Empties the queue (on stop) and answers what was in it; calls in flight go on. */
  clear(): T[] {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    return this.#queue.splice(0);
  }

  push(item: T): void {
    if (this.#queue.length === 0) this.#oldestQueuedAt = performance.now();
    this.#queue.push(item);
    this.#pump();
  }

  #pump(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#queue.length > 0 && this.#inFlight < this.#options.concurrency) {
      const waitRate = this.#takeToken();
      if (waitRate > 0) return this.#wake(waitRate);
      const items = this.#nextCall();
      if (items === null) return this.#wake(this.#options.batchWaitMs - (performance.now() - this.#oldestQueuedAt));
      this.#inFlight++;
      void this.#run(items).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  /** 0 when a call may start now (a token is taken), else ms until the next token. */
  #takeToken(): number {
    const rate = this.#options.ratePerSecond;
    if (rate <= 0) return 0;
    const now = performance.now();
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#refilledAt) * rate) / 1000);
    this.#refilledAt = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / rate);
  }

  /** The items of the next call, or null to wait for a batch to fill (the token is given back). */
  #nextCall(): T[] | null {
    const first = this.#queue[0]!;
    const size = this.#options.batchSize;
    if (first.batchKey === null || size <= 1) return [this.#shift()];
    const same = this.#queue.filter((item) => item.batchKey === first.batchKey).length;
    const waited = performance.now() - this.#oldestQueuedAt;
    if (same < size && waited < this.#options.batchWaitMs) {
      if (this.#options.ratePerSecond > 0) this.#tokens += 1;
      return null;
    }
    const batch: T[] = [];
    for (let i = 0; i < this.#queue.length && batch.length < size;) {
      if (this.#queue[i]!.batchKey === first.batchKey) batch.push(this.#queue.splice(i, 1)[0]!);
      else i++;
    }
    this.#oldestQueuedAt = performance.now();
    return batch;
  }

  #shift(): T {
    const item = this.#queue.shift()!;
    this.#oldestQueuedAt = performance.now();
    return item;
  }

  #wake(inMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, Math.max(1, inMs));
  }
}
