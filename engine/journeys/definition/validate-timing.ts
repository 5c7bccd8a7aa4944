import { DateTime, IANAZone } from 'luxon';
import { JOURNEY_LIMITS } from './journey-definition.ts';
import { parseDuration } from './duration.ts';
import { journeyProblem, type JourneyProblem } from './journey-problem.ts';
import { asObject, asString, objectsAt, type JsonObject } from './read-document.ts';

/** The range a duration must lie in, in milliseconds, and how to say it. */
interface DurationRange {
  minMs: number;
  maxMs: number;
  what: string;
}

const ONE_DAY_MS = 24 * 3_600_000;

/** Waits, hold-until timeouts and goal windows: 1 second to 2 years. */
const WAIT: DurationRange = { minMs: JOURNEY_LIMITS.minWaitMs, maxMs: JOURNEY_LIMITS.maxWaitMs, what: '1 second and 2 years' };
/** Look-backs: 0 to 1 day. */
const LOOKBACK: DurationRange = { minMs: 0, maxMs: ONE_DAY_MS, what: '0 ("PT0S") and 1 day' };
/** Offsets of property delays: up to 2 years either way. */
const OFFSET: DurationRange = { minMs: -JOURNEY_LIMITS.maxWaitMs, maxMs: JOURNEY_LIMITS.maxWaitMs, what: '-2 years and 2 years' };

const TIME_OF_DAY = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Durations, times of day, weekdays, timezones and dates anywhere in the document. */
export function timingProblems(doc: JsonObject): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  const availability = asObject(asObject(doc['entry'])?.['availability']);
  if (availability?.['type'] === 'window') problems.push(...windowProblems(availability, '/entry/availability'));
  for (const { item: step, at } of objectsAt(doc['steps'], '/steps')) {
    if (step['type'] === 'delay') problems.push(...waitProblems(asObject(step['wait']), `${at}/wait`));
    if (step['type'] === 'hold_until') {
      problems.push(...durationProblems(asObject(step['timeout'])?.['after'], `${at}/timeout/after`, WAIT));
      problems.push(...durationProblems(step['lookback'], `${at}/lookback`, LOOKBACK));
    }
  }
  for (const { item: goal, at } of objectsAt(doc['goals'], '/goals')) {
    problems.push(...durationProblems(goal['within'], `${at}/within`, WAIT));
  }
  problems.push(...durationProblems(asObject(doc['settings'])?.['lookback'], '/settings/lookback', LOOKBACK));
  return problems;
}

function waitProblems(wait: JsonObject | undefined, at: string): JourneyProblem[] {
  switch (wait?.['type']) {
    case 'duration':
      return durationProblems(wait['duration'], `${at}/duration`, WAIT);
    case 'time_of_day':
      return [
        ...timeProblems(wait['time'], `${at}/time`),
        ...weekdayProblems(wait['weekdays'], `${at}/weekdays`),
        ...timezoneProblems(wait['timezone'], `${at}/timezone`),
      ];
    case 'property':
      return durationProblems(wait['offset'], `${at}/offset`, OFFSET);
    default:
      return [];
  }
}

/** A duration (skipped when absent or not a string: the schema reports that) within `range`. */
function durationProblems(value: unknown, at: string, range: DurationRange): JourneyProblem[] {
  if (typeof value !== 'string' || value === '') return [];
  const duration = parseDuration(value);
  if (duration === undefined) {
    const example = range.minMs < 0 ? '"PT30M", "P1D" or "-PT1H"' : '"PT30M", "P1D" or "P1Y"';
    return [journeyProblem('journey_invalid_duration', at, `'${value}' is not an ISO-8601 duration`, `write it like ${example}`)];
  }
  const ms = duration.toMillis();
  if (ms < range.minMs || ms > range.maxMs) {
    return [journeyProblem('journey_duration_out_of_range', at, `duration '${value}' is out of range`, `it must be between ${range.what}`)];
  }
  return [];
}

function timeProblems(value: unknown, at: string): JourneyProblem[] {
  if (typeof value !== 'string' || TIME_OF_DAY.test(value)) return [];
  return [journeyProblem('journey_invalid_time', at, `'${value}' is not a time of day`, 'write it HH:mm, from 00:00 to 23:59')];
}

function weekdayProblems(value: unknown, at: string): JourneyProblem[] {
  if (!Array.isArray(value)) return [];
  const seen = new Set<unknown>();
  const problems: JourneyProblem[] = [];
  value.forEach((day: unknown, i) => {
    if (seen.has(day)) problems.push(journeyProblem('journey_duplicate_weekday', `${at}/${i}`, `weekday '${String(day)}' is listed twice`));
    seen.add(day);
  });
  return problems;
}

/** Whether a string names an IANA timezone ("Europe/Berlin", "UTC"); offsets such as "+01:00" do not. */
export function isIanaZone(name: string): boolean {
  return /^[A-Za-z]/.test(name) && IANAZone.isValidZone(name);
}

function timezoneProblems(value: unknown, at: string): JourneyProblem[] {
  if (typeof value !== 'string' || value === '' || isIanaZone(value)) return [];
  return [journeyProblem('journey_invalid_timezone', at, `'${value}' is not an IANA timezone`, 'use a name such as "Europe/Berlin" or "UTC"')];
}

function windowProblems(window: JsonObject, at: string): JourneyProblem[] {
  const problems = timezoneProblems(window['timezone'], `${at}/timezone`);
  const start = dateOf(window['startDate'], `${at}/startDate`, problems);
  const end = dateOf(window['endDate'], `${at}/endDate`, problems);
  if (start !== undefined && end !== undefined && start > end) {
    problems.push(journeyProblem('journey_invalid_date_range', `${at}/startDate`, `startDate ${start} is after endDate ${end}`));
  }
  return problems;
}

/** The date if `value` is a real calendar date YYYY-MM-DD; otherwise records a problem (unless the schema will). */
function dateOf(value: unknown, at: string, problems: JourneyProblem[]): string | undefined {
  const text = asString(value);
  if (text === undefined || text === '') return undefined;
  if (DATE.test(text) && DateTime.fromFormat(text, 'yyyy-MM-dd', { zone: 'UTC' }).isValid) return text;
  problems.push(journeyProblem('journey_invalid_date', at, `'${text}' is not a calendar date`, 'write it YYYY-MM-DD, e.g. "2025-03-31"'));
  return undefined;
}
