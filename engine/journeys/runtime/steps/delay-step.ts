import { DateTime } from 'luxon';
import { JOURNEY_LIMITS, type DelayStep, type DelayWait, type Weekday } from '../../definition/journey-definition.ts';
import { addDuration } from '../../definition/duration.ts';
import { readPath } from '../../../conditions/read-path.ts';
import { record, type Run } from '../run.ts';

const WEEKDAY_NUMBER: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/** The next `HH:mm` on an allowed weekday in the zone, strictly after `now`. */
export function nextTimeOfDay(now: number, time: string, timezone: string, weekdays?: Weekday[]): number {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const allowed = new Set((weekdays && weekdays.length > 0 ? weekdays : Object.keys(WEEKDAY_NUMBER) as Weekday[]).map((d) => WEEKDAY_NUMBER[d]));
  const start = DateTime.fromMillis(now, { zone: timezone });
  for (let day = 0; day <= 7; day++) {
    // Setting the wall-clock time on each calendar day keeps it DST-correct.
    const candidate = start.plus({ days: day }).set({ hour, minute, second: 0, millisecond: 0 });
    if (candidate.toMillis() > now && allowed.has(candidate.weekday)) return candidate.toMillis();
  }
  throw new Error(`no ${time} within a week in ${timezone}`);
}

/** When a delay started at `now` ends, or a reason it does not wait. */
export function delayUntil(wait: DelayWait, run: Run): { until: number } | { skip: string } {
  const now = run.env.now;
  switch (wait.type) {
    case 'duration':
      return { until: addDuration(now, wait.duration) };
    case 'time_of_day':
      return { until: nextTimeOfDay(now, wait.time, wait.timezone, wait.weekdays) };
    case 'property': {
      // Same subject as data-split conditions: the journey context and the profile's traits.
      const raw = readPath(wait.path, { context: run.instance.context, traits: run.env.profile.traits });
      const at = typeof raw === 'number' ? raw : typeof raw === 'string' ? DateTime.fromISO(raw, { zone: 'utc' }).toMillis() : Number.NaN;
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
