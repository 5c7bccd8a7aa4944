import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

describe('Validate lists document problems and space problems together', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  it('reports an entry event missing from the catalog and an unknown audience next to a broken step', async () => {
    const created = await t.api('POST', '/api/v1/journeys', {
      name: 'Half-built journey',
      entry: { event: 'never_sent_event', audienceId: 'aud_missing' },
      start: 'wait',
      steps: [{ id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'PT1H' }, next: 'nowhere' }],
    });
    expect(created.status).to.equal(201);
    const result = await t.api('POST', `/api/v1/journeys/${created.body.journey.id}/validate`);
    expect(result.body.valid).to.equal(false);
    const found = (result.body.problems as Array<{ path: string; code: string }>).map((p) => `${p.code} ${p.path}`);
    expect(found).to.include.members([
      'journey_unknown_step /steps/0/next',
      'journey_event_not_in_catalog /entry/event',
      'journey_unknown_audience /entry/audienceId',
    ]);
  });
});
