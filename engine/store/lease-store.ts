/**
 * Named, time-bounded claims: work that must run on one engine process at a time (applying the
 * event log, firing journey timers) is done only while its lease is held, and another process
 * takes it over once the holder stops renewing it.
 */
export interface LeaseStore {
  /**
   * Takes the lease for `owner` until `until` (ms since epoch) when it is free, expired at `now`,
   * or already held by `owner` (a renewal); answers whether `owner` holds it afterwards.
   */
  acquire(name: string, owner: string, now: number, until: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it, so another process need not wait for it to expire. */
  release(name: string, owner: string): Promise<void>;
}
