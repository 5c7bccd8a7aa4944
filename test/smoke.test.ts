import { expect } from 'chai';
import { startTestEngine, type TestEngine } from './support/test-engine.ts';

describe('engine smoke', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  it('answers /health with 200 and JSON once ready', async () => {
    const res = await t.api('GET', '/health', undefined, { token: null });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok', store: 'sqlite' });
  });

  it('stores a track call and builds the profile from it', async () => {
    const res = await t.ingest('/v1/track', { userId: 'smoke-1', event: 'Signed Up', properties: { plan: 'pro' } });
    expect(res.status).to.equal(200);
    await t.settle();
    const lookup = await t.api('GET', '/api/v1/profiles/lookup?userId=smoke-1');
    expect(lookup.status).to.equal(200);
    expect(lookup.body.profile.userId).to.equal('smoke-1');
  });
});
