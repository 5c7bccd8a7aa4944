/**
 * "Duplicate a journey", rule by rule as Segment's document states it: what gets copied (entry
 * conditions and filters, all steps and structure, every send's event name, payload
 * configuration and mappings), what does not (the name, activation keys), disabled sends are
 * enabled in the copy, the copy is a draft, and duplication stays within one space.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { createAndPublish, ensureInCatalog, uniqueId, type JourneyView } from './scenarios/scenario-helpers.ts';

/** Every activation key of a document (send steps and exit-rule sends). */
function activationKeys(definition: any): string[] {
  const steps = definition.steps.filter((s: any) => s.type === 'send').map((s: any) => s.activationKey);
  const rules = (definition.exitRules ?? []).filter((r: any) => r.send).map((r: any) => r.send.activationKey);
  return [...steps, ...rules];
}

/** A document without activation keys and `enabled` flags: what a copy must keep. */
function withoutKeysAndSwitches(definition: any): any {
  const copy = structuredClone(definition);
  delete copy.name;
  for (const step of copy.steps) {
    delete step.activationKey;
    delete step.enabled;
  }
  for (const rule of copy.exitRules ?? []) {
    if (!rule.send) continue;
    delete rule.send.activationKey;
    delete rule.send.enabled;
  }
  return copy;
}

