import type { JourneyEntry } from '../journeys/definition/journey-definition.ts';
import type { EventRecord } from '../store/event-store.ts';
import type { JourneyRecord, JourneyVersionRecord } from '../store/journey-store.ts';
import type { InstanceRecord } from '../store/instance-store.ts';
import type { Condition } from '../conditions/condition.ts';
import { conditionOutcomes } from '../conditions/condition-outcomes.ts';
import {
  checkAcceptingEntries, checkAvailability, checkConditions, checkEventName, checkEventType, checkLive, entryTargets, entryWindow,
  type EntryCheck, type EntryVerdict,
} from '../journeys/runtime/entry-decision.ts';

/*
 * The trigger-level entry checks as explain reports them: each verdict comes from the function
 * the runtime calls; this file only adds the words that say why it passed or failed.
 */

/** One condition of the entry as explain shows it. */
export interface ConditionReport extends Condition {
  index: number;
  passed: boolean;
  /** What the path found in the event (absent when it found nothing). */
  found?: unknown;
}

/** An instance that decided a check, as explain shows it. */
export interface InstanceReport {
  id: string;
  version: number;
  status: InstanceRecord['status'];
  identifier: string | null;
  enteredAt: string;
  stepId: string | null;
}

/** One check of the entry with its outcome. */
export interface CheckOutcome {
  check: EntryCheck;
  passed: boolean;
  detail: string;
  /** conditions: every entry condition with its outcome. */
  conditions?: ConditionReport[];
  /** re_entry: the stored instances the outcome rests on. */
  instances?: InstanceReport[];
}

/** An outcome from a runtime verdict: its reason when refused, else the given detail. */
export function outcomeOf(check: EntryCheck, verdict: EntryVerdict, passDetail: string): CheckOutcome {
  return verdict.ok ? { check, passed: true, detail: passDetail } : { check, passed: false, detail: verdict.reason };
}

/** journey_live: the version explained is the one new entries use, and the event came after it was published. */
export function liveOutcome(journey: JourneyRecord, version: JourneyVersionRecord, event: EventRecord): CheckOutcome {
  const paused = journey.status === 'paused' ? ' (the journey is paused)' : '';
  return outcomeOf('journey_live', checkLive(journey, version, event), `version ${version.version} is published${paused}, since ${version.publishedAt}`);
}

/** event_type: a track event. */
export function eventTypeOutcome(event: EventRecord): CheckOutcome {
  return outcomeOf('event_type', checkEventType(event), 'a track event');
}

/** event_name: the entry event. */
export function eventNameOutcome(entry: JourneyEntry, event: EventRecord): CheckOutcome {
  return outcomeOf('event_name', checkEventName(entry, event), `'${entry.event}' is the entry event`);
}

/** conditions: the runtime's verdict, and each condition with the value its path found. */
export function conditionsOutcome(entry: JourneyEntry, event: EventRecord): CheckOutcome {
  const verdict = checkConditions(entry, event);
  const reports: ConditionReport[] = conditionOutcomes(entry.conditions, event.message).map((o) => ({
    index: o.index, ...o.condition, passed: o.passed, ...(o.found.length === 0 ? {} : { found: o.found.length === 1 ? o.found[0] : o.found }),
  }));
  if (reports.length === 0) return { check: 'conditions', passed: verdict.ok, detail: 'the entry has no conditions' };
  const failed = reports.filter((r) => !r.passed);
  const detail = verdict.ok
    ? `all ${reports.length} condition(s) hold`
    : `${verdict.reason}: ${failed.map(describeFailure).join('; ')}`;
  return { check: 'conditions', passed: verdict.ok, detail, conditions: reports };
}

function describeFailure(r: ConditionReport): string {
  const expected = r.value === undefined ? '' : ` ${JSON.stringify(r.value)}`;
  const found = 'found' in r ? `found ${JSON.stringify(r.found)}` : 'nothing found there';
  return `condition ${r.index} (${r.path} ${r.operator}${expected}${r.ignoreCase ? ', ignoring case' : ''}) failed: ${found}`;
}

/** availability: the event's timestamp against the entry window. */
export function availabilityOutcome(entry: JourneyEntry, event: EventRecord): CheckOutcome {
  const a = entry.availability;
  let passDetail = 'entry is open at any time';
  if (a && a.type === 'window') {
    const { from, to } = entryWindow(a.startDate, a.endDate, a.timezone);
    passDetail = `the event timestamp ${event.timestamp} is inside the entry window ${a.startDate}–${a.endDate} ${a.timezone} `
      + `(${new Date(from).toISOString()} to ${new Date(to).toISOString()})`;
  }
  return outcomeOf('availability', checkAvailability(entry, event), passDetail);
}

/** accepting_entries: not paused. */
export function acceptingOutcome(journey: JourneyRecord): CheckOutcome {
  return outcomeOf('accepting_entries', checkAcceptingEntries(journey), `the journey is ${journey.status}`);
}

/**
 * who_enters, for one person: the performer when the journey enters performers; else whether
 * one of the person's user ids is among those the event lists.
 */
export function whoEntersOutcome(entry: JourneyEntry, event: EventRecord, person: { isPerformer: boolean; userIds: readonly string[] }): CheckOutcome {
  const targets = entryTargets(entry, event);
  if ('none' in targets) return { check: 'who_enters', passed: false, detail: targets.none };
  if ('performer' in targets) {
    return person.isPerformer
      ? { check: 'who_enters', passed: true, detail: 'the user who performed the event enters' }
      : { check: 'who_enters', passed: false, detail: 'the user who performed the event enters, and this is someone else' };
  }
  const path = entry.whoEnters?.type === 'property' ? entry.whoEnters.path : '';
  const listed = person.userIds.find((id) => targets.userIds.includes(id));
  return listed !== undefined
    ? { check: 'who_enters', passed: true, detail: `user ${listed} is one of the ${targets.userIds.length} user(s) listed at '${path}'` }
    : { check: 'who_enters', passed: false, detail: `not among the ${targets.userIds.length} user(s) listed at '${path}': ${JSON.stringify(targets.userIds.slice(0, 20))}` };
}

/** The fields of an instance explain shows. */
export function instanceReport(i: InstanceRecord): InstanceReport {
  return { id: i.id, version: i.version, status: i.status, identifier: i.identifier, enteredAt: i.enteredAt, stepId: i.stepId };
}
