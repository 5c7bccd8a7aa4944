import { expect } from 'chai';
import { transform, type JSONObject } from '../../destinations/actions-core.ts';
import { checkDirectives, DIRECTIVES } from '../../mappings/check-directives.ts';
import { joinPath } from '../../mappings/mapping-problem.ts';
import { SEND_EVENT_ROOTS } from '../../mappings/send-event.ts';
import { loadFixtures } from './fixtures.ts';

interface DirectiveFixture {
  description: string;
  mapping: Record<string, unknown>;
  event: Record<string, unknown>;
  expected: Record<string, unknown>;
}

const fixtures = loadFixtures<DirectiveFixture>('directives');
const scope = { roots: SEND_EVENT_ROOTS, contextKeys: ['checkout_started'] };

describe('mapping directives (fixtures/directives)', () => {
  for (const { file, fixture } of fixtures) {
    describe(`${file}: ${fixture.description}`, () => {
      it('transforms the send event into the expected payload', () => {
        expect(transform(fixture.mapping as JSONObject, fixture.event)).to.deep.equal(fixture.expected);
      });

      it('passes the directive checker', () => {
        const problems = Object.entries(fixture.mapping).flatMap(([key, value]) => checkDirectives(value, joinPath('mapping', key), scope));
        expect(problems).to.deep.equal([]);
      });
    });
  }

  it('covers every directive mapping-kit runs', () => {
    const used = new Set(fixtures.flatMap(({ fixture }) => JSON.stringify(fixture.mapping).match(/"@[A-Za-z]+"/g) ?? []).map((s) => s.slice(1, -1)));
    expect(DIRECTIVES.filter((d) => !used.has(d))).to.deep.equal([]);
  });
});
