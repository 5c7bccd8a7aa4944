import { parsePath } from '../../conditions/parse-path.ts';
import { JOURNEY_LIMITS } from './journey-definition.ts';
import { journeyProblem, type JourneyProblem } from './journey-problem.ts';
import { asNumber, asObject, asString, lengthOf, objectsAt, sendSpecsOf, type JsonObject } from './read-document.ts';

/** Ranges of the numeric settings (the defaults are in JOURNEY_LIMITS). */
export const JOURNEY_SETTING_RANGES = {
  maxContextBytes: { min: 1024, max: 1024 * 1024 },
  maxActiveInstancesPerProfile: { min: 1, max: 10_000 },
  maxLoops: { min: 1, max: JOURNEY_LIMITS.maxLoops },
} as const;

/** What an activation key looks like (the service generates keys of this shape when none is given). */
export const ACTIVATION_KEY_PATTERN = /^[A-Za-z0-9_-]{4,64}$/;

const PERCENT_TOLERANCE = 1e-9;

/** The identifier path of the document's instances, if its reentry mode has one. */
export function identifierOf(doc: JsonObject): string | undefined {
  const reentry = asObject(asObject(doc['entry'])?.['reentry']);
  return reentry?.['mode'] === 'multiple_active' ? asString(reentry['identifier']) : undefined;
}

/** The identifier is a simple property path, and exit rules ask to match it only when there is one. */
export function identifierProblems(doc: JsonObject): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  const reentry = asObject(asObject(doc['entry'])?.['reentry']);
  const identifier = identifierOf(doc);
  if (identifier !== undefined && identifier !== '') {
    const at = '/entry/reentry/identifier';
    const parsed = parsePath(identifier);
    if (parsed.kind === 'invalid') {
      problems.push(journeyProblem('journey_invalid_path', at, `identifier path '${identifier}' ${parsed.reason}`));
    } else if (parsed.kind === 'jsonpath') {
      problems.push(
        journeyProblem('journey_identifier', at, `identifier '${identifier}' may yield several values`, 'use a simple property path such as properties.order_id (no wildcards or filters)'),
      );
    }
  }
  if (reentry?.['mode'] !== 'multiple_active') {
    const mode = asString(reentry?.['mode']) ?? 'one_active';
    for (const { item, at } of objectsAt(doc['exitRules'], '/exitRules')) {
      if (item['matchIdentifier'] === true) {
        problems.push(
          journeyProblem('journey_identifier', `${at}/matchIdentifier`, `matchIdentifier is true but reentry '${mode}' has no identifier`, "use reentry 'multiple_active' with an identifier, or remove matchIdentifier"),
        );
      }
    }
  }
  return problems;
}

/** Property paths outside condition lists: who enters, and dates read by property delays. */
export function pathProblems(doc: JsonObject): JourneyProblem[] {
  const places: Array<{ value: unknown; at: string; what: string }> = [];
  const whoEnters = asObject(asObject(doc['entry'])?.['whoEnters']);
  if (whoEnters?.['type'] === 'property') places.push({ value: whoEnters['path'], at: '/entry/whoEnters/path', what: 'who-enters path' });
  for (const { item: step, at } of objectsAt(doc['steps'], '/steps')) {
    const wait = asObject(step['wait']);
    if (step['type'] === 'delay' && wait?.['type'] === 'property') places.push({ value: wait['path'], at: `${at}/wait/path`, what: 'delay path' });
  }
  return places.flatMap(({ value, at, what }) => {
    if (typeof value !== 'string' || value === '') return [];
    const parsed = parsePath(value);
    return parsed.kind === 'invalid' ? [journeyProblem('journey_invalid_path', at, `${what} '${value}' ${parsed.reason}`)] : [];
  });
}