describe('journey lifecycle: duplicate a journey', () => {
  let t: TestEngine;
  let audienceId: string;
  before(async () => {
    t = await startTestEngine();
    const audience = await t.api('POST', '/api/v1/audiences', { name: 'Loyal customers' });
    expect(audience.status, JSON.stringify(audience.body)).to.equal(201);
    audienceId = audience.body.audience.id;
    await ensureInCatalog(t, 'Application Started');
  });
  after(async () => { await t.close(); });

  /** Segment's "application" journey: entry filters, a hold-until, a split, sends with mappings, one disabled. */
  function applicationJourney(name: string): Record<string, any> {
    return {
      name,
      description: 'Nudge applicants who do not finish',
      entry: {
        event: 'Application Started',
        conditions: [
          { path: 'properties.product', operator: 'equals_any_of', value: ['loan', 'card'] },
          { path: 'properties.amount', operator: 'gte', value: 1000 },
        ],
        audienceId,
        whoEnters: { type: 'performer' },
        availability: { type: 'window', startDate: '2025-01-01', endDate: '2035-12-31', timezone: 'Europe/Berlin' },
        reentry: { mode: 'multiple_active', identifier: 'properties.application_id' },
      },
      start: 'wait',
      steps: [
        {
          id: 'wait', name: 'Wait for submission', type: 'hold_until',
          branches: [{ id: 'submitted', event: 'Application Submitted', next: 'thanks' }],
          timeout: { after: 'P1D', next: 'split' },
          lookback: 'PT10M',
        },
        {
          id: 'split', type: 'data_split',
          branches: [{ id: 'vip', conditions: [{ path: 'traits.plan', operator: 'equals', value: 'gold' }], next: 'nudge-vip' }],
          otherwise: { next: 'nudge' },
        },
        {
          id: 'nudge', name: 'Nudge', type: 'send', eventName: 'Application Reminder',
          payload: { context: ['Application Started'], traits: ['email', 'first_name'] },
          mapping: { email: { '@path': '$.traits.email' }, application: { '@path': '$.context.Application Started.properties.application_id' } },
          next: 'done',
        },
        {
          id: 'nudge-vip', name: 'VIP nudge', type: 'send', eventName: 'VIP Application Reminder', enabled: false,
          payload: { context: 'all', traits: ['email'] },
          mapping: { to: { '@path': '$.traits.email' }, tier: 'gold' },
          next: 'done',
        },
        {
          id: 'thanks', type: 'send', eventName: 'Application Thanks', activationKey: uniqueId('thanks_key').replaceAll('-', '_'),
          payload: { context: 'all', traits: 'all' }, mapping: { subject: 'Thank you' }, next: 'done',
        },
        { id: 'done', type: 'exit' },
      ],
      exitRules: [{
        id: 'withdrawn', event: 'Application Withdrawn', matchIdentifier: true,
        send: { eventName: 'Withdrawal Confirmation', enabled: false, payload: { context: ['Application Started'] }, mapping: { reason: 'withdrawn' } },
      }],
      goals: [{ id: 'approved', event: 'Application Approved', within: 'P30D', exitOnConversion: true }],
      settings: { lookback: 'PT15M', maxActiveInstancesPerProfile: 5 },
    };
  }

  async function createSource(): Promise<JourneyView> {
    const res = await t.api('POST', '/api/v1/journeys', applicationJourney(uniqueId('Applications')));
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.journey;
  }

  async function duplicate(sourceId: string, name: string): Promise<JourneyView> {
    const res = await t.api('POST', `/api/v1/journeys/${sourceId}/duplicate`, { name });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.journey;
  }

  it('copies the entry conditions and filters, including the audience filter', async () => {
    const source = await createSource();
    const copy = await duplicate(source.id, uniqueId('Copy'));
    expect(copy.definition.entry).to.deep.equal(source.definition.entry);
    expect(copy.definition.entry.conditions).to.have.length(2);
    expect(copy.definition.entry.audienceId).to.equal(audienceId);
  });

  it('copies all steps and the structure: start, links, branches, timeouts, exit rules, goals, settings', async () => {
    const source = await createSource();
    const copy = await duplicate(source.id, uniqueId('Copy'));
    expect(withoutKeysAndSwitches(copy.definition)).to.deep.equal(withoutKeysAndSwitches(source.definition));
    expect(copy.definition.steps.map((s: any) => `${s.id}:${s.type}`)).to.deep.equal([
      'wait:hold_until', 'split:data_split', 'nudge:send', 'nudge-vip:send', 'thanks:send', 'done:exit',
    ]);
    expect(copy.definition.description).to.equal('Nudge applicants who do not finish');
  });

  it("copies every send's event name, payload configuration and mappings", async () => {
    const source = await createSource();
    const copy = await duplicate(source.id, uniqueId('Copy'));
    const sends = (d: any) => [
      ...d.steps.filter((s: any) => s.type === 'send'),
      ...d.exitRules.map((r: any) => r.send),
    ].map((s: any) => ({ eventName: s.eventName, payload: s.payload, mapping: s.mapping }));
    expect(sends(copy.definition)).to.deep.equal(sends(source.definition));
    expect(sends(copy.definition).map((s) => s.eventName)).to.deep.equal([
      'Application Reminder', 'VIP Application Reminder', 'Application Thanks', 'Withdrawal Confirmation',
    ]);
  });

  it('does not copy the name: a new one is required (400 at /name without one)', async () => {
    const source = await createSource();
    const before = (await t.api('GET', '/api/v1/journeys')).body.journeys.length;
    for (const body of [{}, { name: '' }, { name: '   ' }, { name: 7 }]) {
      const res = await t.api('POST', `/api/v1/journeys/${source.id}/duplicate`, body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.error).to.include({ code: 'invalid_request', path: '/name' });
    }
    expect((await t.api('GET', '/api/v1/journeys')).body.journeys.length).to.equal(before);
    const name = uniqueId('New name');
    expect((await duplicate(source.id, name)).name).to.equal(name);
  });

  it('refuses a name already used in the space (409 at /name), including the source\'s own', async () => {
    const source = await createSource();
    const other = await createSource();
    for (const name of [source.name, other.name]) {
      const res = await t.api('POST', `/api/v1/journeys/${source.id}/duplicate`, { name });
      expect(res.status).to.equal(409);
      expect(res.body.error).to.include({ code: 'conflict', path: '/name' });
    }
    const names = (await t.api('GET', '/api/v1/journeys')).body.journeys.map((j: { name: string }) => j.name);
    expect(names.filter((n: string) => n === source.name)).to.have.length(1);
  });

  it('gives every send new activation keys, all different from the source\'s', async () => {
    const source = await createSource();
    const copy = await duplicate(source.id, uniqueId('Copy'));
    const before = activationKeys(source.definition);
    const after = activationKeys(copy.definition);
    expect(after).to.have.length(before.length).and.to.have.length(4);
    for (const key of after) expect(key).to.be.a('string').and.not.empty;
    expect(after.filter((k) => before.includes(k))).to.deep.equal([]);
    expect(new Set(after).size).to.equal(after.length);
    // A second copy gets keys of its own as well.
    const again = activationKeys((await duplicate(source.id, uniqueId('Copy'))).definition);
    expect(again.filter((k) => before.includes(k) || after.includes(k))).to.deep.equal([]);
  });

  it('enables in the copy the sends that were disabled in the source', async () => {
    const source = await createSource();
    expect(source.definition.steps[3].enabled).to.equal(false);
    expect(source.definition.exitRules[0].send.enabled).to.equal(false);
    const copy = await duplicate(source.id, uniqueId('Copy'));
    expect(copy.definition.steps[3].enabled).to.equal(true);
    expect(copy.definition.exitRules[0].send.enabled).to.equal(true);
    for (const step of copy.definition.steps.filter((s: any) => s.type === 'send')) expect(step.enabled).to.not.equal(false);
  });

  it('makes the copy a draft of its own, which can be published', async () => {
    const source = await createAndPublish(t, applicationJourney(uniqueId('Published source')));
    const copy = await duplicate(source.id, uniqueId('Copy'));
    expect(copy.id).to.not.equal(source.id);
    expect(copy).to.include({ status: 'draft', liveVersion: null, draftVersion: 1, hasDraft: true });
    expect((await t.api('GET', `/api/v1/journeys/${copy.id}/versions`)).body.versions).to.deep.equal([]);
    const published = await t.api('POST', `/api/v1/journeys/${copy.id}/publish`, {});
    expect(published.status, JSON.stringify(published.body)).to.equal(200);
    expect(published.body.journey.liveVersion).to.equal(1);
  });

  it('duplicating a published journey copies its live definition', async () => {
    const source = await createAndPublish(t, applicationJourney(uniqueId('Live source')));
    const live = (await t.api('GET', `/api/v1/journeys/${source.id}/versions`)).body.versions[0].definition;
    const copy = await duplicate(source.id, uniqueId('Copy of live'));
    expect(withoutKeysAndSwitches(copy.definition)).to.deep.equal(withoutKeysAndSwitches(live));
    expect(copy.definition.steps.find((s: any) => s.id === 'nudge-vip').enabled).to.equal(true);
  });

  it('works within the same space only: another space does not see the journey (404)', async () => {
    const source = await createSource();
    const space = await t.api('POST', '/api/v1/spaces', { name: uniqueId('Other workspace') }, { token: t.operatorToken });
    expect(space.status, JSON.stringify(space.body)).to.equal(201);
    const otherToken: string = space.body.adminToken.secret;
    const res = await t.api('POST', `/api/v1/journeys/${source.id}/duplicate`, { name: uniqueId('Stolen') }, { token: otherToken });
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('not_found');
    expect((await t.api('GET', '/api/v1/journeys', undefined, { token: otherToken })).body.journeys).to.deep.equal([]);
  });

  it('leaves the source unchanged', async () => {
    const source = await createSource();
    const before = (await t.api('GET', `/api/v1/journeys/${source.id}`)).body.journey;
    await duplicate(source.id, uniqueId('Copy'));
    const after = (await t.api('GET', `/api/v1/journeys/${source.id}`)).body.journey;
    expect(after).to.deep.equal(before);
    expect(after.definition.steps[3].enabled).to.equal(false);
  });
});
