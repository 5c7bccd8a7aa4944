import fc from 'fast-check';
import { expect } from 'chai';
import { MAPPING_PROBLEM_CODES } from '../../mappings/mapping-problem.ts';
import { adversarialJson, adversarialKey, objectOf, smallString, toJsonText } from './arbitraries.ts';
import { journeyDocument } from './journey-mutations.ts';
import { bodyOf, withPreparedSpace, type SpaceIds } from './journey-space.ts';
import { mapping } from './mapping-arbitraries.ts';
import { checkProperty, expectNoLoggedErrors, expectSuccessOrClientError, type PropertyEngine } from './property-harness.ts';
import type { Answer } from '../support/test-engine.ts';

/** A sample entry event for a preview: properties with the fields mappings read, adversarial keys and values. */
const sampleEvent = objectOf(
  fc.oneof(fc.constantFrom('properties', 'userId', 'context', 'event', 'type'), adversarialKey),
  fc.oneof(objectOf(fc.oneof(fc.constantFrom('total', 'email', 'items', 'session_id'), adversarialKey), adversarialJson({ maxDepth: 2, huge: false })), adversarialJson({ maxDepth: 1 })),
);

/** A preview request: mostly a sample event (with or without a user), sometimes any JSON. */
const previewBody = fc.oneof(
  { weight: 5, arbitrary: fc.record({ event: sampleEvent, userId: fc.option(fc.constantFrom('warm-up', 'nobody'), { nil: undefined }), version: fc.constantFrom('draft', 'live', 1, undefined) }, { requiredKeys: ['event'] }) },
  { weight: 1, arbitrary: adversarialJson({ maxDepth: 2 }) },
);

/** Asserts what a preview answer must be: 200 with the event and a payload or known problems, or a well-formed 4xx. */
function expectPreviewAnswer(res: Answer, what: string): void {
  expectSuccessOrClientError(res, [200], what);
  if (res.status !== 200) return;
  expect(res.body.event, what).to.be.an('object');
  for (const p of res.body.problems as Array<{ code: string; path: string }>) expect(Object.keys(MAPPING_PROBLEM_CODES), what).to.include(p.code);
}

describe('property: send-step previews over HTTP never answer 5xx', function () {
  this.timeout(240_000);
  let t: PropertyEngine;
  let ids: SpaceIds;

  withPreparedSpace((engine, prepared) => { t = engine; ids = prepared; });

  it('previews any mapping of a destination or function send on any sample event: the payload, or its problems', async () => {
    const targets = { destination: { type: 'destination', destinationId: ids.destinationId, action: 'send' }, function: { type: 'function', functionId: ids.functionId } };
    const journeyFor = (kind: keyof typeof targets, m: unknown) => ({
      name: 'Preview target', entry: { event: 'checkout_started' }, start: 'nudge',
      steps: [{ id: 'nudge', type: 'send', eventName: 'Nudge', target: targets[kind], mapping: m, next: 'done' }, { id: 'done', type: 'exit' }],
    });
    const created = await t.api('POST', '/api/v1/journeys', journeyFor('destination', {}));
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.journey.id as string;
    let payloads = 0;
    const property = fc.asyncProperty(fc.constantFrom('destination' as const, 'function' as const), mapping, previewBody, async (kind, m, body) => {
      // The webhook needs a url: start from one, so that many mappings can make a payload.
      const doc = journeyFor(kind, { url: 'https://example.com/hook', ...m });
      const put = await t.api('PUT', `/api/v1/journeys/${id}`, undefined, { raw: toJsonText(doc) });
      expectSuccessOrClientError(put, [200], `PUT mapping ${toJsonText(m)}`);
      const res = await t.api('POST', `/api/v1/journeys/${id}/steps/nudge/preview`, undefined, { raw: toJsonText(body) });
      expectPreviewAnswer(res, `preview of ${kind} ${toJsonText(m)} with ${toJsonText(body).slice(0, 800)}`);
      if (res.status === 200 && res.body.payload !== null) payloads += 1;
    });
    await checkProperty('preview HTTP: destination and function mappings', property, { seed: 8101, numRuns: 300 });
    expect(payloads, 'previews that produced a payload').to.be.greaterThan(20);
    await t.settleWithin();
    expectNoLoggedErrors(t, 'mapping previews');
  });

  it('previews any step of any generated draft (and its live version once published) with 200 or a 4xx', async () => {
    let n = 0;
    // Step ids in a URL: lone surrogates cannot be percent-encoded, and '/', '?', '#' change the route.
    const stepChoice = fc.oneof(fc.nat(), smallString.filter((s) => s.length > 0 && !/[/?#%]|[\ud800-\udfff]/.test(s)));
    const property = fc.asyncProperty(journeyDocument, stepChoice, previewBody, async (doc, step, body) => {
      n += 1;
      const created = await t.api('POST', '/api/v1/journeys', undefined, { raw: bodyOf(doc, 10_000 + n, ids) });
      if (created.status !== 201) return;
      const id = created.body.journey.id as string;
      const steps = created.body.journey.definition?.steps;
      const stepIds = (Array.isArray(steps) ? steps : []).flatMap((s: unknown) => (typeof (s as { id?: unknown } | null)?.id === 'string' ? [(s as { id: string }).id] : []));
      // Ids are cut to 200 characters: a URL over 16 KB is refused by Node's HTTP parser (431) before the engine sees it.
      const chosen = typeof step === 'number' ? stepIds[step % Math.max(1, stepIds.length)] ?? 'none' : step;
      const stepId = /[\ud800-\udfff]/.test(chosen) ? 'none' : chosen.slice(0, 200);
      const preview = () => t.api('POST', `/api/v1/journeys/${id}/steps/${encodeURIComponent(stepId)}/preview`, undefined, { raw: toJsonText(body) });
      expectPreviewAnswer(await preview(), `draft preview of step ${JSON.stringify(stepId)} in ${bodyOf(doc, 0, ids).slice(0, 1500)}`);
      if ((await t.api('POST', `/api/v1/journeys/${id}/publish`, {})).status === 200) {
        expectPreviewAnswer(await preview(), `live preview of step ${JSON.stringify(stepId)}`);
      }
    });
    await checkProperty('preview HTTP: generated drafts', property, { seed: 8102, numRuns: 300, timeLimitMs: 120_000 });
    await t.settleWithin();
    expectNoLoggedErrors(t, 'draft previews');
  });

  // Found by the properties above (were 500s), kept as plain cases.
  it('answers 400, not 500, for a preview of a draft without an entry', async () => {
    const draft = await t.api('POST', '/api/v1/journeys', { name: 'No entry yet', start: 's', steps: [{ id: 's', type: 'send', eventName: 'X' }] });
    const res = await t.api('POST', `/api/v1/journeys/${draft.body.journey.id}/steps/s/preview`, { event: { properties: {} } });
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
  });

  it('answers the transform_failed problems, not 500, for a function send whose mapping fails on the event', async () => {
    const draft = await t.api('POST', '/api/v1/journeys', {
      name: 'Failing function mapping', entry: { event: 'checkout_started' }, start: 's',
      steps: [{ id: 's', type: 'send', eventName: 'X', target: { type: 'function', functionId: ids.functionId }, mapping: { url: { url: { '@transform': {} } } } }],
    });
    const res = await t.api('POST', `/api/v1/journeys/${draft.body.journey.id}/steps/s/preview`, { event: { properties: {} } });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.problems.map((p: { code: string }) => p.code)).to.deep.equal(['transform_failed']);
  });
});
