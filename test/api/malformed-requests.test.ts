/**
 * Requests malformed below the level of any one route's validation: a JSON `null` where an
 * object is expected, a path that is not valid percent-encoding. Each is the client's fault: a
 * 400 with a code, never a 500.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

describe('malformed requests', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine({ dataDir: ':memory:' }); });
  after(async () => { await t.close(); });

  it('refuses a JSON null body where an object is expected, naming it, and issues nothing', async () => {
    const before = await t.api('GET', '/api/v1/credentials');
    const res = await t.api('POST', '/api/v1/credentials', undefined, { raw: 'null' });
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(res.body.error).to.include({ code: 'invalid_request' });
    expect(res.body.error.message).to.contain('JSON object');
    expect((await t.api('GET', '/api/v1/credentials')).body.credentials).to.have.lengthOf(before.body.credentials.length);
  });

  it('refuses a publish or deploy body that is not an object, or has a property it does not know', async () => {
    for (const [path, raw, where] of [
      ['/api/v1/journeys/no-such/publish', '5', ''], ['/api/v1/journeys/no-such/publish', '{"previous":"drain"}', '/previous'],
      ['/api/v1/functions/no-such/deploy', '"v1"', ''], ['/api/v1/functions/no-such/deploy', '{"versions":1}', '/versions'],
    ] as const) {
      const res = await t.api('POST', path, undefined, { raw });
      expect(res.status, `${path} ${raw}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.error).to.include({ code: 'invalid_request', path: where });
    }
  });

  it('answers a known path asked with another method with 405 and the methods it allows', async () => {
    for (const [method, path, allow] of [
      ['PATCH', '/api/v1/audiences', 'GET, HEAD, OPTIONS, POST'], ['PATCH', '/api/v1/journeys/some-id', 'DELETE, GET, HEAD, OPTIONS, PUT'],
      ['GET', '/v1/track', 'POST'],
    ] as const) {
      const res = await t.api(method, path);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.equal(405);
      expect(res.body.error.code).to.equal('method_not_allowed');
      expect(res.headers.get('allow')).to.equal(allow);
    }
    expect((await t.api('PATCH', '/api/v1/no-such-thing')).status, 'an unknown path stays 404').to.equal(404);
    const options = await t.api('OPTIONS', '/api/v1/deliveries/redrive');
    expect(options.status).to.equal(204);
    expect(options.headers.get('allow'), 'the spelled-out route, not the :id sibling').to.equal('OPTIONS, POST');
  });

  it('answers 404 for a plugin slug no plugin has, and looks a profile up by several ids only when they agree', async () => {
    const plugin = await t.api('GET', '/api/v1/destination-plugins/no-such-plugin');
    expect(plugin.status).to.equal(404);
    expect(plugin.body.error.code).to.equal('not_found');
    await t.ingest('/v1/identify', { userId: 'lookup-user', anonymousId: 'lookup-anon', traits: { email: 'look@example.com' } });
    await t.settle();
    const both = await t.api('GET', '/api/v1/profiles/lookup?userId=lookup-user&email=look@example.com');
    expect(both.status, JSON.stringify(both.body)).to.equal(200);
    expect(both.body.profile.userId).to.equal('lookup-user');
    expect((await t.api('GET', '/api/v1/profiles/lookup?userId=lookup-user&anonymousId=someone-else')).status).to.equal(404);
    expect((await t.api('GET', '/api/v1/profiles/lookup')).status).to.equal(400);
  });

  it('answers 404 for a send step of a draft saved without steps (found by schemathesis: was a 500)', async () => {
    const draft = await t.api('POST', '/api/v1/journeys', { name: 'A draft with nothing yet' });
    expect(draft.status).to.equal(201);
    for (const op of ['preview', 'test']) {
      const res = await t.api('POST', `/api/v1/journeys/${draft.body.journey.id}/steps/K/${op}`, { instanceId: 'some-instance' });
      expect(res.status, `${op}: ${JSON.stringify(res.body)}`).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
    }
  });

  it('says where a body is not valid JSON without quoting it (a credential sent by mistake stays out of answers and logs)', async () => {
    for (const raw of ['wk_secret_value_not_json', '{"userId": wk_secret_value}']) {
      const res = await t.ingest('/v1/track', raw);
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_json');
      expect(res.body.error.message).to.match(/^the body is not valid JSON/);
      expect(JSON.stringify(res.body)).to.not.contain('wk_secret');
    }
  });

  it('refuses a path parameter that is not valid percent-encoding', async () => {
    for (const path of ['/api/v1/journeys/%E0%A4%A', '/api/v1/instances/%ZZ/timeline']) {
      const res = await t.api('GET', path);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.error).to.include({ code: 'invalid_request', path: 'path' });
    }
  });
});
