import { DateTime } from 'luxon';
import { JOURNEY_LIMITS, type DelayStep, type DelayWait, type Weekday } from '../../definition/journey-definition.ts';
import { addDuration } from '../../definition/duration.ts';
import { readPath } from '../../../conditions/read-path.ts';
import { parseIsoInstant } from '../../../conditions/iso-instant.ts';
import { record, type Run } from '../run.ts';

const WEEKDAY_NUMBER: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/** The next `HH:mm` on an allowed weekday in the zone, strictly after `now`. */
export function nextTimeOfDay(now: number, time: string, timezone: string, weekdays?: Weekday[]): number {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const allowed = new Set((weekdays && weekdays.length > 0 ? weekdays : Object.keys(WEEKDAY_NUMBER) as Weekday[]).map((d) => WEEKDAY_NUMBER[d]));
  const start = DateTime.fromMillis(now, { zone: timezone });
  for (let day = 0; day <= 7; day++) {
    const date = start.plus({ days: day });
    if (!allowed.has(date.weekday)) continue;
    const next = wallTimeInstants(date, hour, minute).find((t) => t > now);
    if (next !== undefined) return next;
  }
  throw new Error(`no ${time} within a week in ${timezone}`);
}

/**
 * The instants at which the zone's clocks show `hour:minute` on `date`'s calendar day, earliest
 * first: two on a fall-back day (01:30 happens twice: the first is the next one, whichever day the
 * wait began), none on a spring-forward gap (then the time the clocks jump to, as luxon places it).
 * Why not `set({hour, minute})`: luxon resolves an ambiguous time by the offset of the day it
 * starts from, so the answer depended on when the instance entered.
 */
function wallTimeInstants(date: DateTime, hour: number, minute: number): number[] {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  const offsets = new Set([date.zone.offset(wall - 86_400_000), date.zone.offset(wall), date.zone.offset(wall + 86_400_000)]);
  const exact = [...offsets].map((offset) => wall - offset * 60_000).filter((t) => {
    const local = DateTime.fromMillis(t, { zone: date.zone });
    return local.day === date.day && local.hour === hour && local.minute === minute;
  });
  return exact.length > 0 ? exact.sort((a, b) => a - b) : [date.set({ hour, minute, second: 0, millisecond: 0 }).toMillis()];
}

/** When a delay started at `now` ends, or a reason it does not wait. */
export function delayUntil(wait: DelayWait, run: Run): { until: number } | { skip: string } {
  // From when a late timer was due: the delays after it keep their places (see RunEnv.waitsFrom).
  const now = run.env.waitsFrom ?? run.env.now;
  switch (wait.type) {
    case 'duration':
      return { until: addDuration(now, wait.duration) };
    case 'time_of_day':
      return { until: nextTimeOfDay(now, wait.time, wait.timezone, wait.weekdays) };
    case 'property': {
      // Same subject as data-split conditions: the journey context and the profile's traits.
      const raw = readPath(wait.path, { context: run.instance.context, traits: run.env.profile.traits });
      // The same ISO-8601 reading as date conditions (a date, or a date-time with 'T' or a space, UTC
      // unless an offset says otherwise); a number is epoch milliseconds.
      const at = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseIsoInstant(raw) ?? Number.NaN : Number.NaN;
      if (!Number.isFinite(at)) return { skip: `no date at '${wait.path}'` };
      // Checked before any date arithmetic (an offset is at most 2 years): 1e300 is finite but no date.
      if (at - now > 2 * JOURNEY_LIMITS.maxWaitMs) return { skip: `the date at '${wait.path}' is more than 2 years ahead` };
      if (now - at > 2 * JOURNEY_LIMITS.maxWaitMs) return { skip: `the date at '${wait.path}' is already past` };
      const until = wait.offset ? addDuration(at, wait.offset) : at;
      if (until <= now) return { skip: `the date at '${wait.path}' is already past` };
      // The same bound as every other wait of a journey.
      if (until - now > JOURNEY_LIMITS.maxWaitMs) return { skip: `the date at '${wait.path}' is more than 2 years ahead` };
      return { until };
    }
    default: {
      const never: never = wait;
      throw new Error(`unknown delay ${JSON.stringify(never)}`);
    }
  }
}

/** Enters a delay step: waits until its end, or continues at once when there is nothing to wait for. */
export function enterDelay(run: Run, step: DelayStep): string | null {
  const decided = delayUntil(step.wait, run);
  if ('skip' in decided) {
    record(run, 'waiting', { reason: `not waiting: ${decided.skip}` });
    return step.next;
  }
  run.instance.wait = { kind: 'delay', until: decided.until };
  run.instance.wakeAt = decided.until;
  record(run, 'waiting', { reason: `delay until ${new Date(decided.until).toISOString()}`, data: { until: new Date(decided.until).toISOString() } });
  return null;
}
