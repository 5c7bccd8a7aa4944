import fc from 'fast-check';
import { expect } from 'chai';
import { validateConditions } from '../../engine/conditions/validate-conditions.ts';
import { adversarialJson, adversarialKey, asReceived, conditionList, objectOf, plausibleCondition, smallString, toJsonText } from './arbitraries.ts';
import { checkProperty, expectNoLoggedErrors, expectSuccessOrClientError, startPropertyEngine, type PropertyEngine } from './property-harness.ts';

/** Profile traits: plan-like keys and adversarial ones, with adversarial values. */
const traits = objectOf(fc.oneof(fc.constantFrom('plan', 'total', 'email', 'tags'), adversarialKey), adversarialJson({ maxDepth: 2, huge: false }), 5);

/** A rule: any condition list, or a list of plausible conditions (often valid), or null/absent. */
const rule = fc.oneof(
  { weight: 3, arbitrary: conditionList },
  { weight: 3, arbitrary: fc.array(plausibleCondition, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined) },
);

async function audienceCount(t: PropertyEngine): Promise<number> {
  const res = await t.api('GET', '/api/v1/audiences');
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return (res.body.audiences as unknown[]).length;
}

describe('property: audiences over HTTP never answer 5xx, and a refused rule stores nothing', function () {
  this.timeout(180_000);
  let t: PropertyEngine;
  let created = 0;

  before(async () => {
    t = await startPropertyEngine();
    // Profiles with adversarial traits, so every new rule is evaluated against them at once.
    const samples = fc.sample(traits, { seed: 5200, numRuns: 30 });
    for (const [i, sample] of samples.entries()) {
      const res = await t.ingest('/v1/identify', toJsonText({ userId: `aud-user-${i}`, traits: sample }));
      expectSuccessOrClientError(res, [200], 'identify');
    }
    await t.settleWithin();
  });

  after(async () => {
    await t?.close();
  });

  it('creates an audience from any rule (201) or refuses it (4xx, problems under /rule) without storing it', async () => {
    let n = 0;
    const property = fc.asyncProperty(rule, fc.option(smallString, { nil: undefined }), traits, async (generatedRule, description, newTraits) => {
      n += 1;
      const body = { name: `audience ${n}`, ...(description === undefined ? {} : { description }), ...(generatedRule === undefined ? {} : { rule: generatedRule }) };
      const before = await audienceCount(t);
      const res = await t.api('POST', '/api/v1/audiences', undefined, { raw: toJsonText(body) });
      const what = `POST /api/v1/audiences ${toJsonText(body).slice(0, 800)}`;
      expectSuccessOrClientError(res, [201], what);
      const ruleProblems = generatedRule === undefined || generatedRule === null ? [] : validateConditions(asReceived(generatedRule), '/rule');
      if (res.status !== 201) {
        expect(await audienceCount(t), `${what}: a refused audience was stored`).to.equal(before);
        if (res.body.error.code === 'invalid_conditions') expect(res.body.error.problems).to.deep.equal(ruleProblems);
        return;
      }
      created += 1;
      expect(ruleProblems, `${what}: accepted a rule with problems`).to.deep.equal([]);
      const id = res.body.audience.id as string;
      const stored = await t.api('GET', `/api/v1/audiences/${id}`);
      expect(stored.status).to.equal(200);
      // What is kept is what was validated (a number that overflowed to Infinity would come back as null).
      expect(JSON.stringify(stored.body.audience.rule), what).to.equal(JSON.stringify(generatedRule === undefined ? null : asReceived(generatedRule)));
      // A profile whose traits change is evaluated against every rule, this one included.
      expectSuccessOrClientError(await t.ingest('/v1/identify', toJsonText({ userId: `aud-user-${n % 30}`, traits: newTraits })), [200], 'identify');
    });
    await checkProperty('audiences HTTP: create', property, { seed: 5201, numRuns: 300 });
    expect(created, 'audiences created').to.be.greaterThan(20);
    await t.settleWithin();
    expectNoLoggedErrors(t, 'audiences');
  });

  it('replaces a rule (200) or refuses the change (4xx) leaving the audience as it was', async () => {
    const base = await t.api('POST', '/api/v1/audiences', { name: 'replace me', rule: [{ path: 'plan', operator: 'equals', value: 'pro' }] });
    expect(base.status).to.equal(201);
    const id = base.body.audience.id as string;
    const property = fc.asyncProperty(rule, adversarialJson({ maxDepth: 1 }), async (generatedRule, name) => {
      const before = (await t.api('GET', `/api/v1/audiences/${id}`)).body;
      const body = { name: typeof name === 'string' ? name : 'replace me', ...(generatedRule === undefined ? {} : { rule: generatedRule }) };
      const res = await t.api('PUT', `/api/v1/audiences/${id}`, undefined, { raw: toJsonText(body) });
      expectSuccessOrClientError(res, [200], `PUT ${toJsonText(body).slice(0, 800)}`);
      if (res.status !== 200) expect((await t.api('GET', `/api/v1/audiences/${id}`)).body).to.deep.equal(before);
    });
    await checkProperty('audiences HTTP: replace', property, { seed: 5202, numRuns: 150 });
    await t.settleWithin();
    expectNoLoggedErrors(t, 'audience replacement');
  });

  it('answers any JSON body with 201 or a 4xx', async () => {
    const property = fc.asyncProperty(adversarialJson(), async (body) => {
      const res = await t.api('POST', '/api/v1/audiences', undefined, { raw: toJsonText(body) });
      expectSuccessOrClientError(res, [201], `POST ${toJsonText(body).slice(0, 800)}`);
    });
    await checkProperty('audiences HTTP: any body', property, { seed: 5203, numRuns: 150 });
    const list = await t.api('GET', '/api/v1/audiences');
    for (const { id } of list.body.audiences as Array<{ id: string }>) {
      expectSuccessOrClientError(await t.api('GET', `/api/v1/audiences/${id}/members`), [200], 'members');
    }
    await t.settleWithin();
    expectNoLoggedErrors(t, 'audience bodies');
  });
});
