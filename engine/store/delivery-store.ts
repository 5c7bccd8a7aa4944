import type { SendTarget } from '../journeys/definition/journey-definition.ts';

/**
 * Where a delivery is in its life: `pending` (recorded, not yet tried), `retrying` (a retryable
 * failure, tried again at `nextAttemptAt`), `delivered`, `failed` (permanently, or out of
 * retries), `skipped` (nothing to send it to: the send step has no target).
 */
export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed' | 'skipped';

/** Statuses the dispatcher still works on. */
export const OPEN_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'retrying'];

/** One try at sending a delivery, kept on the delivery (the last MAX_ATTEMPT_LOG of them). */
export interface DeliveryAttempt {
  at: string;
  durationMs: number;
  outcome: 'delivered' | 'retry' | 'failed';
  /** HTTP status of the destination's answer, when there was one. */
  status: number | null;
  reason: string | null;
  /** The start of the destination's answer (at most 2 KB). */
  response: string | null;
}

/** Attempts kept on a delivery record; older ones are dropped (the count stays in `attempts`). */
export const MAX_ATTEMPT_LOG = 20;

/** One send step's payload for one instance, with its stable idempotency key. */
export interface DeliveryRecord {
  id: string;
  spaceId: string;
  journeyId: string;
  version: number;
  instanceId: string;
  profileId: string;
  /** The send step, or `exit:<rule id>` for an exit-rule send. */
  stepId: string;
  /** `<instance id>:<step>:<loop iteration>`: the same send is never recorded twice (adapters may rely on the prefix). */
  idempotencyKey: string;
  activationKey: string;
  eventName: string;
  target: SendTarget | null;
  /** The Segment event the send carries (see mappings/send-event.ts); the mapping is applied to it when sending. */
  payload: Record<string, unknown>;
  mapping: Record<string, unknown>;
  status: DeliveryStatus;
  /** When the dispatcher may (next) try it, ms since epoch; null once it is closed. */
  nextAttemptAt: number | null;
  /** Attempts in all. */
  attempts: number;
  /** Attempts since the retry window began (the first attempt or the last re-drive): what the retry bound counts. */
  windowAttempts: number;
  attemptLog: DeliveryAttempt[];
  /** Start of the retry window (the first attempt, or the last re-drive). */
  firstAttemptAt: string | null;
  /** Why it failed, was skipped or is being retried. */
  reason: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Compare-and-set counter. */
  rev: number;
}

/** Filters of a space's deliveries. */
export interface DeliveryQuery {
  status?: DeliveryStatus;
  journeyId?: string;
  /** Cursor: deliveries after this id (id order). */
  after?: string | null;
  limit: number;
}

/**
 * Deliveries awaiting or past dispatch. Does not promise any ordering between deliveries of
 * different instances, nor that a claim excludes other processes beyond its lease.
 */
export interface DeliveryStore {
  /** Stores a delivery unless one with its idempotency key exists. */
  insertIfAbsent(delivery: DeliveryRecord): Promise<'inserted' | 'exists'>;
  get(spaceId: string, id: string): Promise<DeliveryRecord | null>;
  /** Writes a changed delivery over the revision it was read at. */
  update(delivery: DeliveryRecord, expectedRev: number): Promise<'ok' | 'version_conflict'>;
  /**
   * Claims up to `limit` open deliveries due at `now` (across spaces), earliest first, by moving
   * their `nextAttemptAt` to `leaseUntil`: another claim skips them until then. `onlyLeased`
   * takes only deliveries whose time is a lease (pending hand-offs, and retries a claim leased to
   * be sent) and leaves a retry waiting out its backoff at its time.
   */
  claimDue(now: number, leaseUntil: number, limit: number, options?: { onlyLeased?: boolean }): Promise<DeliveryRecord[]>;
  /** The earliest `nextAttemptAt` of an open delivery. */
  nextDueAt(): Promise<number | null>;
  list(spaceId: string, query: DeliveryQuery): Promise<DeliveryRecord[]>;
  listByInstance(spaceId: string, instanceId: string): Promise<DeliveryRecord[]>;
  listByJourney(spaceId: string, journeyId: string, options: { after?: string | null; limit: number }): Promise<DeliveryRecord[]>;
}
