/**
 * Journey records are dated by the engine clock, as events are: under the test clock, a version
 * published after an event was received says so, and "why didn't this user enter" agrees with the
 * runtime. Before, publishedAt was the wall clock (days behind an advanced test clock), so explain
 * said an event received before the publish would enter (an audit found it).
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

describe('journeys: lifecycle times are engine time', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine({ dataDir: ':memory:', testClock: true }); });
  after(async () => { await t.close(); });

  it('publishedAt, createdAt and updatedAt follow the test clock, and explain sees the event came first', async () => {
    expect((await t.api('POST', '/api/v1/test-clock/advance', { ms: 10 * 24 * 3_600_000 })).status).to.equal(200);
    const engineNow = Date.parse((await t.api('GET', '/api/v1/test-clock')).body.now);
    expect((await t.ingest('/v1/track', { userId: 'early', event: 'Clocked Started', messageId: 'clocked-early' })).status).to.equal(200);
    await t.settle();
    await t.api('POST', '/api/v1/test-clock/advance', { ms: 1_000 });

    const created = await t.api('POST', '/api/v1/journeys', { name: 'Clocked', entry: { event: 'Clocked Started' }, start: 'x', steps: [{ id: 'x', type: 'exit' }] });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.journey.id as string;
    expect(Date.parse(created.body.journey.createdAt)).to.be.at.least(engineNow);
    expect((await t.api('POST', `/api/v1/journeys/${id}/publish`, {})).status).to.equal(200);
    const [version] = (await t.api('GET', `/api/v1/journeys/${id}/versions`)).body.versions;
    expect(Date.parse(version.publishedAt)).to.be.at.least(engineNow + 1_000);

    const explain = await t.api('GET', `/api/v1/journeys/${id}/explain?userId=early&messageId=clocked-early`);
    expect(explain.status, JSON.stringify(explain.body)).to.equal(200);
    expect(explain.body.explain, JSON.stringify(explain.body)).to.include({ wouldEnter: false, firstFailure: 'journey_live' });
  });
});
