import { DateTime } from 'luxon';
import type { JourneyEntry } from '../definition/journey-definition.ts';
import type { EventRecord } from '../../store/event-store.ts';
import { matcherFor } from '../../conditions/cached-matcher.ts';
import { readPath } from '../../conditions/read-path.ts';

/** Whether an event triggers entry at all (conditions and availability), with the reason when not. */
export function checkTrigger(entry: JourneyEntry, event: EventRecord): { ok: true } | { ok: false; reason: string } {
  if (!matcherFor(entry.conditions)(event.message)) return { ok: false, reason: 'entry conditions not met' };
  const availability = entry.availability;
  if (availability && availability.type === 'window') {
    const { from, to } = entryWindow(availability.startDate, availability.endDate, availability.timezone);
    const at = Date.parse(event.timestamp);
    const { startDate, endDate, timezone } = availability;
    if (at < from) return { ok: false, reason: `before the entry window (opens ${startDate} 00:00 ${timezone}, ${new Date(from).toISOString()})` };
    if (at > to) return { ok: false, reason: `after the entry window (closed at the end of ${endDate} 23:59 ${timezone}, ${new Date(to).toISOString()})` };
  }
  return { ok: true };
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

/** Who enters: the performer, or the distinct user ids listed at a property path (one id or an array). */
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
