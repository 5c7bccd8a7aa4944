import type { ActivityRecord } from './activity-store.ts';
import type { DeliveryRecord } from './delivery-store.ts';

/** Where an instance is in its life. */
export type InstanceStatus = 'active' | 'completed' | 'exited';

/** What an active instance is waiting for. */
export type InstanceWait =
  | { kind: 'delay'; until: number }
  | { kind: 'hold'; since: number; until: number };

/** A deferred effect kept on the instance until it has been materialized (the single-record outbox). */
export type OutboxEntry =
  | { kind: 'activity'; activity: ActivityRecord }
  | { kind: 'delivery'; delivery: DeliveryRecord };

/** One profile's run through one journey version. */
export interface InstanceRecord {
  id: string;
  spaceId: string;
  journeyId: string;
  version: number;
  profileId: string;
  /** The identifier value it was started with (multiple active sessions), else null. */
  identifier: string | null;
  status: InstanceStatus;
  /** The step it is at (null once ended). */
  stepId: string | null;
  wait: InstanceWait | null;
  /** When its timer is due (ms since epoch); null when no timer. Indexed. */
  wakeAt: number | null;
  /** The journey context: the entry event under its name, hold-until events as "<event> - <branch>". */
  context: Record<string, Record<string, unknown>>;
  /** Returns into each looping hold-until step so far. */
  loops: Record<string, number>;
  /** Increments on every loop return: part of delivery idempotency keys. */
  iteration: number;
  /** Goal id → when it converted. */
  conversions: Record<string, string>;
  triggerEventId: string;
  /** The last event routed to this instance: a replayed event (after a crash) is not applied twice. */
  lastEventId: string | null;
  /** The last event a hold-until branch took: look-back never takes it again. */
  consumedEventId: string | null;
  enteredAt: string;
  updatedAt: string;
  endedAt: string | null;
  endReason: string | null;
  /** Effects decided by the last write and not yet materialized. */
  outbox: OutboxEntry[];
  /** Compare-and-set counter. */
  rev: number;
}

/** A profile's entries into one journey, summarized. */
export interface JourneyEntries {
  journeyId: string;
  entries: number;
  firstInstanceId: string;
  lastInstanceId: string;
}

/** Result of inserting an instance. */
export type InstanceInsertResult = 'ok' | 'exists' | 'active_conflict';

/** An instance's status and timer, what its indexes are keyed on (see InstanceStore.update). */
export type InstanceTimerState = Pick<InstanceRecord, 'status' | 'wakeAt'>;

/**
 * Journey instances. At most one active instance per (journey, profile, identifier value);
 * every change is a compare-and-set of one record, timers included (`wakeAt`).
 */
export interface InstanceStore {
  /**
   * True when insert and update apply the record's outbox (activities, deliveries) atomically
   * with the instance write and store it empty; false when the caller must materialize it and
   * then mark it done (adapters without multi-record transactions).
   */
  readonly appliesOutboxAtomically: boolean;
  /** `exists` when this id is stored already; `active_conflict` when another active instance has the same key. */
  insert(instance: InstanceRecord): Promise<InstanceInsertResult>;
  get(spaceId: string, id: string): Promise<InstanceRecord | null>;
  /**
   * Writes the instance over revision `expectedRev`. `before`: its status and timer at that
   * revision, when the caller has them; a hint an adapter may use to write less (never trusted:
   * a wrong one costs a second try, not a wrong write).
   */
  update(instance: InstanceRecord, expectedRev: number, before?: InstanceTimerState): Promise<'ok' | 'version_conflict'>;
  /** Marks the outbox of this revision materialized (it is then read back empty). */
  markOutboxDone(spaceId: string, id: string, rev: number): Promise<void>;
  /** The active instances of these profiles across journeys. */
  activeForProfiles(spaceId: string, profileIds: string[]): Promise<InstanceRecord[]>;
  /** Ids, journeys and versions of these profiles' active instances: routing reads documents only where needed. */
  activeRefsForProfiles(spaceId: string, profileIds: string[]): Promise<Array<{ id: string; journeyId: string; version: number }>>;
  /**
   * Per journey these profiles entered: how many instances, and the first and last (ids are
   * time-ordered): the profile explorer's summary, read without loading every instance.
   */
  entriesByJourney(spaceId: string, profileIds: readonly string[]): Promise<JourneyEntries[]>;
  /** Whether the profile ever entered the journey (any version, any status). */
  hasEntered(spaceId: string, journeyId: string, profileId: string): Promise<boolean>;
  countActive(spaceId: string, journeyId: string, profileId: string): Promise<number>;
  /** Active instances whose timer is due at `now`, earliest first, across spaces. */
  due(now: number, limit: number): Promise<InstanceRecord[]>;
  /** The earliest timer of any active instance. */
  nextWakeAt(): Promise<number | null>;
  /** Instances with a non-empty outbox (to finish after a crash). */
  withOutbox(limit: number): Promise<InstanceRecord[]>;
  /** A journey's instances, filtered, in id order after a cursor. */
  listByJourney(spaceId: string, journeyId: string, options: {
    profileIds?: string[]; status?: InstanceStatus; version?: number; after?: string | null; limit: number;
  }): Promise<InstanceRecord[]>;
}
