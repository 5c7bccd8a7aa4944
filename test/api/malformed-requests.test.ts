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

  it('refuses a path parameter that is not valid percent-encoding', async () => {
    for (const path of ['/api/v1/journeys/%E0%A4%A', '/api/v1/instances/%ZZ/timeline']) {
      const res = await t.api('GET', path);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.error).to.include({ code: 'invalid_request', path: 'path' });
    }
  });
});
