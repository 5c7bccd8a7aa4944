import { DateTime } from 'luxon';
import type { JourneyEntry } from '../definition/journey-definition.ts';
import type { EventRecord } from '../../store/event-store.ts';
import type { JourneyRecord, JourneyVersionRecord } from '../../store/journey-store.ts';
import { matcherFor } from '../../conditions/cached-matcher.ts';
import { readPath } from '../../conditions/read-path.ts';

/**
 * The checks an event goes through to enter a journey, named as the activity log
 * (`trigger_ignored` records' `data.check`) and the explain endpoint name them. The first three
 * select which journeys an event is considered for at all (failing them is never recorded); the
 * runtime applies the others in this order and records the first that fails.
 */
export const ENTRY_CHECKS = [
  'journey_live', 'event_type', 'event_name', 'conditions', 'availability', 'accepting_entries', 'who_enters', 'audience', 're_entry',
] as const;

/** The name of one entry check. */
export type EntryCheck = (typeof ENTRY_CHECKS)[number];

/** A check that failed: which one, and the reason recorded in the activity log. */
export interface EntryRefusal {
  ok: false;
  check: EntryCheck;
  reason: string;
}

/** The outcome of one entry check. */
export type EntryVerdict = { ok: true } | EntryRefusal;

const PASS: EntryVerdict = { ok: true };

function refuse(check: EntryCheck, reason: string): EntryRefusal {
  return { ok: false, check, reason };
}

/** A track event with its name: the only kind of event that enters journeys or advances instances. */
export function isTrackEvent(event: EventRecord): event is EventRecord & { type: 'track'; name: string } {
  return event.type === 'track' && event.name !== null;
}

/** Whether a journey takes new entries at all, on which version: its live version while published or paused. */
export function entryVersionOf(journey: Pick<JourneyRecord, 'status' | 'liveVersion'>): number | null {
  return journey.liveVersion !== null && (journey.status === 'published' || journey.status === 'paused') ? journey.liveVersion : null;
}

/**
 * journey_live: the version is the one the journey takes entries on, and the event was received
 * after it was published (a backlog processed after a restart does not enter a newer version).
 */
export function checkLive(
  journey: Pick<JourneyRecord, 'status' | 'liveVersion'>, version: Pick<JourneyVersionRecord, 'version' | 'state' | 'publishedAt'>, event: EventRecord,
): EntryVerdict {
  const entryVersion = entryVersionOf(journey);
  if (entryVersion === null) return refuse('journey_live', `the journey is ${journey.status}: it takes no entries`);
  if (version.version !== entryVersion) {
    return refuse('journey_live', `version ${version.version} is ${version.state}; new entries use version ${entryVersion}`);
  }
  if (event.receivedAt < version.publishedAt) {
    return refuse('journey_live', `the event was received at ${event.receivedAt}, before version ${version.version} was published at ${version.publishedAt}`);
  }
  return PASS;
}

/** event_type: only track events enter journeys. */
export function checkEventType(event: EventRecord): EntryVerdict {
  if (isTrackEvent(event)) return PASS;
  return refuse('event_type', event.type === 'track' ? 'the track event has no name' : `a ${event.type} message, not a track event`);
}

/** event_name: the event is the entry event (the runtime looks journeys up by this name). */
export function checkEventName(entry: JourneyEntry, event: EventRecord): EntryVerdict {
  return event.name === entry.event ? PASS : refuse('event_name', `the event is '${event.name ?? ''}', the entry event is '${entry.event}'`);
}

/** conditions: every entry condition holds on the event message. */
export function checkConditions(entry: JourneyEntry, event: EventRecord): EntryVerdict {
  return matcherFor(entry.conditions)(event.message) ? PASS : refuse('conditions', 'entry conditions not met');
}

/** availability: the event's timestamp lies in the entry window, if the journey has one. */
export function checkAvailability(entry: JourneyEntry, event: EventRecord): EntryVerdict {
  const availability = entry.availability;
  if (!availability || availability.type !== 'window') return PASS;
  const { startDate, endDate, timezone } = availability;
  const { from, to } = entryWindow(startDate, endDate, timezone);
  const at = Date.parse(event.timestamp);
  if (at < from) return refuse('availability', `before the entry window (opens ${startDate} 00:00 ${timezone}, ${new Date(from).toISOString()})`);
  if (at > to) return refuse('availability', `after the entry window (closed at the end of ${endDate} 23:59 ${timezone}, ${new Date(to).toISOString()})`);
  return PASS;
}

/** Whether an event triggers entry at all (conditions, then availability), with the failed check and reason when not. */
export function checkTrigger(entry: JourneyEntry, event: EventRecord): EntryVerdict {
  const conditions = checkConditions(entry, event);
  return conditions.ok ? checkAvailability(entry, event) : conditions;
}

/** accepting_entries: a paused journey keeps its live version but starts no instances. */
export function checkAcceptingEntries(journey: Pick<JourneyRecord, 'status'>): EntryVerdict {
  return journey.status === 'paused' ? refuse('accepting_entries', 'the journey is paused') : PASS;
}

/** The entry window in epoch ms: 00:00 of the start date to the end of 23:59 of the end date, in the zone (DST-correct). */
export function entryWindow(startDate: string, endDate: string, timezone: string): { from: number; to: number } {
  return {
    from: DateTime.fromISO(startDate, { zone: timezone }).startOf('day').toMillis(),
    to: DateTime.fromISO(endDate, { zone: timezone }).endOf('day').toMillis(),
  };
}

/** Most users one event may enter through a property (protects the engine from a huge list). */
export const MAX_ENTRY_TARGETS = 1_000;

/** who_enters: the performer, or the distinct user ids listed at a property path (one id or an array); `none` is the refusal reason. */
export function entryTargets(entry: JourneyEntry, event: EventRecord): { performer: true } | { userIds: string[] } | { none: string } {
  const who = entry.whoEnters;
  if (!who || who.type === 'performer') return { performer: true };
  const raw = readPath(who.path, event.message);
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const ids = new Set<string>();
  for (const value of list) {
    if ((typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value))) ids.add(String(value));
  }
  if (ids.size === 0) return { none: `no user ids at '${who.path}'` };
  if (ids.size > MAX_ENTRY_TARGETS) return { none: `${ids.size} user ids at '${who.path}'; at most ${MAX_ENTRY_TARGETS} enter per event` };
  return { userIds: [...ids] };
}
