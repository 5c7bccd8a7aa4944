import { expect } from 'chai';
import { CONDITION_OPERATORS, type Condition } from '../../engine/conditions/condition.ts';
import { compileCondition, compileConditions, evaluateConditions } from '../../engine/conditions/compile-conditions.ts';
import { EngineError } from '../../engine/errors.ts';
import { loadFixtures, type EvaluateCase } from './load-fixtures.ts';

const fixtures = loadFixtures<EvaluateCase>('evaluate');

describe('conditions: evaluation fixtures', () => {
  for (const [file, cases] of fixtures) {
    describe(file, () => {
      for (const c of cases) {
        it(`${c.name} → ${c.expected}`, () => {
          expect(compileConditions(c.conditions as Condition[])(c.subject)).to.equal(c.expected);
        });
      }
    });
  }

  it('covers every operator both matching and not matching', () => {
    const seen = new Map<string, Set<boolean>>();
    for (const [, cases] of fixtures) {
      for (const c of cases) {
        if (c.conditions.length !== 1) continue;
        const { operator } = c.conditions[0] as Condition;
        seen.set(operator, (seen.get(operator) ?? new Set()).add(c.expected));
      }
    }
    for (const operator of CONDITION_OPERATORS) {
      expect([...(seen.get(operator) ?? [])].sort(), operator).to.deep.equal([false, true]);
    }
  });

  it('equals_any_of [v] agrees with equals v on every single-equals fixture', () => {
    for (const [, cases] of fixtures) {
      for (const c of cases) {
        const [condition] = c.conditions as Condition[];
        if (c.conditions.length !== 1 || condition?.operator !== 'equals' || typeof condition.value === 'object') continue;
        const anyOf = compileCondition({ ...condition, operator: 'equals_any_of', value: [condition.value] });
        expect(anyOf(c.subject), c.name).to.equal(c.expected);
      }
    }
  });
});

describe('conditions: compiling', () => {
  const subject = { properties: { total: 120, currency: 'EUR' } };

  it('ANDs a list: every condition must hold', () => {
    const total = { path: 'properties.total', operator: 'gt', value: 100 } as const;
    const euro = { path: 'properties.currency', operator: 'equals', value: 'EUR' } as const;
    const dollar = { path: 'properties.currency', operator: 'equals', value: 'USD' } as const;
    expect(compileConditions([total, euro])(subject)).to.equal(true);
    expect(compileConditions([total, dollar])(subject)).to.equal(false);
    expect(compileConditions([dollar, total])(subject)).to.equal(false);
    expect(compileConditions([total, euro, dollar])(subject)).to.equal(false);
  });

  it('matches anything with an empty list', () => {
    expect(compileConditions([])(subject)).to.equal(true);
    expect(compileConditions([])(undefined)).to.equal(true);
  });

  it('evaluates in one call', () => {
    expect(evaluateConditions([{ path: 'properties.total', operator: 'between', value: [100, 200] }], subject)).to.equal(true);
    expect(evaluateConditions([{ path: 'properties.total', operator: 'lt', value: 100 }], subject)).to.equal(false);
  });

  it('never matches a positive operator on a subject that is not an object', () => {
    for (const bad of [undefined, null, 42, 'properties', []]) {
      expect(compileCondition({ path: 'properties.total', operator: 'exists' })(bad)).to.equal(false);
      expect(compileCondition({ path: '$.properties[*]', operator: 'exists' })(bad)).to.equal(false);
      expect(compileCondition({ path: 'properties.total', operator: 'not_exists' })(bad)).to.equal(true);
    }
  });

  it('compares Date objects in a subject as instants', () => {
    const matches = compileCondition({ path: 'receivedAt', operator: 'gt', value: '2024-01-01T00:00:00Z' });
    expect(matches({ receivedAt: new Date('2024-06-01T00:00:00Z') })).to.equal(true);
    expect(matches({ receivedAt: new Date('2023-06-01T00:00:00Z') })).to.equal(false);
    expect(matches({ receivedAt: new Date('not a date') })).to.equal(false);
  });

  it('refuses invalid conditions with an invalid_conditions error listing every problem', () => {
    const invalid = [
      { path: 'items[0', operator: 'exists' },
      { path: 'properties.total', operator: 'between', value: [10, 1] },
    ] as Condition[];
    try {
      compileConditions(invalid);
      expect.fail('compileConditions accepted invalid conditions');
    } catch (error) {
      expect(error).to.be.instanceOf(EngineError);
      const engineError = error as EngineError;
      expect(engineError.code).to.equal('invalid_conditions');
      expect(engineError.details.problems).to.have.length(2);
      expect(engineError.message).to.contain('/1/value');
    }
    expect(() => compileCondition({ path: 'a', operator: 'nope' as Condition['operator'] })).to.throw(EngineError, /unknown operator 'nope'/);
  });

  it('does not call jsonpath-plus filters with access to the process', () => {
    const matches = compileCondition({ path: '$.items[?(process.exit(1))]', operator: 'exists' });
    expect(matches({ items: [{ a: 1 }] })).to.equal(false);
  });
});
