import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

describe('profiles: identity resolution', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  async function send(endpoint: string, body: Record<string, unknown>): Promise<void> {
    const res = await t.ingest(endpoint, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  }

  async function lookup(query: string) {
    const res = await t.api('GET', `/api/v1/profiles/lookup?${query}`);
    expect(res.status, `${query}: ${JSON.stringify(res.body)}`).to.equal(200);
    return res.body.profile;
  }

  describe('Returning user updates their traits', () => {
    it('identify merges traits: later values win, untouched keys are kept', async () => {
      await send('/v1/identify', { userId: 'merge-1', traits: { plan: 'free', name: 'Ann', address: { city: 'Oslo' } } });
      await send('/v1/identify', { userId: 'merge-1', traits: { plan: 'pro', seats: 3 } });
      await send('/v1/track', { userId: 'merge-1', event: 'Upgraded', properties: { plan: 'enterprise' } });
      await t.settle();
      const profile = await lookup('userId=merge-1');
      expect(profile.traits).to.deep.equal({ plan: 'pro', name: 'Ann', address: { city: 'Oslo' }, seats: 3 });
      expect(profile.userId).to.equal('merge-1');
      expect(profile.userIds).to.deep.equal(['merge-1']);
    });
  });

  describe('Anonymous visitor browses, then signs up', () => {
    it('joins the anonymous history into the user: one profile, both ids, anonymous traits kept', async () => {
      await send('/v1/page', { anonymousId: 'anon-signup', name: 'Pricing' });
      await send('/v1/identify', { anonymousId: 'anon-signup', traits: { referrer: 'newsletter', plan: 'trial' } });
      await send('/v1/track', { anonymousId: 'anon-signup', event: 'Viewed Product', properties: { sku: 'A1' } });
      await t.settle();
      const anonymous = await lookup('anonymousId=anon-signup');
      expect(anonymous.userId).to.equal(null);

      await send('/v1/identify', { userId: 'signup-1', anonymousId: 'anon-signup', traits: { email: 'Ann.Signup@Example.com', plan: 'free' } });
      await t.settle();
      const byUser = await lookup('userId=signup-1');
      expect(byUser.id).to.equal(anonymous.id);
      expect(byUser.anonymousIds).to.deep.equal(['anon-signup']);
      expect(byUser.traits).to.deep.equal({ referrer: 'newsletter', plan: 'free', email: 'Ann.Signup@Example.com' });
      expect(byUser.email).to.equal('ann.signup@example.com');
    });

    it('joins an anonymous history into a user already known from another device', async () => {
      await send('/v1/identify', { userId: 'device-user', anonymousId: 'device-anon-1', traits: { plan: 'pro', name: 'Bo' } });
      await send('/v1/identify', { anonymousId: 'device-anon-2', traits: { name: 'Anonymous', utm: 'ad' } });
      await t.settle();
      const user = await lookup('userId=device-user');
      const anonymous = await lookup('anonymousId=device-anon-2');
      expect(anonymous.id).not.to.equal(user.id);

      await send('/v1/track', { userId: 'device-user', anonymousId: 'device-anon-2', event: 'Logged In' });
      await t.settle();
      const joined = await lookup('anonymousId=device-anon-2');
      expect(joined.id).to.equal(user.id);
      expect(joined.anonymousIds).to.have.members(['device-anon-1', 'device-anon-2']);
      // The user's own traits win over the anonymous phase's; keys it lacked are filled in.
      expect(joined.traits).to.deep.equal({ plan: 'pro', name: 'Bo', utm: 'ad' });
      const old = await t.api('GET', `/api/v1/profiles/${anonymous.id}`);
      expect(old.status).to.equal(200);
      expect(old.body.profile.id, 'the joined profile id leads to the live profile').to.equal(user.id);
    });

    it('alias joins the previousId profile into the userId profile', async () => {
      await send('/v1/identify', { anonymousId: 'alias-anon', traits: { color: 'blue' } });
      await send('/v1/identify', { userId: 'alias-user', traits: { plan: 'pro' } });
      await t.settle();
      const anonymous = await lookup('anonymousId=alias-anon');
      const user = await lookup('userId=alias-user');
      expect(anonymous.id).not.to.equal(user.id);

      await send('/v1/alias', { previousId: 'alias-anon', userId: 'alias-user' });
      await t.settle();
      const joined = await lookup('anonymousId=alias-anon');
      expect(joined.id).to.equal(user.id);
      expect(joined.traits).to.deep.equal({ color: 'blue', plan: 'pro' });
      expect(joined.anonymousIds).to.include('alias-anon');
    });

    it('alias of an old user id makes both user ids find the same profile', async () => {
      await send('/v1/identify', { userId: 'old-id', traits: { email: 'renamed@example.com', tier: 1 } });
      await send('/v1/identify', { userId: 'new-id', traits: { tier: 2 } });
      await t.settle();
      await send('/v1/alias', { previousId: 'old-id', userId: 'new-id' });
      await t.settle();
      const byOld = await lookup('userId=old-id');
      const byNew = await lookup('userId=new-id');
      expect(byOld.id).to.equal(byNew.id);
      expect(byNew.userId).to.equal('new-id');
      expect(byNew.userIds).to.have.members(['old-id', 'new-id']);
      expect(byNew.traits).to.deep.equal({ email: 'renamed@example.com', tier: 2 });
      const byEmail = await lookup('email=renamed%40example.com');
      expect(byEmail.id, 'the merged-away profile is not found by email').to.equal(byNew.id);
    });

    it('alias of an unknown previous id remembers it for later anonymous events', async () => {
      await send('/v1/identify', { userId: 'alias-later', traits: { plan: 'basic' } });
      await send('/v1/alias', { previousId: 'never-seen-anon', userId: 'alias-later' });
      await send('/v1/track', { anonymousId: 'never-seen-anon', event: 'Came Back' });
      await t.settle();
      const user = await lookup('userId=alias-later');
      expect((await lookup('anonymousId=never-seen-anon')).id).to.equal(user.id);
    });

    it('alias of an unknown previous id remembers it for later events under it as a user id too: the order does not matter (found by an audit)', async () => {
      // First the user's old id acts, then the alias: one profile.
      await send('/v1/track', { userId: 'order-old9', event: 'Acted' });
      await t.settle();
      await send('/v1/alias', { previousId: 'order-old9', userId: 'order-new9' });
      await t.settle();
      // First the alias, then the old id acts: one profile too.
      await send('/v1/alias', { previousId: 'order-old8', userId: 'order-new8' });
      await t.settle();
      await send('/v1/track', { userId: 'order-old8', event: 'Acted' });
      await t.settle();
      for (const n of ['8', '9']) {
        const profile = await lookup(`userId=order-new${n}`);
        expect((await lookup(`userId=order-old${n}`)).id, n).to.equal(profile.id);
        expect(profile.userIds, n).to.have.members([`order-old${n}`, `order-new${n}`]);
      }
    });
  });

  describe('Lookup', () => {
    let profileId: string;
    before(async () => {
      await send('/v1/track', { anonymousId: 'lookup-anon', event: 'Browsed' });
      await send('/v1/identify', { userId: 'lookup-user', anonymousId: 'lookup-anon', traits: { email: 'Mixed.Case@Example.COM' } });
      await t.settle();
      profileId = (await lookup('userId=lookup-user')).id;
    });

    it('finds the same profile by userId, joined anonymousId, email in any case, and id', async () => {
      for (const query of ['anonymousId=lookup-anon', 'email=mixed.case%40example.com', 'email=MIXED.CASE%40EXAMPLE.COM',
        'email=Mixed.Case%40Example.COM']) {
        expect((await lookup(query)).id, query).to.equal(profileId);
      }
      const byId = await t.api('GET', `/api/v1/profiles/${profileId}`);
      expect(byId.body.profile).to.include({ id: profileId, userId: 'lookup-user', email: 'mixed.case@example.com' });
      expect(byId.body.profile.audiences).to.deep.equal([]);
      expect(byId.body.profile, 'storage internals stay hidden').not.to.have.any.keys('version', 'mergedInto', 'spaceId', 'lastEventId');
    });

    it('treats a numeric userId as the same user as its string form', async () => {
      await send('/v1/identify', { userId: 4242, traits: { numeric: true } });
      await send('/v1/track', { userId: '4242', event: 'E' });
      await t.settle();
      const profile = await lookup('userId=4242');
      expect(profile.userIds).to.deep.equal(['4242']);
      expect(profile.traits).to.deep.equal({ numeric: true });
    });

    it('answers 404 not_found for unknown identities', async () => {
      for (const path of ['/api/v1/profiles/lookup?userId=nobody', '/api/v1/profiles/lookup?anonymousId=nobody',
        '/api/v1/profiles/lookup?email=nobody%40example.com', '/api/v1/profiles/prf_nobody', '/api/v1/profiles/prf_nobody/audiences']) {
        const res = await t.api('GET', path);
        expect(res.status, path).to.equal(404);
        expect(res.body.error.code, path).to.equal('not_found');
      }
    });

    it('answers 400 invalid_request without an identity or with a malformed one', async () => {
      for (const query of ['', '?userId=', '?userId=a&userId=b', '?name=x']) {
        const res = await t.api('GET', `/api/v1/profiles/lookup${query}`);
        expect(res.status, query).to.equal(400);
        expect(res.body.error.code, query).to.equal('invalid_request');
      }
    });
  });

  describe('An anonymous id already tied to another user', () => {
    it('gives the new user its own profile and leaves the anonymous id with the first user', async () => {
      await send('/v1/identify', { userId: 'shared-a', anonymousId: 'shared-device', traits: { name: 'A' } });
      await t.settle();
      const a = await lookup('userId=shared-a');
      await send('/v1/identify', { userId: 'shared-b', anonymousId: 'shared-device', traits: { name: 'B' } });
      await t.settle();
      const b = await lookup('userId=shared-b');
      expect(b.id).not.to.equal(a.id);
      expect(b.anonymousIds).to.deep.equal([]);
      expect(b.traits).to.deep.equal({ name: 'B' });
      const device = await lookup('anonymousId=shared-device');
      expect(device.id).to.equal(a.id);
      expect(device.userIds).to.deep.equal(['shared-a']);
      expect(device.traits).to.deep.equal({ name: 'A' });
    });

    it('does not join it into a user who already has a profile either', async () => {
      await send('/v1/identify', { userId: 'shared-c', traits: { name: 'C' } });
      await send('/v1/identify', { userId: 'shared-d', anonymousId: 'shared-laptop', traits: { name: 'D' } });
      await t.settle();
      await send('/v1/track', { userId: 'shared-c', anonymousId: 'shared-laptop', event: 'Borrowed Laptop' });
      await t.settle();
      const c = await lookup('userId=shared-c');
      const d = await lookup('userId=shared-d');
      expect(c.id).not.to.equal(d.id);
      expect(c.anonymousIds).not.to.include('shared-laptop');
      expect((await lookup('anonymousId=shared-laptop')).id).to.equal(d.id);
      expect(c.traits).to.deep.equal({ name: 'C' });
    });

    it('is not moved by an alias either: no two users merged, no user renamed (found by an audit)', async () => {
      await send('/v1/identify', { userId: 'alias-u3', anonymousId: 'alias-a3', traits: { name: 'three' } });
      await send('/v1/identify', { userId: 'alias-u4', traits: { name: 'four' } });
      await send('/v1/identify', { userId: 'alias-v1', anonymousId: 'alias-va' });
      await t.settle();
      await send('/v1/alias', { previousId: 'alias-a3', userId: 'alias-u4' });
      await send('/v1/alias', { previousId: 'alias-va', userId: 'alias-v2' });
      await t.settle();
      const u3 = await lookup('userId=alias-u3');
      const u4 = await lookup('userId=alias-u4');
      expect(u3.id).not.to.equal(u4.id);
      expect(u3).to.include({ userId: 'alias-u3' });
      expect(u3.anonymousIds).to.deep.equal(['alias-a3']);
      expect(u4.traits).to.deep.equal({ name: 'four' });
      const v1 = await lookup('userId=alias-v1');
      expect(v1.userIds).to.deep.equal(['alias-v1']);
      const v2 = await lookup('userId=alias-v2');
      expect(v2.id).not.to.equal(v1.id);
      expect((await lookup('anonymousId=alias-va')).id).to.equal(v1.id);
    });
  });

  describe('Many users in one batch', () => {
    it('applies each user\'s events in order, whatever the interleaving', async () => {
      const users = Array.from({ length: 12 }, (_, i) => `batch-user-${i}`);
      const batch: Record<string, unknown>[] = [];
      for (const userId of users) batch.push({ type: 'identify', userId, traits: { plan: 'free', n: 1 } });
      for (const userId of [...users].reverse()) batch.push({ type: 'track', userId, event: 'Batch Event' });
      for (const [i, userId] of users.entries()) batch.push({ type: 'identify', userId, traits: { plan: 'pro', n: i + 2 } });
      const res = await t.ingest('/v1/batch', { batch });
      expect(res.status).to.equal(200);
      expect(res.body.stored).to.equal(batch.length);
      await t.settle();
      for (const [i, userId] of users.entries()) {
        const profile = await lookup(`userId=${userId}`);
        expect(profile.traits, userId).to.deep.equal({ plan: 'pro', n: i + 2 });
      }
    });

    it('joins an anonymous phase and a sign-up sent together in one batch', async () => {
      const res = await t.ingest('/v1/batch', {
        batch: [
          { type: 'identify', anonymousId: 'batch-anon-1', traits: { source: 'ad' } },
          { type: 'identify', anonymousId: 'batch-anon-2', traits: { source: 'seo' } },
          { type: 'identify', userId: 'batch-signup-2', anonymousId: 'batch-anon-2', traits: { plan: 'free' } },
          { type: 'identify', userId: 'batch-signup-1', anonymousId: 'batch-anon-1', traits: { plan: 'free' } },
          { type: 'identify', userId: 'batch-signup-1', traits: { plan: 'pro' } },
        ],
      });
      expect(res.status).to.equal(200);
      await t.settle();
      const one = await lookup('userId=batch-signup-1');
      expect((await lookup('anonymousId=batch-anon-1')).id).to.equal(one.id);
      expect(one.traits).to.deep.equal({ source: 'ad', plan: 'pro' });
      const two = await lookup('userId=batch-signup-2');
      expect((await lookup('anonymousId=batch-anon-2')).id).to.equal(two.id);
      expect(two.traits).to.deep.equal({ source: 'seo', plan: 'free' });
    });

    it('keeps per-user order across processing rounds', async () => {
      const small = await startTestEngine({ processorBatchSize: 3 });
      try {
        const batch = ['free', 'basic', 'team', 'pro'].flatMap((plan) => [
          { type: 'identify', userId: 'rounds-x', traits: { plan } },
          { type: 'identify', userId: 'rounds-y', traits: { plan: `${plan}-y` } },
        ]);
        expect((await small.ingest('/v1/batch', { batch })).status).to.equal(200);
        await small.settle();
        const x = await small.api('GET', '/api/v1/profiles/lookup?userId=rounds-x');
        const y = await small.api('GET', '/api/v1/profiles/lookup?userId=rounds-y');
        expect(x.body.profile.traits).to.deep.equal({ plan: 'pro' });
        expect(y.body.profile.traits).to.deep.equal({ plan: 'pro-y' });
      } finally {
        await small.close();
      }
    });
  });

  describe('First and last seen', () => {
    it('follows event timestamps, including late-arriving ones', async () => {
      await send('/v1/track', { userId: 'seen-1', event: 'E', timestamp: '2024-03-02T10:00:00.000Z' });
      await send('/v1/identify', { userId: 'seen-1', traits: {}, timestamp: '2024-03-05T10:00:00.000Z' });
      await send('/v1/track', { userId: 'seen-1', event: 'E', timestamp: '2024-03-03T10:00:00.000Z' });
      await t.settle();
      let profile = await lookup('userId=seen-1');
      expect(profile.firstSeenAt).to.equal('2024-03-02T10:00:00.000Z');
      expect(profile.lastSeenAt).to.equal('2024-03-05T10:00:00.000Z');

      await send('/v1/track', { userId: 'seen-1', event: 'E', timestamp: '2024-02-28T00:00:00.000Z' });
      await t.settle();
      profile = await lookup('userId=seen-1');
      expect(profile.firstSeenAt).to.equal('2024-02-28T00:00:00.000Z');
      expect(profile.lastSeenAt).to.equal('2024-03-05T10:00:00.000Z');
    });

    it('spans both histories after a join', async () => {
      await send('/v1/track', { anonymousId: 'seen-anon', event: 'E', timestamp: '2023-01-01T00:00:00.000Z' });
      await send('/v1/identify', { userId: 'seen-2', traits: {}, timestamp: '2023-06-01T00:00:00.000Z' });
      await t.settle();
      await send('/v1/alias', { previousId: 'seen-anon', userId: 'seen-2', timestamp: '2023-03-01T00:00:00.000Z' });
      await t.settle();
      const profile = await lookup('userId=seen-2');
      expect(profile.firstSeenAt).to.equal('2023-01-01T00:00:00.000Z');
      expect(profile.lastSeenAt).to.equal('2023-06-01T00:00:00.000Z');
    });

    it('uses the receive time when the client sends no timestamp', async () => {
      const before = new Date().toISOString();
      await send('/v1/track', { userId: 'seen-3', event: 'E' });
      await t.settle();
      const after = new Date().toISOString();
      const profile = await lookup('userId=seen-3');
      expect(profile.firstSeenAt >= before && profile.firstSeenAt <= after, profile.firstSeenAt).to.equal(true);
      expect(profile.lastSeenAt).to.equal(profile.firstSeenAt);
    });
  });
});
