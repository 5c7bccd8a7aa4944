import { expect } from 'chai';
import type { InputField } from '../../destinations/actions-core.ts';
import { MAPPING_PROBLEM_CODES } from '../../mappings/mapping-problem.ts';
import { SEND_EVENT_ROOTS } from '../../mappings/send-event.ts';
import { validateMapping } from '../../mappings/validate-mapping.ts';
import { emailActionFields, loadFixtures } from './fixtures.ts';

interface InvalidFixture {
  description: string;
  fields?: Record<string, InputField>;
  mapping: Record<string, unknown>;
  expectedProblems: Array<{ path: string; code: string }>;
}

const scope = { roots: SEND_EVENT_ROOTS, contextKeys: ['checkout_started', 'reminder_reply'] };
const fixtures = loadFixtures<InvalidFixture>('invalid');
const sortKey = (p: { path: string; code: string }): string => `${p.path} ${p.code}`;

describe('validateMapping', () => {
  describe('invalid mappings (fixtures/invalid)', () => {
    for (const { file, fixture } of fixtures) {
      it(`${file}: ${fixture.description}`, () => {
        const problems = validateMapping(fixture.fields ?? emailActionFields, fixture.mapping, { basePath: 'steps[2].mapping', scope });
        expect(problems.map(({ path, code }) => ({ path, code })).sort((a, b) => sortKey(a).localeCompare(sortKey(b))))
          .to.deep.equal([...fixture.expectedProblems].sort((a, b) => sortKey(a).localeCompare(sortKey(b))));
        for (const problem of problems) expect(problem.message).to.include(problem.path);
      });
    }

    it('cover every code validateMapping reports', () => {
      const used = new Set(fixtures.flatMap(({ fixture }) => fixture.expectedProblems.map((p) => p.code)));
      const saveTimeCodes = Object.keys(MAPPING_PROBLEM_CODES).filter((c) => !['transform_failed', 'required_value_missing', 'value_invalid'].includes(c));
      expect(saveTimeCodes.filter((c) => !used.has(c))).to.deep.equal([]);
    });
  });

  const soundMapping = {
    email: { '@if': {
      exists: { '@path': '$.properties.journey_context.checkout_started.properties.email' },
      then: { '@path': '$.properties.journey_context.checkout_started.properties.email' },
      else: { '@path': '$.context.traits.email' },
    } },
    subject: { '@template': '{{context.traits.first_name}}, your cart is waiting' },
    quantity: '3',
    tags: 'nudge',
    items: [{ id: 'A-1', qty: 2 }],
  };

  it('accepts a sound mapping, including literals the schema coerces ("3" for an integer, a string for a list)', () => {
    expect(validateMapping(emailActionFields, soundMapping, { basePath: 'steps[2].mapping', scope })).to.deep.equal([]);
  });

  it('leaves the stored mapping untouched while checking literals', () => {
    const mapping = structuredClone(soundMapping);
    validateMapping(emailActionFields, mapping, { basePath: 'm', scope });
    expect(mapping).to.deep.equal(soundMapping);
  });

  it('writes paths as JSON pointers when the base path is one', () => {
    const problems = validateMapping(emailActionFields, { email: { '@case': { operator: 'title', value: 'x' } }, 'a/b': 1 }, { basePath: '/steps/2/mapping' });
    expect(problems.map((p) => p.path)).to.deep.equal(['/steps/2/mapping/email/@case/operator', '/steps/2/mapping/a~1b']);
  });

  it('accepts the extra keys an action declares besides its fields', () => {
    const mapping = { ...soundMapping, __segment_internal_sync_mode: 'add' };
    expect(validateMapping(emailActionFields, mapping, { basePath: 'm', scope }).map((p) => p.code)).to.deep.equal(['unknown_field']);
    expect(validateMapping(emailActionFields, mapping, { basePath: 'm', scope, extraKeys: ['__segment_internal_sync_mode'] })).to.deep.equal([]);
  });

  it('checks paths for syntax only when no scope is given', () => {
    const problems = validateMapping(emailActionFields, { email: { '@path': 'traits.email' }, first_name: { '@path': 'a..b' } }, { basePath: 'm' });
    expect(problems.map((p) => [p.path, p.code])).to.deep.equal([['m.first_name.@path', 'invalid_directive']]);
  });

  it('does not count a field with a default as unmapped, nor a conditionally required one', () => {
    const fields: Record<string, InputField> = {
      ...emailActionFields,
      list_id: { label: 'List', description: 'List id.', type: 'string', required: { conditions: [{ fieldKey: 'marketing', operator: 'is', value: true }] } },
    };
    expect(validateMapping(fields, { email: 'a@example.com' }, { basePath: 'm' })).to.deep.equal([]);
  });
});
