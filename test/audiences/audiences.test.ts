import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

const PRO_RULE = [{ path: 'plan', operator: 'equals', value: 'pro' }];

describe('audiences', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  async function identify(userId: string, traits: Record<string, unknown>): Promise<void> {
    const res = await t.ingest('/v1/identify', { userId, traits });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  }

  async function profileId(userId: string): Promise<string> {
    const res = await t.api('GET', `/api/v1/profiles/lookup?userId=${encodeURIComponent(userId)}`);
    expect(res.status, userId).to.equal(200);
    return res.body.profile.id;
  }

  async function createAudience(body: Record<string, unknown>): Promise<string> {
    const res = await t.api('POST', '/api/v1/audiences', body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.audience.id;
  }

  /** Every member profile id, following nextCursor to the end. */
  async function members(audienceId: string, limit = 100): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const query: string = cursor === null ? `limit=${limit}` : `limit=${limit}&cursor=${encodeURIComponent(cursor)}`;
      const res = await t.api('GET', `/api/v1/audiences/${audienceId}/members?${query}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      out.push(...res.body.profileIds);
      cursor = res.body.nextCursor;
      if (cursor === null) return out;
    }
    throw new Error('members pagination did not end');
  }

  async function audienceNames(): Promise<string[]> {
    const res = await t.api('GET', '/api/v1/audiences');
    return res.body.audiences.map((a: { name: string }) => a.name);
  }

  describe('A rule audience of pro users', () => {
    let audienceId: string;
    let ann: string;
    let bo: string;
    let cy: string;
    before(async () => {
      await identify('rule-ann', { plan: 'pro', email: 'ann@example.com' });
      await identify('rule-bo', { plan: 'free' });
      await identify('rule-cy', { plan: 'pro' });
      await t.settle();
      [ann, bo, cy] = [await profileId('rule-ann'), await profileId('rule-bo'), await profileId('rule-cy')];
      const res = await t.api('POST', '/api/v1/audiences', { name: 'Pro users', description: 'paying', rule: PRO_RULE });
      expect(res.status).to.equal(201);
      expect(res.body.audience).to.include({ name: 'Pro users', description: 'paying' });
      expect(res.body.audience.rule).to.deep.equal(PRO_RULE);
      expect(res.body.audience.backfilledAt, 'the backfill is done when create answers').to.be.a('string');
      audienceId = res.body.audience.id;
    });

    it('backfills existing matching profiles as members', async () => {
      expect(await members(audienceId)).to.have.members([ann, cy]);
    });

    it('adds and removes members as identify changes traits', async () => {
      await identify('rule-bo', { plan: 'pro' });
      await identify('rule-cy', { plan: 'free' });
      await t.settle();
      expect(await members(audienceId)).to.have.members([ann, bo]);
      await identify('rule-cy', { plan: 'pro' });
      await t.settle();
      expect(await members(audienceId)).to.have.members([ann, bo, cy]);
      await identify('rule-bo', { plan: 'free' });
      await t.settle();
      expect(await members(audienceId)).to.have.members([ann, cy]);
    });

    it('makes a brand-new matching profile a member', async () => {
      await identify('rule-dee', { plan: 'pro' });
      await t.settle();
      expect(await members(audienceId)).to.include(await profileId('rule-dee'));
    });

    it('shows the profile\'s audiences in lookups', async () => {
      const lookup = await t.api('GET', '/api/v1/profiles/lookup?email=ANN%40example.com');
      expect(lookup.body.profile.audiences).to.deep.equal([{ id: audienceId, name: 'Pro users', via: 'rule' }]);
      const list = await t.api('GET', `/api/v1/profiles/${bo}/audiences`);
      expect(list.status).to.equal(200);
      expect(list.body.audiences).to.deep.equal([]);
    });

    it('lets an explicit remove override the rule, and an explicit add bring it back', async () => {
      const res = await t.api('POST', `/api/v1/audiences/${audienceId}/members`, { remove: [{ email: 'Ann@Example.com' }] });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ added: 0, removed: 1 });
      expect(await members(audienceId)).not.to.include(ann);
      await identify('rule-ann', { plan: 'pro', seats: 5 });
      await t.settle();
      expect(await members(audienceId), 'a trait change does not undo the remove').not.to.include(ann);
      const lookup = await t.api('GET', `/api/v1/profiles/${ann}`);
      expect(lookup.body.profile.audiences).to.deep.equal([]);

      await t.api('POST', `/api/v1/audiences/${audienceId}/members`, { add: [{ userId: 'rule-ann' }] });
      expect(await members(audienceId)).to.include(ann);
      await identify('rule-ann', { plan: 'free' });
      await t.settle();
      expect(await members(audienceId), 'an explicit add keeps a profile the rule no longer matches').to.include(ann);
      const again = await t.api('GET', `/api/v1/profiles/${ann}/audiences`);
      expect(again.body.audiences).to.deep.equal([{ id: audienceId, name: 'Pro users', via: 'manual' }]);
    });

    it('re-evaluates every profile when the rule is updated', async () => {
      await identify('rule-bo', { plan: 'free' });
      await identify('rule-cy', { plan: 'pro' });
      await t.settle();
      const res = await t.api('PUT', `/api/v1/audiences/${audienceId}`, {
        name: 'Free users', rule: [{ path: 'plan', operator: 'equals', value: 'FREE', ignoreCase: true }],
      });
      expect(res.status).to.equal(200);
      expect(res.body.audience.name).to.equal('Free users');
      const now = await members(audienceId);
      expect(now).to.include(bo);
      expect(now).not.to.include(cy);
      expect(now, 'the explicit add of ann still holds').to.include(ann);
      const got = await t.api('GET', `/api/v1/audiences/${audienceId}`);
      expect(got.body.audience.rule[0].value).to.equal('FREE');
    });

    it('ends rule-based memberships when an update removes the rule, keeping explicit ones', async () => {
      await identify('unrule-1', { plan: 'unrule' });
      await identify('unrule-2', { plan: 'unrule' });
      await t.settle();
      const id = await createAudience({ name: 'Unrule', rule: [{ path: 'plan', operator: 'equals', value: 'unrule' }] });
      await t.api('POST', `/api/v1/audiences/${id}/members`, { add: [{ userId: 'unrule-2' }] });
      const res = await t.api('PUT', `/api/v1/audiences/${id}`, { name: 'Unrule' });
      expect(res.status).to.equal(200);
      expect(res.body.audience.rule).to.equal(null);
      expect(res.body.audience.backfilledAt).to.be.a('string');
      expect(await members(id)).to.deep.equal([await profileId('unrule-2')]);
      await identify('unrule-1', { plan: 'unrule', touched: true });
      await t.settle();
      expect(await members(id)).to.deep.equal([await profileId('unrule-2')]);
    });
  });

  describe('An audience managed through the API', () => {
    let vip: string;
    before(async () => {
      await identify('vip-1', { email: 'vip.one@example.com' });
      await identify('vip-2', {});
      await t.ingest('/v1/track', { anonymousId: 'vip-anon', event: 'Visited' });
      await t.settle();
      vip = await createAudience({ name: 'VIP' });
    });

    it('adds by userId, email, anonymousId and profileId, and removes by any of them', async () => {
      const p2 = await profileId('vip-2');
      const res = await t.api('POST', `/api/v1/audiences/${vip}/members`, {
        add: [{ userId: 'vip-1' }, { email: 'VIP.ONE@example.com' }, { profileId: p2 }, { anonymousId: 'vip-anon' }],
      });
      expect(res.status).to.equal(200);
      expect(res.body.added).to.equal(4);
      const p1 = await profileId('vip-1');
      const anon = (await t.api('GET', '/api/v1/profiles/lookup?anonymousId=vip-anon')).body.profile.id;
      expect(await members(vip)).to.have.members([p1, p2, anon]);
      const lookup = await t.api('GET', '/api/v1/profiles/lookup?userId=vip-2');
      expect(lookup.body.profile.audiences).to.deep.include({ id: vip, name: 'VIP', via: 'manual' });

      await t.api('POST', `/api/v1/audiences/${vip}/members`, { remove: [{ profileId: p2 }, { anonymousId: 'vip-anon' }] });
      expect(await members(vip)).to.deep.equal([p1]);
    });

    it('refuses an unknown profile with 404 and adds none of the valid ones', async () => {
      const before = await members(vip);
      const res = await t.api('POST', `/api/v1/audiences/${vip}/members`, {
        add: [{ userId: 'vip-2' }, { userId: 'nobody-at-all' }], remove: [{ userId: 'vip-1' }],
      });
      expect(res.status).to.equal(404);
      expect(res.body.error).to.include({ code: 'not_found', path: '/add/1' });
      expect(await members(vip)).to.deep.equal(before);
      const unknownRemove = await t.api('POST', `/api/v1/audiences/${vip}/members`, { add: [{ userId: 'vip-2' }], remove: [{ email: 'x@nowhere' }] });
      expect(unknownRemove.body.error).to.include({ code: 'not_found', path: '/remove/0' });
      expect(await members(vip)).to.deep.equal(before);
    });

    it('rejects malformed membership bodies', async () => {
      for (const body of [{}, { add: 'vip-1' }, { add: [{ userId: 'vip-1', email: 'x' }] }, { add: [{ phone: '1' }] }, { add: [{ userId: '' }] },
        { add: [], remove: [] }, { grant: [] }]) {
        const res = await t.api('POST', `/api/v1/audiences/${vip}/members`, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error.code, JSON.stringify(body)).to.equal('invalid_request');
      }
    });
  });

  describe('Members pagination', () => {
    it('walks 25 members in pages of 10, each profile exactly once', async () => {
      const batch = Array.from({ length: 25 }, (_, i) => ({ type: 'identify', userId: `page-${String(i).padStart(2, '0')}`, traits: { cohort: 'paging' } }));
      batch.push({ type: 'identify', userId: 'page-outsider', traits: { cohort: 'other' } });
      expect((await t.ingest('/v1/batch', { batch })).status).to.equal(200);
      await t.settle();
      const id = await createAudience({ name: 'Paging cohort', rule: [{ path: 'cohort', operator: 'equals', value: 'paging' }] });

      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '?limit=10' : `?limit=10&cursor=${encodeURIComponent(cursor)}`;
        const res = await t.api('GET', `/api/v1/audiences/${id}/members${query}`);
        expect(res.status).to.equal(200);
        pages.push(res.body.profileIds);
        cursor = res.body.nextCursor;
      } while (cursor !== null && pages.length < 10);
      expect(pages.map((p) => p.length)).to.deep.equal([10, 10, 5]);
      const all = pages.flat();
      expect(new Set(all).size).to.equal(25);
      const expected = await Promise.all(batch.slice(0, 25).map((m) => profileId(m.userId)));
      expect(all).to.have.members(expected);
      expect(all).not.to.include(await profileId('page-outsider'));
    });

    it('rejects bad limits', async () => {
      const id = await createAudience({ name: 'Limits' });
      for (const limit of ['0', 'abc', '1001', '2.5']) {
        const res = await t.api('GET', `/api/v1/audiences/${id}/members?limit=${limit}`);
        expect(res.status, limit).to.equal(400);
        expect(res.body.error).to.include({ code: 'invalid_request', path: '?limit' });
      }
    });
  });

  describe('Validation and conflicts', () => {
    it('reports every problem of an invalid rule with its path, and stores nothing', async () => {
      const before = await audienceNames();
      const res = await t.api('POST', '/api/v1/audiences', {
        name: 'Broken rule',
        rule: [
          { path: 'plan', operator: 'bogus' },
          { path: '', operator: 'equals' },
          { path: 'age', operator: 'between', value: [5] },
          { path: 'plan', operator: 'gt', value: 1, ignoreCase: true },
        ],
      });
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_conditions');
      expect(res.body.error.problems.map((p: { path: string }) => p.path)).to.deep.equal([
        '/rule/0/operator', '/rule/1/path', '/rule/1/value', '/rule/2/value', '/rule/3/ignoreCase',
      ]);
      for (const p of res.body.error.problems) expect(p.message).to.contain(p.path);
      expect(await audienceNames()).to.deep.equal(before);

      const notArray = await t.api('POST', '/api/v1/audiences', { name: 'Broken rule', rule: { path: 'plan' } });
      expect(notArray.body.error.code).to.equal('invalid_conditions');
      expect(notArray.body.error.problems.map((p: { path: string }) => p.path)).to.deep.equal(['/rule']);
      expect(await audienceNames()).to.deep.equal(before);
    });

    it('refuses a rule value that overflows to Infinity, which would be stored as null and break profile processing (found by the property suite)', async () => {
      const before = await audienceNames();
      const res = await t.api('POST', '/api/v1/audiences', undefined, { raw: '{"name":"Overflow","rule":[{"path":"plan","operator":"not_equals","value":1e400}]}' });
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      // Refused when the body is read, before the rule is looked at (the condition validator refuses it too, for other callers).
      expect(res.body.error).to.include({ code: 'invalid_json', path: '/rule/0/value' });
      expect(await audienceNames()).to.deep.equal(before);
      // Profiles are still processed: a trait change reaches the lookup.
      await identify('overflow-user', { plan: 'pro' });
      await t.settle();
      expect((await t.api('GET', '/api/v1/profiles/lookup?userId=overflow-user')).body.profile.traits).to.deep.equal({ plan: 'pro' });
    });

    it('rejects an invalid rule on update and keeps the stored audience', async () => {
      const id = await createAudience({ name: 'Stable', rule: PRO_RULE });
      const res = await t.api('PUT', `/api/v1/audiences/${id}`, { name: 'Renamed', rule: [{ path: 'plan', operator: 'nope' }] });
      expect(res.status).to.equal(400);
      expect(res.body.error.problems[0].path).to.equal('/rule/0/operator');
      const got = await t.api('GET', `/api/v1/audiences/${id}`);
      expect(got.body.audience).to.include({ name: 'Stable' });
      expect(got.body.audience.rule).to.deep.equal(PRO_RULE);
    });

    it('rejects bad bodies with invalid_request and its path', async () => {
      const cases: Array<[unknown, string]> = [[{}, '/name'], [{ name: '  ' }, '/name'], [{ name: 'x', extra: 1 }, '/extra'],
        [{ name: 'x', description: 5 }, '/description']];
      for (const [body, path] of cases) {
        const res = await t.api('POST', '/api/v1/audiences', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.error, JSON.stringify(body)).to.include({ code: 'invalid_request', path });
      }
      const json = await t.api('POST', '/api/v1/audiences', undefined, { raw: '{"name":' });
      expect(json.body.error.code).to.equal('invalid_json');
    });

    it('answers 409 conflict for a name already used, on create and on rename', async () => {
      const a = await createAudience({ name: 'Taken A' });
      await createAudience({ name: 'Taken B' });
      const dup = await t.api('POST', '/api/v1/audiences', { name: 'Taken A' });
      expect(dup.status).to.equal(409);
      expect(dup.body.error.code).to.equal('conflict');
      const rename = await t.api('PUT', `/api/v1/audiences/${a}`, { name: 'Taken B' });
      expect(rename.status).to.equal(409);
      expect(rename.body.error.code).to.equal('conflict');
      expect((await t.api('GET', `/api/v1/audiences/${a}`)).body.audience.name).to.equal('Taken A');
      const names = await audienceNames();
      expect(names.filter((n) => n === 'Taken B')).to.have.length(1);
    });

    it('answers 404 for an unknown audience on every route', async () => {
      for (const [method, path, body] of [
        ['GET', '/api/v1/audiences/aud_nope', undefined],
        ['PUT', '/api/v1/audiences/aud_nope', { name: 'x' }],
        ['DELETE', '/api/v1/audiences/aud_nope', undefined],
        ['GET', '/api/v1/audiences/aud_nope/members', undefined],
        ['POST', '/api/v1/audiences/aud_nope/members', { add: [{ userId: 'vip-1' }] }],
      ] as const) {
        const res = await t.api(method, path, body);
        expect(res.status, `${method} ${path}`).to.equal(404);
        expect(res.body.error.code, `${method} ${path}`).to.equal('not_found');
      }
    });
  });

  describe('An anonymous member signs in', () => {
    it('lists the person once: the joined profile leaves, its explicit add carries over', async () => {
      await identify('join-user', { plan: 'join-pro' });
      await t.ingest('/v1/identify', { anonymousId: 'join-anon', traits: { plan: 'join-pro' } });
      await t.settle();
      const ruleAud = await createAudience({ name: 'Join pros', rule: [{ path: 'plan', operator: 'equals', value: 'join-pro' }] });
      const manualAud = await createAudience({ name: 'Join manual' });
      await t.api('POST', `/api/v1/audiences/${manualAud}/members`, { add: [{ anonymousId: 'join-anon' }] });
      expect(await members(ruleAud)).to.have.length(2);

      await t.ingest('/v1/track', { userId: 'join-user', anonymousId: 'join-anon', event: 'Signed In' });
      await t.settle();
      const user = await profileId('join-user');
      expect(await members(ruleAud)).to.deep.equal([user]);
      expect(await members(manualAud)).to.deep.equal([user]);
      const lookup = await t.api('GET', '/api/v1/profiles/lookup?anonymousId=join-anon');
      expect(lookup.body.profile.audiences.map((a: { name: string }) => a.name)).to.have.members(['Join pros', 'Join manual']);
    });

    it('a person removed by hand stays out once they sign in, though the rule matches the joined traits (found by an audit)', async () => {
      await identify('removed-user', { email: 'removed@example.com' });
      await t.ingest('/v1/identify', { anonymousId: 'removed-anon', traits: { plan: 'removed-pro' } });
      await t.settle();
      const ruleAud = await createAudience({ name: 'Removed pros', rule: [{ path: 'plan', operator: 'equals', value: 'removed-pro' }] });
      expect(await members(ruleAud)).to.have.length(1);
      expect((await t.api('POST', `/api/v1/audiences/${ruleAud}/members`, { remove: [{ anonymousId: 'removed-anon' }] })).status).to.equal(200);
      expect(await members(ruleAud)).to.deep.equal([]);

      await t.ingest('/v1/identify', { userId: 'removed-user', anonymousId: 'removed-anon' });
      await t.settle();
      expect(await members(ruleAud)).to.deep.equal([]);
      const lookup = await t.api('GET', '/api/v1/profiles/lookup?userId=removed-user');
      expect(lookup.body.profile.traits).to.include({ plan: 'removed-pro' });
      expect(lookup.body.profile.audiences).to.deep.equal([]);
    });
  });

  describe('Deleting an audience', () => {
    it('removes it, its memberships and its place in lookups', async () => {
      await identify('del-1', { plan: 'doomed' });
      await t.settle();
      const id = await createAudience({ name: 'Doomed', rule: [{ path: 'plan', operator: 'equals', value: 'doomed' }] });
      const p = await profileId('del-1');
      expect(await members(id)).to.deep.equal([p]);
      const del = await t.api('DELETE', `/api/v1/audiences/${id}`);
      expect(del.status).to.equal(204);
      expect((await t.api('GET', `/api/v1/audiences/${id}`)).status).to.equal(404);
      expect(await audienceNames()).not.to.include('Doomed');
      const lookup = await t.api('GET', `/api/v1/profiles/${p}`);
      expect(lookup.body.profile.audiences).to.deep.equal([]);
      expect((await t.api('DELETE', `/api/v1/audiences/${id}`)).status).to.equal(404);
      // The name is free again, and the new audience starts from its own rule, not the old memberships.
      const again = await createAudience({ name: 'Doomed' });
      expect(await members(again)).to.deep.equal([]);
    });
  });
});
