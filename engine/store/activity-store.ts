/** The kinds of things that happen to instances (and to triggers that did not start one). */
export type ActivityType =
  | 'entered' | 'trigger_ignored' | 'step_reached' | 'waiting' | 'event_matched' | 'event_ignored'
  | 'timed_out' | 'branch_chosen' | 'looped' | 'converted' | 'send_recorded' | 'send_skipped'
  | 'completed' | 'exited';

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

/** Filters of a journey's activity log. */
export interface ActivityQuery {
  instanceId?: string;
  profileId?: string;
  type?: ActivityType;
  stepId?: string;
  from?: string;
  to?: string;
  after?: string | null;
  limit: number;
}

/** The append-only activity log. */
export interface ActivityStore {
  /** Appends records; a record whose id is stored already is skipped. */
  append(records: ActivityRecord[]): Promise<void>;
  /** A journey's activity in time order (id order within a time). */
  list(spaceId: string, journeyId: string, query: ActivityQuery): Promise<ActivityRecord[]>;
}
