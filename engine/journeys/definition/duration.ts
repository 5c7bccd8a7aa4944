import { DateTime, Duration } from 'luxon';

/*
 * ISO-8601 durations ("PT30M", "P1D", "P1Y2M", "-PT1H"). luxon's own parser also accepts "P",
 * "PT", "P1DT", fractions of any unit and signs on each component, so the accepted grammar is
 * checked here first: whole numbers of years, months, weeks, days, hours and minutes, seconds
 * with up to three decimals, at least one component, and one optional leading minus sign.
 */
const ISO_DURATION =
  /^(-)?P(?=\d|T\d)(?:(\d{1,9})Y)?(?:(\d{1,9})M)?(?:(\d{1,9})W)?(?:(\d{1,9})D)?(?:T(?=\d)(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})(?:\.(\d{1,3}))?S)?)?$/;

/** Parses an ISO-8601 duration (a leading "-" negates it); undefined if it is not one. */
export function parseDuration(iso: string): Duration | undefined {
  const match = ISO_DURATION.exec(iso);
  if (match === null) return undefined;
  const [, minus, years, months, weeks, days, hours, minutes, seconds, fraction] = match;
  const sign = minus === undefined ? 1 : -1;
  const units = { years, months, weeks, days, hours, minutes, seconds };
  const values: Record<string, number> = {};
  for (const [unit, text] of Object.entries(units)) {
    if (text !== undefined) values[unit] = sign * Number(text);
  }
  if (fraction !== undefined) values['milliseconds'] = sign * Number(fraction.padEnd(3, '0'));
  const duration = Duration.fromObject(values);
  return duration.isValid ? duration : undefined;
}

/**
 * The length of a duration in milliseconds. Days are 24 hours, weeks 7 days; months and years
 * have no fixed length, so they count as 30 and 365 days (luxon's "casual" conversion): good for
 * range checks, not for scheduling — use addDuration for that. Throws a RangeError if `iso` is
 * not a duration.
 */
export function durationMs(iso: string): number {
  const duration = parseDuration(iso);
  if (duration === undefined) throw new RangeError(`'${iso}' is not an ISO-8601 duration`);
  return duration.toMillis();
}

/**
 * The instant `iso` after `fromMs` (before it, for a negative duration), adding calendar units
 * (years, months, weeks, days) on the wall clock of `zone` (default UTC) and time units (hours,
 * minutes, seconds) as elapsed time: P1D across a DST change keeps the time of day, PT24H does
 * not. Throws a RangeError if `iso` is not a duration or `zone` is not a valid timezone.
 */
export function addDuration(fromMs: number, iso: string, zone = 'UTC'): number {
  const duration = parseDuration(iso);
  if (duration === undefined) throw new RangeError(`'${iso}' is not an ISO-8601 duration`);
  const start = DateTime.fromMillis(fromMs, { zone });
  if (!start.isValid) throw new RangeError(`'${zone}' is not a valid timezone`);
  return start.plus(duration).toMillis();
}
