import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CONDITION_PROBLEM_CODES } from '../../engine/conditions/condition-problem.ts';
import { conditionListSchema, conditionSchema } from '../../engine/conditions/condition-schema.ts';
import { validateCondition, validateConditions } from '../../engine/conditions/validate-conditions.ts';
import { loadFixtures, type EvaluateCase, type InvalidCase } from './load-fixtures.ts';

const invalidFixtures = loadFixtures<InvalidCase>('invalid');
const evaluateFixtures = loadFixtures<EvaluateCase>('evaluate');
const BASE = '/entry/conditions';

function strictAjv(): Ajv {
  const fail = (message: unknown): never => {
    throw new Error(`ajv warned: ${String(message)}`);
  };
  return new Ajv({ strict: true, allErrors: true, logger: { log: fail, warn: fail, error: fail } });
}

describe('conditions: validation fixtures', () => {
  const validateWithSchema = strictAjv().compile(conditionListSchema);

  for (const [file, cases] of invalidFixtures) {
    describe(file, () => {
      for (const c of cases) {
        const basePath = c.basePath ?? BASE;

        it(c.name, () => {
          const problems = validateConditions(c.conditions, basePath);
          expect(problems.map(({ path, code }) => ({ path, code }))).to.deep.equal(c.expected);
          for (const problem of problems) {
            expect(problem.message, 'the message says where').to.contain(problem.path === '' ? '/' : problem.path);
          }
        });

        it(`${c.name}: the JSON Schema ${c.schemaDetects === false ? 'cannot see it' : 'rejects it too'}`, () => {
          expect(validateWithSchema(c.conditions)).to.equal(c.schemaDetects === false);
        });
      }
    });
  }

  it('documents every problem code in the README', () => {
    const readme = readFileSync(new URL('../../engine/conditions/README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(CONDITION_PROBLEM_CODES)) expect(readme, code).to.contain(`\`${code}\``);
  });

  it('reports every problem code somewhere in the fixtures', () => {
    const used = new Set(invalidFixtures.flatMap(([, cases]) => cases.flatMap((c) => c.expected.map((p) => p.code))));
    expect([...used].sort()).to.deep.equal(Object.keys(CONDITION_PROBLEM_CODES).sort());
  });
});

describe('conditions: valid lists', () => {
  const validateWithSchema = strictAjv().compile(conditionListSchema);

  for (const [file, cases] of evaluateFixtures) {
    it(`finds no problem in the conditions of evaluate/${file}, nor does the JSON Schema`, () => {
      for (const c of cases) {
        expect(validateConditions(c.conditions, BASE), c.name).to.deep.equal([]);
        expect(validateWithSchema(c.conditions), c.name).to.equal(true);
      }
    });
  }
});

describe('conditions: messages', () => {
  it('says what is wrong and where', () => {
    const [between] = validateConditions(
      [{ path: 'a', operator: 'exists' }, { path: 'a', operator: 'exists' }, { path: 'properties.total', operator: 'between', value: 5 }],
      BASE,
    );
    expect(between?.message).to.equal("operator 'between' needs value [min, max] at /entry/conditions/2/value");
    const [path] = validateConditions([{ path: 'items[0', operator: 'exists' }], BASE);
    expect(path?.message).to.equal("path 'items[0' has an unclosed '[' at character 5 at /entry/conditions/0/path");
    const [range] = validateConditions([{ path: 't', operator: 'between', value: [10, 1] }], BASE);
    expect(range?.message).to.equal("operator 'between' has min 10 greater than max 1 at /entry/conditions/0/value");
  });

  it('validates a single condition at its own location', () => {
    const problems = validateCondition({ path: 'a', operator: 'gt', value: 'soon' }, '/goals/0/conditions/1');
    expect(problems).to.deep.equal([
      {
        path: '/goals/0/conditions/1/value',
        code: 'condition_invalid_value',
        message: "operator 'gt' needs a number, a numeric string or an ISO-8601 date at /goals/0/conditions/1/value",
      },
    ]);
  });
});

describe('conditions: JSON Schema', () => {
  it('embeds without $id in another schema', () => {
    const validate = strictAjv().compile({
      type: 'object',
      properties: { entry: { type: 'object', properties: { conditions: conditionListSchema } } },
    });
    expect(validate({ entry: { conditions: [{ path: 'a', operator: 'exists' }] } })).to.equal(true);
    expect(validate({ entry: { conditions: [{ path: 'a', operator: 'exists', value: 1 }] } })).to.equal(false);
    expect(conditionSchema).to.not.have.property('$id');
  });
});
