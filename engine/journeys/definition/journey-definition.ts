/**
 * The journey document: what a marketer or engineer writes (through a builder UI or the API).
 * The JSON Schema in journey-schema.ts describes the same shapes under the same names; semantic
 * rules (graph, identifiers, limits) are checked by validate-journey.ts.
 *
 * Durations are ISO-8601 strings ("PT30M", "PT1H", "P2D", "P1Y"); dates are "YYYY-MM-DD"; times
 * "HH:mm"; timezones IANA names ("Europe/Berlin").
 */
import type { Condition } from '../../conditions/condition.ts';

/** A whole journey definition (one version). */
export interface JourneyDefinition {
  name: string;
  description?: string | null;
  entry: JourneyEntry;
  /** Id of the first step. */
  start: string;
  steps: Step[];
  exitRules?: ExitRule[];
  goals?: ConversionGoal[];
  settings?: JourneySettings;
}

/** When and how profiles enter. */
export interface JourneyEntry {
  /** The trigger event name (must be in the space's event catalog to publish). */
  event: string;
  /** ANDed conditions on the trigger event (paths like `properties.total`). */
  conditions?: Condition[];
  /** The profile must be a member of this audience when the event arrives. */
  audienceId?: string | null;
  whoEnters?: WhoEnters;
  availability?: Availability;
  reentry?: Reentry;
}

/** Who enters: the performer of the event, or the users listed in one of its properties. */
export type WhoEnters =
  | { type: 'performer' }
  /** `path` reads one user id or an array of ids (strings or numbers) from the event, e.g. `properties.targetIds`. */
  | { type: 'property'; path: string };

/** When entry is open: always, or from 00:00 of startDate to the end of 23:59 of endDate in a timezone. */
export type Availability =
  | { type: 'always' }
  | { type: 'window'; startDate: string; endDate: string; timezone: string };

/** Re-entry rule, per journey across its versions. */
export type Reentry =
  | { mode: 'once' }
  | { mode: 'one_active' }
  /** One instance per distinct value of `identifier` (an event property path such as `properties.order_id`). */
  | { mode: 'multiple_active'; identifier: string };

/** One step of the journey graph. */
export type Step = DelayStep | HoldUntilStep | DataSplitStep | RandomSplitStep | SendStep | ExitStep;

/** The step type names. */
export type StepType = Step['type'];

/** Fields every step has. */
export interface StepBase {
  /** Unique within the journey; letters, digits, `_` and `-`. */
  id: string;
  /** A label for builders and timelines. */
  name?: string;
}

/** Waits, then continues to `next`. */
export interface DelayStep extends StepBase {
  type: 'delay';
  wait: DelayWait;
  next: string;
}

/** How long a delay waits. */
export type DelayWait =
  /** A fixed duration, 1 second to 2 years. */
  | { type: 'duration'; duration: string }
  /** Until the next `time` (HH:mm) on one of `weekdays` (all days when absent) in `timezone`. */
  | { type: 'time_of_day'; time: string; weekdays?: Weekday[]; timezone: string }
  /** Until a date read from `{ context, traits }` (e.g. `context.checkout_started.properties.pickup_at`, `traits.renewal_date`), shifted by `offset`. */
  | { type: 'property'; path: string; offset?: string };

/** Days of the week for time-of-day delays. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/**
 * Waits for one of several events (Pushwoosh's "wait for trigger"); the first branch whose event
 * arrives wins. The matched event joins the journey context as `"<event> - <branch id>"`.
 * Without a match within `timeout.after`, the instance continues to `timeout.next`.
 */
export interface HoldUntilStep extends StepBase {
  type: 'hold_until';
  branches: HoldBranch[];
  timeout: { after: string; next: string };
  /**
   * Allows paths that lead back to this step (e.g. a branch whose `next` is this step itself,
   * or "send a reminder, then wait again"). Each return restarts the step and its timer; after
   * `maxLoops` returns the instance continues to `timeout.next` instead.
   */
  loop?: { maxLoops: number };
  /** Events this long before the instance reached the step still count (default: settings.lookback). */
  lookback?: string;
}