/** Counts and numeric settings within JOURNEY_LIMITS and JOURNEY_SETTING_RANGES. */
export function limitProblems(doc: JsonObject): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  const count = (value: unknown, max: number, at: string, what: string): void => {
    const n = lengthOf(value);
    if (n > max) problems.push(journeyProblem('journey_limit', at, `${n} ${what}, more than the limit of ${max}`));
  };
  const range = (value: unknown, limits: { min: number; max: number }, at: string, what: string): void => {
    const n = asNumber(value);
    if (n !== undefined && (n < limits.min || n > limits.max)) {
      problems.push(journeyProblem('journey_limit', at, `${what} ${n} is out of range`, `it must be between ${limits.min} and ${limits.max}`));
    }
  };
  count(doc['steps'], JOURNEY_LIMITS.maxSteps, '/steps', 'steps');
  for (const { item: step, at } of objectsAt(doc['steps'], '/steps')) {
    count(step['branches'], JOURNEY_LIMITS.maxBranchesPerStep, `${at}/branches`, 'branches');
    range(asObject(step['loop'])?.['maxLoops'], JOURNEY_SETTING_RANGES.maxLoops, `${at}/loop/maxLoops`, 'maxLoops');
  }
  count(doc['exitRules'], JOURNEY_LIMITS.maxExitRules, '/exitRules', 'exit rules');
  count(doc['goals'], JOURNEY_LIMITS.maxGoals, '/goals', 'goals');
  const settings = asObject(doc['settings']);
  range(settings?.['maxContextBytes'], JOURNEY_SETTING_RANGES.maxContextBytes, '/settings/maxContextBytes', 'maxContextBytes');
  range(
    settings?.['maxActiveInstancesPerProfile'],
    JOURNEY_SETTING_RANGES.maxActiveInstancesPerProfile,
    '/settings/maxActiveInstancesPerProfile',
    'maxActiveInstancesPerProfile',
  );
  return problems;
}

/** Random split percentages: each in (0, 100], together 100. */
export function percentProblems(doc: JsonObject): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  for (const { item: step, at } of objectsAt(doc['steps'], '/steps')) {
    if (step['type'] !== 'random_split') continue;
    const branches = objectsAt(step['branches'], `${at}/branches`);
    let sum = 0;
    let allNumbers = branches.length > 0;
    for (const { item: branch, at: branchAt } of branches) {
      const percent = asNumber(branch['percent']);
      if (percent === undefined) {
        allNumbers = false;
        continue;
      }
      sum += percent;
      if (percent <= 0 || percent > 100) {
        problems.push(journeyProblem('journey_invalid_percent', `${branchAt}/percent`, `percent ${percent} is out of range`, 'it must be greater than 0 and at most 100'));
      }
    }
    if (allNumbers && Math.abs(sum - 100) > PERCENT_TOLERANCE) {
      problems.push(journeyProblem('journey_percent_sum', `${at}/branches`, `percentages add up to ${sum}`, 'they must add up to 100'));
    }
  }
  return problems;
}

/** Send steps and exit-rule sends: activation keys of the right shape, payload lists of non-empty names. */
export function sendProblems(doc: JsonObject): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  for (const { spec, at } of sendSpecsOf(doc)) {
    const key = spec['activationKey'];
    if (typeof key === 'string' && !ACTIVATION_KEY_PATTERN.test(key)) {
      problems.push(journeyProblem('journey_invalid_activation_key', `${at}/activationKey`, `activation key '${key}' is malformed`, "use 4 to 64 letters, digits, '_' or '-'"));
    }
    const payload = asObject(spec['payload']);
    for (const part of ['context', 'traits']) {
      const list = payload?.[part];
      if (!Array.isArray(list)) continue;
      list.forEach((name: unknown, i) => {
        if (typeof name === 'string' && name.trim() === '') {
          problems.push(journeyProblem('journey_invalid_payload', `${at}/payload/${part}/${i}`, `payload ${part} names an empty entry`));
        }
      });
    }
  }
  return problems;
}
