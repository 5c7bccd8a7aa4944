import fc from 'fast-check';
import { expect } from 'chai';
import { validateJourney } from '../../engine/journeys/definition/validate-journey.ts';
import type { JourneyProblem } from '../../engine/journeys/definition/journey-problem.ts';
import { adversarialJson, toJsonText } from './arbitraries.ts';
import { EXAMPLE_JOURNEYS, journeyDocument } from './journey-mutations.ts';
import { bodyOf, withPreparedSpace, type SpaceIds } from './journey-space.ts';
import { expectWellFormedProblems } from './journey-expectations.ts';
import { checkProperty, expectNoLoggedErrors, expectSuccessOrClientError, type PropertyEngine } from './property-harness.ts';

async function journeyIds(t: PropertyEngine): Promise<string[]> {
  const res = await t.api('GET', '/api/v1/journeys');
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return (res.body.journeys as Array<{ id: string }>).map((j) => j.id).sort();
}

const key = (p: { code: string; path: string }) => `${p.code} ${p.path}`;

describe('property: journeys over HTTP never answer 5xx, and a refused change stores nothing', function () {
  this.timeout(240_000);
  let t: PropertyEngine;
  let ids: SpaceIds;

  withPreparedSpace((engine, prepared) => { t = engine; ids = prepared; });

  it('creates, validates, publishes and replaces any document: 2xx or a 4xx, every problem at a JSON path', async () => {
    let n = 0;
    const outcomes = { created: 0, valid: 0, published: 0, replaced: 0 };
    const property = fc.asyncProperty(journeyDocument, journeyDocument, async (first, second) => {
      n += 1;
      const before = await journeyIds(t);
      const body = bodyOf(first, n, ids);
      const created = await t.api('POST', '/api/v1/journeys', undefined, { raw: body });
      expectSuccessOrClientError(created, [201], `POST /api/v1/journeys ${body.slice(0, 1500)}`);
      if (created.status !== 201) {
        expect(await journeyIds(t), `refused ${body.slice(0, 500)}: the journey list changed`).to.deep.equal(before);
        return;
      }
      outcomes.created += 1;
      const id = created.body.journey.id as string;
      const draft = created.body.journey.definition as unknown;

      const validated = await t.api('POST', `/api/v1/journeys/${id}/validate`);
      expect(validated.status, `validate ${body.slice(0, 1500)}: ${JSON.stringify(validated.body).slice(0, 1500)}`).to.equal(200);
      const problems = validated.body.problems as JourneyProblem[];
      expectWellFormedProblems(draft, problems);
      expect(problems.map(key), 'every problem validateJourney finds is reported').to.include.members(validateJourney(draft).map(key));
      if (validated.body.valid === true) outcomes.valid += 1;

      const stored = await t.api('GET', `/api/v1/journeys/${id}`);
      const published = await t.api('POST', `/api/v1/journeys/${id}/publish`, { previousVersion: 'drain' });
      expectSuccessOrClientError(published, [200], `publish ${body.slice(0, 1500)}`);
      if (validated.body.valid === true) {
        expect(published.status, JSON.stringify(published.body).slice(0, 1500)).to.equal(200);
        outcomes.published += 1;
      } else {
        expect(published.status).to.equal(400);
        expect(published.body.error.code).to.equal('invalid_journey');
        expect(published.body.error.problems).to.deep.equal(problems);
        expect((await t.api('GET', `/api/v1/journeys/${id}`)).body, 'a refused publish changed the journey').to.deep.equal(stored.body);
      }

      const current = await t.api('GET', `/api/v1/journeys/${id}`);
      const replacement = bodyOf(second, n, ids);
      const replaced = await t.api('PUT', `/api/v1/journeys/${id}`, undefined, { raw: replacement });
      expectSuccessOrClientError(replaced, [200], `PUT ${replacement.slice(0, 1500)}`);
      if (replaced.status === 200) outcomes.replaced += 1;
      else expect((await t.api('GET', `/api/v1/journeys/${id}`)).body, 'a refused PUT changed the journey').to.deep.equal(current.body);
      expectSuccessOrClientError(await t.api('POST', `/api/v1/journeys/${id}/validate`), [200], 'validate after PUT');
    });
    await checkProperty('journeys HTTP: create/validate/publish/replace', property, { seed: 7201, numRuns: 300, timeLimitMs: 120_000 });
    console.log(`      [property] outcomes: ${JSON.stringify(outcomes)}`);
    expect(outcomes.published, 'documents published').to.be.greaterThan(10);
    // Every published version runs: its entry conditions, splits and sends must compile and work on real events.
    for (const example of EXAMPLE_JOURNEYS) {
      const event = (example['entry'] as { event: string }).event;
      const properties = { session_id: 's1', order_id: 1001, referral_id: 'r1', referrer_id: 'u2', targetIds: ['u3', 4], form_id: 'f', total: 150 };
      expectSuccessOrClientError(await t.ingest('/v1/track', { userId: 'runner', event, properties }), [200], `track ${event}`);
    }
    await t.settleWithin();
    expectNoLoggedErrors(t, 'journeys');
  });

  it('answers any JSON body on create, replace and publish with 2xx or a 4xx', async () => {
    const draft = await t.api('POST', '/api/v1/journeys', { ...EXAMPLE_JOURNEYS[0], name: 'Target of random bodies', steps: [] });
    expect(draft.status, JSON.stringify(draft.body)).to.equal(201);
    const id = draft.body.journey.id as string;
    const property = fc.asyncProperty(adversarialJson(), fc.constantFrom('POST /api/v1/journeys', `PUT /api/v1/journeys/${id}`, `POST /api/v1/journeys/${id}/publish`, `POST /api/v1/journeys/${id}/duplicate`), async (body, route) => {
      const [method, path] = route.split(' ') as [string, string];
      const res = await t.api(method, path, undefined, { raw: toJsonText(body) });
      expectSuccessOrClientError(res, [200, 201], `${route} ${toJsonText(body).slice(0, 800)}`);
    });
    await checkProperty('journeys HTTP: any body', property, { seed: 7202, numRuns: 200 });
    await t.settleWithin();
    expectNoLoggedErrors(t, 'journey bodies');
  });

  // Found by the property above, kept as a plain case.
  it("places a function send's mapping problems at escaped JSON pointers", async () => {
    const created = await t.api('POST', '/api/v1/journeys', {
      name: 'Escaped function mapping', entry: { event: 'checkout_started' }, start: 's',
      steps: [{ id: 's', type: 'send', eventName: 'X', target: { type: 'function', functionId: ids.functionId }, mapping: { 'a/b': { '@merge': {} } }, next: 'end' }, { id: 'end', type: 'exit' }],
    });
    const validated = await t.api('POST', `/api/v1/journeys/${created.body.journey.id}/validate`);
    expect(validated.body.problems.map((p: JourneyProblem) => p.path)).to.deep.equal(['/steps/0/mapping/a~1b/@merge', '/steps/0/mapping/a~1b/@merge']);
  });

  // Found while fuzzing: actions are looked up as own properties.
  it("refuses to publish a send to an action named like an Object.prototype member ('toString', 'constructor', '__proto__')", async () => {
    for (const action of ['toString', 'constructor', '__proto__']) {
      const created = await t.api('POST', '/api/v1/journeys', {
        name: `Action ${action}`, entry: { event: 'checkout_started' }, start: 's',
        steps: [{ id: 's', type: 'send', eventName: 'X', target: { type: 'destination', destinationId: ids.destinationId, action }, mapping: {}, next: 'end' }, { id: 'end', type: 'exit' }],
      });
      const validated = await t.api('POST', `/api/v1/journeys/${created.body.journey.id}/validate`);
      expect(validated.body.problems.map(key), action).to.deep.equal(['journey_unknown_action /steps/0/target/action']);
    }
  });
});
