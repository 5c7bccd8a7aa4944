/** What every journey problem must be, wherever it comes from (validateJourney, publish-time checks, the API). */
import { expect } from 'chai';
import { CONDITION_PROBLEM_CODES } from '../../engine/conditions/condition-problem.ts';
import { JOURNEY_PROBLEM_CODES, type JourneyProblem } from '../../engine/journeys/definition/journey-problem.ts';
import { MAPPING_PROBLEM_CODES } from '../../mappings/mapping-problem.ts';

// Every code a journey problem may carry.
const CODES = new Set([...Object.keys(JOURNEY_PROBLEM_CODES), ...Object.keys(CONDITION_PROBLEM_CODES), ...Object.keys(MAPPING_PROBLEM_CODES)]);

/** Whether a JSON pointer names a place that exists in `doc` (own properties only). */
export function resolves(doc: unknown, pointer: string): boolean {
  if (pointer === '') return true;
  if (!pointer.startsWith('/')) return false;
  let current: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return false;
    current = (current as Record<string, unknown>)[key];
  }
  return true;
}

/** Asserts what every problem must be: a known code, a JSON pointer to the place (or to where a missing property belongs), a message naming it. */
export function expectWellFormedProblems(doc: unknown, problems: readonly JourneyProblem[]): void {
  for (const p of problems) {
    const what = `${p.code} at ${JSON.stringify(p.path)}: ${p.message}`;
    expect(CODES.has(p.code), what).to.equal(true);
    const parent = p.path.slice(0, Math.max(0, p.path.lastIndexOf('/')));
    expect(resolves(doc, p.path) || resolves(doc, parent), `${what}: the path names no place in the document`).to.equal(true);
    expect(p.message, what).to.contain(p.path === '' ? '/' : p.path);
  }
}

