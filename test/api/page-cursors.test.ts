/**
 * Every id-paged listing (event log, deliveries, a journey's deliveries and instances, audience
 * members) answers an opaque `nextCursor` that pages without repeats or gaps, and refuses, with
 * 400 at `?cursor`, a cursor it did not return: a made-up value, an id, another listing's cursor.
 * Before, a made-up cursor read as a position: an empty page on SQLite and the first page again
 * on MongoDB (an audit found the stores disagreeing).
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

describe('api: page cursors', () => {
  let t: TestEngine;
  let journeyId: string;
  let audienceId: string;
  const users = ['pc-1', 'pc-2', 'pc-3', 'pc-4', 'pc-5'];

  before(async () => {
    t = await startTestEngine({ dataDir: ':memory:' });
    expect((await t.ingest('/v1/track', { userId: 'pc-seed', event: 'Cursor Probe' })).status).to.equal(200);
    await t.settle();
    const created = await t.api('POST', '/api/v1/journeys', {
      name: 'Cursor probe',
      entry: { event: 'Cursor Probe', whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
      start: 'record',
      steps: [
        { id: 'record', type: 'send', eventName: 'Cursor Probe Recorded', target: null, payload: { context: 'all', traits: [] }, next: 'wait' },
        { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'P1D' }, next: 'done' },
        { id: 'done', type: 'exit' },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    journeyId = created.body.journey.id;
    expect((await t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {})).status).to.equal(200);
    for (const userId of users) expect((await t.ingest('/v1/track', { userId, event: 'Cursor Probe' })).status).to.equal(200);
    await t.settle();
    const audience = await t.api('POST', '/api/v1/audiences', { name: 'Cursor members' });
    expect(audience.status, JSON.stringify(audience.body)).to.equal(201);
    audienceId = audience.body.audience.id;
    const added = await t.api('POST', `/api/v1/audiences/${audienceId}/members`, { add: users.map((userId) => ({ userId })) });
    expect(added.status, JSON.stringify(added.body)).to.equal(200);
  });
  after(async () => { await t.close(); });

  /** Each listing: its path (with filters) and the array its page holds. */
  const listings = (): Array<{ path: string; items: string }> => [
    { path: '/api/v1/events?event=Cursor%20Probe', items: 'events' },
    { path: `/api/v1/deliveries?journeyId=${journeyId}`, items: 'deliveries' },
    { path: `/api/v1/journeys/${journeyId}/deliveries?`, items: 'deliveries' },
    { path: `/api/v1/journeys/${journeyId}/instances?status=active`, items: 'instances' },
    { path: `/api/v1/audiences/${audienceId}/members?`, items: 'profileIds' },
  ];

  async function page(path: string, cursor: string | null) {
    const sep = path.endsWith('?') ? '' : '&';
    return t.api('GET', `${path}${sep}limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
  }

  it('pages every listing to its end through nextCursor, each item once', async () => {
    for (const { path, items } of listings()) {
      const whole = await t.api('GET', `${path}${path.endsWith('?') ? '' : '&'}limit=1000`);
      expect(whole.status, `${path}: ${JSON.stringify(whole.body)}`).to.equal(200);
      const seen: unknown[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 10; i++) {
        const res = await page(path, cursor);
        expect(res.status, `${path}: ${JSON.stringify(res.body)}`).to.equal(200);
        seen.push(...res.body[items]);
        cursor = res.body.nextCursor;
        if (cursor === null) break;
      }
      expect(cursor, path).to.equal(null);
      expect(seen.length, path).to.be.at.least(5);
      expect(seen.map((x) => JSON.stringify(x)), path).to.deep.equal(whole.body[items].map((x: unknown) => JSON.stringify(x)));
    }
  });

  it("refuses a made-up cursor, a bare id and another listing's cursor with 400 at ?cursor", async () => {
    const all = listings();
    const firstCursors = await Promise.all(all.map(async ({ path }) => (await page(path, null)).body.nextCursor as string));
    const instanceId = (await page(all[3]!.path, null)).body.instances[0].id as string;
    for (const [i, { path }] of all.entries()) {
      const other = firstCursors[(i + 1) % all.length]!;
      for (const bad of ['abc', '7', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ', '00000000000000000000000000', instanceId, other, '!!!', `${firstCursors[i]}!`]) {
        const res = await page(path, bad);
        expect(res.status, `${path} cursor=${bad}: ${JSON.stringify(res.body)}`).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_request', path: '?cursor' });
      }
    }
  });

  it('refuses a query parameter the members listing does not take', async () => {
    const res = await t.api('GET', `/api/v1/audiences/${audienceId}/members?foo=1`);
    expect(res.status).to.equal(400);
    expect(res.body.error).to.include({ code: 'invalid_request', path: '?foo' });
  });

  it("lists a profile's audiences in the audience listing's order (by name), on every store", async () => {
    for (const name of ['Zebra fans', 'Apple fans']) {
      const res = await t.api('POST', '/api/v1/audiences', { name });
      expect(res.status).to.equal(201);
      expect((await t.api('POST', `/api/v1/audiences/${res.body.audience.id}/members`, { add: [{ userId: 'pc-1' }] })).status).to.equal(200);
    }
    const lookup = await t.api('GET', '/api/v1/profiles/lookup?userId=pc-1');
    expect(lookup.body.profile.audiences.map((a: { name: string }) => a.name)).to.deep.equal(['Apple fans', 'Cursor members', 'Zebra fans']);
  });
});