/** One branch of a hold-until step. */
export interface HoldBranch {
  id: string;
  event: string;
  /** ANDed conditions on the branch event. */
  conditions?: Condition[];
  next: string;
}

/** Ordered branches on traits, audience membership and journey context; the first match wins. */
export interface DataSplitStep extends StepBase {
  type: 'data_split';
  branches: DataSplitBranch[];
  /** The "everyone else" branch. */
  otherwise: { next: string };
}

/** One branch of a data split. */
export interface DataSplitBranch {
  id: string;
  /** ANDed conditions on `{ traits, context }` (paths like `traits.plan`, `context.checkout_started.properties.total`). */
  conditions?: Condition[];
  /** Membership tests, ANDed with the conditions. */
  audiences?: Array<{ audienceId: string; member: boolean }>;
  next: string;
}

/** Sends instances down branches at random, by percentage (summing to 100). */
export interface RandomSplitStep extends StepBase {
  type: 'random_split';
  branches: Array<{ id: string; percent: number; next: string }>;
  /** The same profile always gets the same branch (also on re-entry). */
  sticky?: boolean;
}

/** What a send carries and where it goes; shared by send steps and exit-rule sends. */
export interface SendSpec {
  /** The event name sent to the destination. */
  eventName: string;
  /** Unique in the space, included in the payload; generated when absent. */
  activationKey?: string;
  /** Where it goes; resolved and validated by the destinations stage. */
  target?: SendTarget | null;
  /** Which journey-context entries and profile traits the payload carries (default: all). */
  payload?: { context?: 'all' | string[]; traits?: 'all' | string[] };
  /** Field mapping onto the destination action (actions-core mapping-kit). */
  mapping?: Record<string, unknown>;
  /** A disabled send is skipped (recorded as such). Default true. */
  enabled?: boolean;
}

/** A destination action of a configured destination, or a destination function. */
export type SendTarget =
  | { type: 'destination'; destinationId: string; action: string }
  | { type: 'function'; functionId: string };

/** Sends a payload, then continues to `next`. */
export interface SendStep extends StepBase, SendSpec {
  type: 'send';
  next: string;
}

/** Ends the instance. */
export interface ExitStep extends StepBase {
  type: 'exit';
}

/** Ends an instance wherever it is when this event arrives (even mid-delay). */
export interface ExitRule {
  id: string;
  event: string;
  conditions?: Condition[];
  /** With an identifier, only the instance with the event's identifier value exits (default true). */
  matchIdentifier?: boolean;
  /** One send made on exit. */
  send?: SendSpec;
}

/** An event within a window after entry that counts as a conversion for that instance. */
export interface ConversionGoal {
  id: string;
  event: string;
  conditions?: Condition[];
  /** Window from entry, e.g. "P7D". */
  within: string;
  /** End the instance when it converts (default false). */
  exitOnConversion?: boolean;
}

/** Per-journey settings; every one has a default. */
export interface JourneySettings {
  /** Default look-back of hold-until steps (default "PT5M"). */
  lookback?: string;
  /** Largest journey context in bytes (default 262144). */
  maxContextBytes?: number;
  /** Active instances one profile may have in this journey (default 1000). */
  maxActiveInstancesPerProfile?: number;
}

/** Engine-wide limits on journey documents. */
export const JOURNEY_LIMITS = {
  maxSteps: 200,
  maxBranchesPerStep: 20,
  maxExitRules: 20,
  maxGoals: 20,
  minWaitMs: 1_000,
  maxWaitMs: 2 * 366 * 24 * 3_600_000,
  defaultMaxContextBytes: 256 * 1024,
  defaultMaxActiveInstancesPerProfile: 1_000,
  defaultLookback: 'PT5M',
  maxLoops: 100,
} as const;
