import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { JOURNEY_LIMITS } from '../../../engine/journeys/definition/journey-definition.ts';
import { JOURNEY_PROBLEM_CODES } from '../../../engine/journeys/definition/journey-problem.ts';
import { journeySchema } from '../../../engine/journeys/definition/journey-schema.ts';
import { validateJourney } from '../../../engine/journeys/definition/validate-journey.ts';
import { CONDITION_PROBLEM_CODES } from '../../../engine/conditions/condition-problem.ts';
import { invalidJourneyCases, validJourneyDocuments } from './load-journey-fixtures.ts';

const valid = validJourneyDocuments();
const invalid = invalidJourneyCases();
// Publish-time codes: covered by validate-references.test.ts and send-targets.test.ts.
const REFERENCE_CODES = ['journey_event_not_in_catalog', 'journey_unknown_audience', 'journey_unknown_destination', 'journey_unknown_action', 'journey_unknown_function', 'journey_function_not_deployed'];

const key = (p: { path: string; code: string }): string => `${p.code} ${p.path}`;

function strictAjv(): Ajv {
  const fail = (message: unknown): never => {
    throw new Error(`ajv warned: ${String(message)}`);
  };
  return new Ajv({ strict: true, allErrors: true, discriminator: true, logger: { log: fail, warn: fail, error: fail } });
}

describe('journeys: validateJourney accepts valid documents', () => {
  for (const [name, doc] of valid) {
    it(`${name} has no problem`, () => {
      expect(validateJourney(doc)).to.deep.equal([]);
    });
  }

  it('accepts as many steps as the limit allows', () => {
    expect(validateJourney(chainOf(JOURNEY_LIMITS.maxSteps))).to.deep.equal([]);
  });
});

describe('journeys: validateJourney reports every problem', () => {
  for (const [file, c] of invalid) {
    it(`${file}: ${c.name}`, () => {
      const problems = validateJourney(c.document);
      expect(problems.map(key).sort()).to.deep.equal(c.problems.map(key).sort());
      for (const problem of problems) {
        expect(problem.message, 'the message says where').to.contain(problem.path === '' ? '/' : problem.path);
      }
    });
  }

  it('reports one step too many', () => {
    const problems = validateJourney(chainOf(JOURNEY_LIMITS.maxSteps + 1));
    expect(problems.map(key)).to.deep.equal(['journey_limit /steps']);
    expect(problems[0]?.message).to.equal('201 steps, more than the limit of 200 at /steps');
  });

  it('covers every journey code and every condition code in the fixtures', () => {
    const used = new Set([...invalid.flatMap(([, c]) => c.problems.map((p) => p.code)), ...REFERENCE_CODES]);
    const all = [...Object.keys(JOURNEY_PROBLEM_CODES), ...Object.keys(CONDITION_PROBLEM_CODES)];
    expect(all.filter((code) => !used.has(code))).to.deep.equal([]);
    expect([...used].filter((code) => !all.includes(code))).to.deep.equal([]);
  });

  it('documents every journey code in the README', () => {
    const readme = readFileSync(new URL('../../../engine/journeys/definition/README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(JOURNEY_PROBLEM_CODES)) expect(readme, code).to.contain(`| \`${code}\` |`);
  });
});

describe('journeys: messages', () => {
  const problemsOf = (file: string) => invalid.find(([name]) => name === file)![1].document;

  it('says what is wrong, where, and what would be right', () => {
    const messages = (file: string) => validateJourney(problemsOf(file)).map((p) => p.message);
    expect(messages('schema-unknown-step-type.json')).to.deep.equal([
      'unknown type "email" at /steps/1/type; expected one of delay, hold_until, data_split, random_split, send, exit',
    ]);
    expect(messages('unknown-start.json')).to.deep.equal(["start names no step: 'begin' at /start; steps are 'wait', 'nudge', 'done'"]);
    expect(messages('cycle-without-hold.json')).to.include(
      'steps a → b → a form a cycle at /steps/1/next; a path may lead back to a step only through a branch of a hold_until step with loop: { maxLoops }',
    );
    expect(messages('percent-sum.json')).to.deep.equal(['percentages add up to 99.9 at /steps/0/branches; they must add up to 100']);
    expect(messages('schema-send-shapes.json')).to.include('must be an object or null at /steps/1/target');
    expect(messages('schema-entry-shapes.json')).to.include('must be a string or null at /entry/audienceId');
  });

  it('names both overlapping branches', () => {
    const [problem] = validateJourney(problemsOf('branches-overlap-pairs.json'));
    expect(problem?.message).to.equal(
      "branches 'a' (/steps/0/branches/0) and 'c' both wait for 'E' and their conditions can both hold at /steps/0/branches/2; " +
        'make them exclusive, e.g. with different equals values or non-overlapping ranges on the same property',
    );
  });

  it('shows a branch id that is not a string as written', () => {
    const [overlap] = validateJourney(problemsOf('branch-id-not-a-string.json')).filter((p) => p.code === 'journey_branches_overlap');
    expect(overlap?.message).to.match(/^branches '\{"toString":""\}' \(\/steps\/0\/branches\/0\) and '\{"valueOf":1,"toString":2\}' both wait for 'E'/);
  });

  it('says a number is too large to store rather than "not a number" (JSON.parse reads 1e400 as Infinity)', () => {
    const doc = JSON.parse('{"name":"Big","entry":{"event":"E"},"start":"r","steps":[{"id":"r","type":"random_split","branches":[{"id":"a","percent":1e400,"next":"d"}]},{"id":"d","type":"exit"}]}') as unknown;
    expect(validateJourney(doc).map((p) => p.message)).to.deep.equal(['must be a number, and finite: this one is too large to store at /steps/0/branches/0/percent']);
  });

  it('lists the allowed properties of an unknown one', () => {
    const problems = validateJourney(problemsOf('schema-unknown-properties.json'));
    expect(problems.find((p) => p.path === '/steps/2/next')?.message).to.equal('unknown property \'next\' at /steps/2/next; allowed here: type, id, name');
  });
});

describe('journeys: the JSON Schema', () => {
  it('has its $id and compiles in strict ajv with discriminator support', () => {
    expect(journeySchema.$id).to.equal('https://journey-engine.dev/schemas/journey.json');
    const validate = strictAjv().compile(journeySchema);
    for (const [name, doc] of valid) expect(validate(doc), name).to.equal(true);
  });

  it('rejects every document whose problems include a schema problem', () => {
    const validate = strictAjv().compile(journeySchema);
    for (const [file, c] of invalid) {
      const schemaProblem = c.problems.some((p) => p.code === 'journey_schema' || p.code.startsWith('condition_'));
      // Path syntax, unknown operators' values and bound order are beyond a schema.
      if (schemaProblem && !file.startsWith('conditions')) expect(validate(c.document), file).to.equal(false);
    }
  });
});

/** A valid journey of `n` steps: n - 1 one-minute delays, then an exit. */
function chainOf(n: number): unknown {
  const steps: unknown[] = [];
  for (let i = 0; i < n - 1; i += 1) steps.push({ id: `s${i}`, type: 'delay', wait: { type: 'duration', duration: 'PT1M' }, next: i === n - 2 ? 'end' : `s${i + 1}` });
  steps.push({ id: 'end', type: 'exit' });
  return { name: 'Long', entry: { event: 'E' }, start: n === 1 ? 'end' : 's0', steps };
}
