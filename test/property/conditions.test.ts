import fc from 'fast-check';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { EngineError } from '../../engine/errors.ts';
import type { Condition } from '../../engine/conditions/condition.ts';
import { CONDITION_PROBLEM_CODES } from '../../engine/conditions/condition-problem.ts';
import { conditionListSchema } from '../../engine/conditions/condition-schema.ts';
import { compileConditions, evaluateConditions } from '../../engine/conditions/compile-conditions.ts';
import { conditionOutcomes } from '../../engine/conditions/condition-outcomes.ts';
import { validateCondition, validateConditions } from '../../engine/conditions/validate-conditions.ts';
import { conditionsDisjoint } from '../../engine/journeys/definition/conditions-disjoint.ts';
import { asReceived, conditionList, conditionScalar, conditionSubject, plausibleCondition } from './arbitraries.ts';
import { checkProperty } from './property-harness.ts';

/** The values conditions compare with, and their lower-case and number/string twins: likely to make conditions hold. */
function witnessValues(conditions: readonly Condition[]): unknown[] {
  const values = conditions.flatMap((c) => (Array.isArray(c.value) ? [c.value, ...c.value] : [c.value]));
  return values.flatMap((v) => (typeof v === 'string' ? [v, v.toLowerCase(), Number(v)] : typeof v === 'number' ? [v, String(v)] : [v]));
}

/** Subjects holding the witness values where the generated paths look (`properties.total`, `items[0].sku`, …), as parsed JSON. */
function witnessSubjects(conditions: readonly Condition[]): unknown[] {
  return witnessValues(conditions).map((v) => JSON.parse(JSON.stringify({
    plan: v, total: v, properties: { total: v, plan: v, x: v, y: [v], 'order id': v }, traits: { plan: v }, items: [{ sku: v, price: v }],
  })) as unknown);
}

const schemaAccepts = new Ajv({ strict: true, allErrors: true }).compile(conditionListSchema);

/** Throws if evaluation left anything on Object.prototype (a polluting key reached it). */
function expectPrototypeClean(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).filter((k) => !PROTOTYPE_KEYS.has(k)), 'Object.prototype gained keys').to.deep.equal([]);
}
const PROTOTYPE_KEYS = new Set(Object.getOwnPropertyNames(Object.prototype));

