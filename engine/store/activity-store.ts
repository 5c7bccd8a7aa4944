/** The kinds of things that happen to instances (and to triggers that did not start one). */
export type ActivityType =
  | 'entered' | 'trigger_ignored' | 'step_reached' | 'waiting' | 'delay_over' | 'event_matched' | 'event_ignored'
  | 'timed_out' | 'branch_chosen' | 'looped' | 'converted' | 'send_recorded' | 'send_skipped'
  | 'completed' | 'exited';

/** Every activity type. */
export const ACTIVITY_TYPES = [
  'entered', 'trigger_ignored', 'step_reached', 'waiting', 'delay_over', 'event_matched', 'event_ignored',
  'timed_out', 'branch_chosen', 'looped', 'converted', 'send_recorded', 'send_skipped', 'completed', 'exited',
] as const satisfies readonly ActivityType[];
// The list names every type: a type added above without it here fails to compile (readers that merge over types rely on it).
const everyType: [Exclude<ActivityType, (typeof ACTIVITY_TYPES)[number]>] extends [never] ? true : never = true;
void everyType;

/** One append-only record of what happened, with the reason for each decision. */
export interface ActivityRecord {
  /** Deterministic (instance, revision, index) so replays do not duplicate it. */
  id: string;
  spaceId: string;
  journeyId: string;
  version: number;
  /** Null for a trigger that started no instance. */
  instanceId: string | null;
  profileId: string;
  type: ActivityType;
  stepId: string | null;
  eventId: string | null;
  /** Journey time (ISO-8601). */
  at: string;
  reason: string | null;
  data: Record<string, unknown> | null;
}

/** A place in a journey's activity log; a page goes on strictly past it, in its reading order. */
export interface ActivityPosition {
  at: string;
  id: string;
}

/** Filters of a journey's activity log. */
export interface ActivityQuery {
  instanceId?: string;
  /**
   * Records of any of these profiles (a profile and the ones merged into it): those of the
   * profiles' instances and their ignored triggers.
   */
  profileIds?: readonly string[];
  type?: ActivityType;
  stepId?: string;
  /** Journey time, inclusive. */
  from?: string;
  /** Journey time, exclusive. */
  to?: string;
  after?: ActivityPosition | null;
  /** Oldest first (the default: timelines) or newest first (the activity log). */
  order?: 'asc' | 'desc';
  limit: number;
}

/** The append-only activity log. Appending also moves the journey counters (see journey-counters.ts). */
export interface ActivityStore {
  /**
   * Appends records; a record whose id is stored already is skipped. Appending the same records
   * again (a replayed outbox) stores and counts nothing more.
   */
  append(records: ActivityRecord[]): Promise<void>;
  /** A journey's activity in time order (id order within a time). */
  list(spaceId: string, journeyId: string, query: ActivityQuery): Promise<ActivityRecord[]>;
  /**
   * Deletes up to `limit` records created before `beforeId` (ids are time-ordered), across
   * spaces; answers how many. Journey counters are kept: figures outlive the records.
   */
  purgeBefore(beforeId: string, limit: number): Promise<number>;
}
