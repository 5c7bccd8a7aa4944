import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { LeaseStore } from '../store/lease-store.ts';
import type { Logger } from '../logger.ts';

/** Name of the lease that makes one engine process the processor. */
export const PROCESSING_LEASE = 'processing';

/**
 * Makes this process the processor while it holds the `processing` lease: only the holder applies
 * the event log, fires journey timers and sends deliveries, so with several engine processes on
 * one database per-profile order, each timer and each send (and every destination's concurrency
 * and rate limit) behave exactly as with one. Every process ingests and serves the API.
 *
 * The lease is renewed every third of its lifetime; if the holder dies, another process takes it
 * once it expires. Held-ness is judged locally from when the last successful renewal was asked
 * for, so this process stops before any other could have taken over (clocks of the machines are
 * assumed to agree, e.g. through NTP). Instances are still written by compare-and-set, so even a
 * stalled holder that wakes up after losing the lease cannot overwrite newer state.
 */
export class ProcessingLease {
  readonly owner: string;
  readonly #leases: LeaseStore;
  readonly #ttlMs: number;
  readonly #logger: Logger;
  readonly #onAcquired: () => void;
  #heldUntil = 0;
  #timer: NodeJS.Timeout | null = null;
  #renewing: Promise<void> | null = null;
  #stopped = false;

  /**
   * `onAcquired` runs each time this process becomes the holder (to start work that was waiting).
   * `owner` names the holder (default: unique to this process and start).
   */
  constructor(options: { leases: LeaseStore; ttlMs: number; logger: Logger; onAcquired: () => void; owner?: string }) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#leases = options.leases;
    this.#ttlMs = options.ttlMs;
    this.#logger = options.logger;
    this.#onAcquired = options.onAcquired;
  }

  /** Whether this process may do the processor's work now. */
  get held(): boolean {
    return Date.now() < this.#heldUntil;
  }

  /** Tries to take the lease once, then keeps renewing (or retrying) in the background. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#renew();
    this.#schedule();
  }

  /** Stops renewing and gives the lease up, so another process takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#renewing;
    if (this.#heldUntil > 0) {
      this.#heldUntil = 0;
      await this.#leases.release(PROCESSING_LEASE, this.owner).catch((error: unknown) => {
        this.#logger.warn('could not release the processing lease; it expires by itself', { error });
      });
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#renewing = this.#renew().finally(() => {
        this.#renewing = null;
        this.#schedule();
      });
    }, Math.max(50, Math.floor(this.#ttlMs / 3)));
    this.#timer.unref();
  }

  async #renew(): Promise<void> {
    const asked = Date.now();
    const wasHeld = this.held;
    let got = false;
    try {
      got = await this.#leases.acquire(PROCESSING_LEASE, this.owner, asked, asked + this.#ttlMs);
    } catch (error) {
      this.#logger.warn('processing lease renewal failed', { error });
    }
    if (this.#stopped) return;
    this.#heldUntil = got ? asked + this.#ttlMs : 0;
    if (got && !wasHeld) {
      this.#logger.info('this process is now the processor', { owner: this.owner });
      this.#onAcquired();
    } else if (!got && wasHeld) {
      this.#logger.warn('this process lost the processing lease', { owner: this.owner });
    }
  }
}