describe('property: conditions', function () {
  this.timeout(60_000);

  it('validates any list without throwing, each problem with a known code and a message naming its path', async () => {
    const property = fc.property(conditionList, fc.constantFrom('', '/rule', '/entry/conditions'), (generated, basePath) => {
      const list = asReceived(generated);
      const problems = validateConditions(list, basePath);
      for (const p of problems) {
        expect(Object.keys(CONDITION_PROBLEM_CODES)).to.include(p.code);
        expect(p.path.startsWith(basePath), p.path).to.equal(true);
        expect(p.message, p.code).to.contain(p.path === '' ? '/' : p.path);
      }
      if (Array.isArray(list)) expect(problems).to.deep.equal(list.flatMap((c, i) => validateCondition(c, `${basePath}/${i}`)));
    });
    await checkProperty('conditions: validation never throws', property, { seed: 5101, numRuns: 5000 });
  });

  it('compiles exactly the lists it validates, into matchers that never throw, agree with their outcomes and are deterministic', async () => {
    let valid = 0;
    const lists = fc.oneof(conditionList, fc.array(plausibleCondition, { minLength: 1, maxLength: 3 }));
    const property = fc.property(lists, fc.array(conditionSubject, { minLength: 1, maxLength: 4 }), (generated, generatedSubjects) => {
      const list = asReceived(generated) as Condition[];
      const problems = validateConditions(list, '');
      if (problems.length > 0) {
        expect(() => compileConditions(list)).to.throw(EngineError).that.satisfies((e: EngineError) =>
          e.code === 'invalid_conditions' && JSON.stringify(e.details['problems']) === JSON.stringify(problems));
        return;
      }
      valid += 1;
      expect(schemaAccepts(list), `the JSON Schema refuses a list validateConditions accepts: ${JSON.stringify(schemaAccepts.errors)}`).to.equal(true);
      const matches = compileConditions(list);
      for (const subject of [...generatedSubjects.map(asReceived), ...witnessSubjects(list)]) {
        const result = matches(subject);
        expect(result).to.be.a('boolean');
        expect(matches(structuredClone(subject)), 'deterministic').to.equal(result);
        expect(compileConditions(list)(subject), 'recompiled').to.equal(result);
        expect(evaluateConditions(list, subject)).to.equal(result);
        expect(conditionOutcomes(list, subject).every((o) => o.passed), 'outcomes agree').to.equal(result);
      }
      expectPrototypeClean();
    });
    await checkProperty('conditions: compile + evaluate', property, { seed: 5102, numRuns: 3000 });
    expect(valid, 'valid lists generated').to.be.greaterThan(500);
  });

  it('makes not_equals the negation of equals and not_exists the negation of exists on every subject', async () => {
    const property = fc.property(plausibleCondition, conditionSubject, (generated, generatedSubject) => {
      const condition = asReceived(generated) as Condition;
      const subject = asReceived(generatedSubject);
      const pairs: Record<string, string> = { equals: 'not_equals', not_equals: 'equals', exists: 'not_exists', not_exists: 'exists' };
      const opposite = pairs[condition.operator];
      if (opposite === undefined || validateConditions([condition], '').length > 0) return;
      const negated = { ...condition, operator: opposite } as Condition;
      expect(evaluateConditions([negated], subject)).to.equal(!evaluateConditions([condition], subject));
    });
    await checkProperty('conditions: negations', property, { seed: 5103, numRuns: 3000 });
  });

  it('calls two conditions disjoint only if no subject satisfies both', async () => {
    let disjointPairs = 0;
    // Values from a small pool, so that equal, twin ("1" and 1, "A" and "a") and ordered values meet often.
    const pool = fc.constantFrom<unknown>(1, '1', '1.0', 1.5, 2, '2', 10, '10', -1, '-1', 0, 'a', 'A', 'true', true, false, '2024-05-01', '2024-05-01T00:00:00Z', '2024-06-01T12:00:00+02:00');
    const pooled = fc.record({
      operator: fc.constantFrom('equals', 'not_equals', 'equals_any_of', 'exists', 'not_exists', 'gt', 'gte', 'lt', 'lte', 'between', 'contains', 'starts_with'),
      one: pool, set: fc.array(pool, { minLength: 1, maxLength: 3 }), range: fc.tuple(pool, pool), ignoreCase: fc.option(fc.boolean(), { nil: undefined, freq: 2 }),
    }).map(({ operator, one, set, range, ignoreCase }) => {
      const value = operator === 'equals_any_of' ? set : operator === 'between' ? range : operator.endsWith('exists') ? undefined : one;
      return { operator, ...(value === undefined ? {} : { value }), ...(ignoreCase === undefined ? {} : { ignoreCase }) };
    });
    const path = fc.constantFrom('properties.x', 'properties.x', '$.properties.x', "properties['x']", '$.properties[*]', 'properties.y');
    const onPath = fc.tuple(fc.oneof({ weight: 3, arbitrary: pooled }, { weight: 1, arbitrary: plausibleCondition }), path).map(([c, p]) => ({ ...c, path: p }));
    const property = fc.property(onPath, onPath, fc.array(conditionScalar, { maxLength: 3 }), (ga, gb, extra) => {
      const [a, b] = [asReceived(ga), asReceived(gb)] as [Condition, Condition];
      if (validateConditions([a, b], '').length > 0 || !conditionsDisjoint(a, b)) return;
      disjointPairs += 1;
      // Witnesses: the conditions' own values and their variants, at the path, alone and in a list.
      const witnesses = [...witnessValues([a, b]), ...extra];
      const subjects = [{}, { properties: {} }, ...witnesses.flatMap((v) => [{ properties: { x: v, y: v } }, { properties: { x: [v], y: v } }])];
      for (const subject of subjects.map((s) => JSON.parse(JSON.stringify(s)) as unknown)) {
        const both = evaluateConditions([a], subject) && evaluateConditions([b], subject);
        expect(both, `${JSON.stringify(a)} and ${JSON.stringify(b)} both hold on ${JSON.stringify(subject)}`).to.equal(false);
      }
    });
    await checkProperty('conditions: disjointness is sound', property, { seed: 5104, numRuns: 10_000 });
    expect(disjointPairs, 'pairs judged disjoint').to.be.greaterThan(500);
  });
});
