import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

/** A space created through the operator API, with the secrets shown once at creation. */
interface CreatedSpace {
  id: string;
  writeKey: string;
  adminToken: string;
  writeKeyId: string;
  adminTokenId: string;
}

async function createSpace(t: TestEngine, name: string): Promise<CreatedSpace> {
  const res = await t.api('POST', '/api/v1/spaces', { name }, { token: t.operatorToken });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return {
    id: res.body.space.id, writeKey: res.body.writeKey.secret, adminToken: res.body.adminToken.secret,
    writeKeyId: res.body.writeKey.id, adminTokenId: res.body.adminToken.id,
  };
}

/** Whether ingest accepts this write key (200) or refuses it (401 with its code). */
async function ingestStatus(t: TestEngine, writeKey: string): Promise<number> {
  return (await t.ingest('/v1/track', { userId: 'probe', event: 'Probe' }, { writeKey })).status;
}

describe('api: spaces and credentials', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  describe('operator manages spaces', () => {
    it('creates a space and shows its secrets once; the listing shows only hints', async () => {
      const res = await t.api('POST', '/api/v1/spaces', { name: '  Acme  ' }, { token: t.operatorToken });
      expect(res.status).to.equal(201);
      expect(res.body.space).to.include({ name: 'Acme' });
      expect(res.body.writeKey).to.include({ kind: 'write_key', spaceId: res.body.space.id });
      expect(res.body.adminToken).to.include({ kind: 'admin_token', spaceId: res.body.space.id });
      const writeKey: string = res.body.writeKey.secret;
      const adminToken: string = res.body.adminToken.secret;
      expect(writeKey).to.match(/^wk_/);
      expect(adminToken).to.match(/^adm_/);
      expect(res.body.writeKey).not.to.have.property('hash');

      const listed = await t.api('GET', '/api/v1/credentials', undefined, { token: adminToken });
      expect(listed.status).to.equal(200);
      expect(listed.body.credentials).to.have.length(2);
      const text = JSON.stringify(listed.body);
      expect(text).not.to.contain(writeKey);
      expect(text).not.to.contain(adminToken);
      for (const c of listed.body.credentials) {
        expect(c).not.to.have.property('secret');
        expect(c).not.to.have.property('hash');
        expect(c.hint).to.be.a('string');
      }
      const hints = listed.body.credentials.map((c: { hint: string }) => c.hint);
      expect(hints).to.have.members([`${writeKey.slice(0, 7)}…`, `${adminToken.slice(0, 7)}…`]);

      const space = await t.api('GET', '/api/v1/space', undefined, { token: adminToken });
      expect(space.body.space).to.deep.equal(res.body.space);
      expect(await ingestStatus(t, writeKey)).to.equal(200);
    });

    it('lists spaces, the default one included', async () => {
      const created = await createSpace(t, 'Listed');
      const res = await t.api('GET', '/api/v1/spaces', undefined, { token: t.operatorToken });
      expect(res.status).to.equal(200);
      const ids = res.body.spaces.map((s: { id: string }) => s.id);
      expect(ids).to.include.members(['default', created.id]);
      expect(JSON.stringify(res.body)).not.to.contain(created.writeKey);
    });

    it('deletes a space: 204, then its write key and admin token stop working', async () => {
      const s = await createSpace(t, 'Doomed');
      expect(await ingestStatus(t, s.writeKey)).to.equal(200);
      expect((await t.api('GET', '/api/v1/space', undefined, { token: s.adminToken })).status).to.equal(200);

      const del = await t.api('DELETE', `/api/v1/spaces/${s.id}`, undefined, { token: t.operatorToken });
      expect(del.status).to.equal(204);

      const ingest = await t.ingest('/v1/track', { userId: 'u', event: 'After Delete' }, { writeKey: s.writeKey });
      expect(ingest.status).to.equal(401);
      expect(ingest.body.error.code).to.equal('invalid_credentials');
      const admin = await t.api('GET', '/api/v1/space', undefined, { token: s.adminToken });
      expect(admin.status).to.equal(401);
      expect(admin.body.error.code).to.equal('invalid_credentials');
      const list = await t.api('GET', '/api/v1/spaces', undefined, { token: t.operatorToken });
      expect(list.body.spaces.map((x: { id: string }) => x.id)).not.to.include(s.id);
      const again = await t.api('DELETE', `/api/v1/spaces/${s.id}`, undefined, { token: t.operatorToken });
      expect(again.status).to.equal(404);
      expect(again.body.error.code).to.equal('not_found');
    });

    it('refuses to delete the default space (409) and keeps it working', async () => {
      const res = await t.api('DELETE', '/api/v1/spaces/default', undefined, { token: t.operatorToken });
      expect(res.status).to.equal(409);
      expect(res.body.error.code).to.equal('conflict');
      expect(await ingestStatus(t, t.writeKey)).to.equal(200);
    });

    it('rejects bad bodies: bad JSON, missing name, unknown property, non-object', async () => {
      const bad = await t.api('POST', '/api/v1/spaces', undefined, { token: t.operatorToken, raw: '{"name": ' });
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal('invalid_json');
      const missing = await t.api('POST', '/api/v1/spaces', {}, { token: t.operatorToken });
      expect(missing.status).to.equal(400);
      expect(missing.body.error).to.include({ code: 'invalid_request', path: '/name' });
      // A misspelt or unsupported property is refused rather than ignored (and no space is made).
      const unknown = await t.api('POST', '/api/v1/spaces', { name: 'x', label: 'y' }, { token: t.operatorToken });
      expect(unknown.status).to.equal(400);
      expect(unknown.body.error).to.include({ code: 'invalid_request', path: '/label' });
      expect(unknown.body.error.message).to.contain("unknown property 'label'");
      const blank = await t.api('POST', '/api/v1/spaces', { name: '   ' }, { token: t.operatorToken });
      expect(blank.body.error).to.include({ code: 'invalid_request', path: '/name' });
      const array = await t.api('POST', '/api/v1/spaces', [{ name: 'x' }], { token: t.operatorToken });
      expect(array.status).to.equal(400);
      expect(array.body.error.code).to.equal('invalid_request');
      const before = await t.api('GET', '/api/v1/spaces', undefined, { token: t.operatorToken });
      expect(before.body.spaces.map((s: { name: string }) => s.name)).not.to.include('x');
    });
  });

  describe('authentication and authorization', () => {
    it('answers 401 missing_credentials without a bearer token, on both route families', async () => {
      for (const path of ['/api/v1/spaces', '/api/v1/credentials', '/api/v1/audiences']) {
        const res = await t.api('GET', path, undefined, { token: null });
        expect(res.status, path).to.equal(401);
        expect(res.body.error.code, path).to.equal('missing_credentials');
      }
      const basic = await t.api('GET', '/api/v1/audiences', undefined, { token: null, headers: { authorization: 'Basic abc' } });
      expect(basic.body.error.code).to.equal('missing_credentials');
    });

    it('answers 401 invalid_credentials for an unknown token, and for a write key used as a bearer', async () => {
      for (const token of ['adm_not-a-real-token', t.writeKey]) {
        for (const path of ['/api/v1/spaces', '/api/v1/profiles/lookup?userId=x']) {
          const res = await t.api('GET', path, undefined, { token });
          expect(res.status, path).to.equal(401);
          expect(res.body.error.code, path).to.equal('invalid_credentials');
        }
      }
    });

    it('forbids admin tokens on space management (403)', async () => {
      const list = await t.api('GET', '/api/v1/spaces', undefined, { token: t.adminToken });
      expect(list.status).to.equal(403);
      expect(list.body.error.code).to.equal('forbidden');
      const create = await t.api('POST', '/api/v1/spaces', { name: 'Sneaky' }, { token: t.adminToken });
      expect(create.status).to.equal(403);
      const spaces = await t.api('GET', '/api/v1/spaces', undefined, { token: t.operatorToken });
      expect(spaces.body.spaces.map((s: { name: string }) => s.name)).not.to.include('Sneaky');
    });

    it('forbids the operator token on space routes (403)', async () => {
      for (const [method, path] of [['GET', '/api/v1/space'], ['GET', '/api/v1/audiences'], ['GET', '/api/v1/events'],
        ['POST', '/api/v1/credentials']] as const) {
        const res = await t.api(method, path, method === 'POST' ? { kind: 'admin_token' } : undefined, { token: t.operatorToken });
        expect(res.status, path).to.equal(403);
        expect(res.body.error.code, path).to.equal('forbidden');
      }
    });

    it('refuses a write key of another kind and a missing one on ingest', async () => {
      const res = await t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: t.adminToken });
      expect(res.status).to.equal(401);
      expect(res.body.error.code).to.equal('invalid_credentials');
      const none = await t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: null });
      expect(none.status).to.equal(401);
      expect(none.body.error.code).to.equal('missing_credentials');
    });
  });

  describe('isolation between spaces', () => {
    let b: CreatedSpace;
    let bProfileId: string;
    let bAudienceId: string;
    before(async () => {
      b = await createSpace(t, 'Space B');
      const batch = await t.ingest('/v1/batch', {
        batch: [
          { type: 'identify', userId: 'b-user', traits: { email: 'b@example.com', plan: 'pro' } },
          { type: 'track', userId: 'b-user', event: 'B Only Event', properties: { secret: 1 } },
        ],
      }, { writeKey: b.writeKey });
      expect(batch.status).to.equal(200);
      await t.settle();
      const lookup = await t.api('GET', '/api/v1/profiles/lookup?userId=b-user', undefined, { token: b.adminToken });
      expect(lookup.status).to.equal(200);
      bProfileId = lookup.body.profile.id;
      const audience = await t.api('POST', '/api/v1/audiences', { name: 'B pros', rule: [{ path: 'plan', operator: 'equals', value: 'pro' }] },
        { token: b.adminToken });
      expect(audience.status).to.equal(201);
      bAudienceId = audience.body.audience.id;
    });

    it("hides B's profiles from A's admin token", async () => {
      for (const query of ['userId=b-user', 'email=b%40example.com']) {
        const res = await t.api('GET', `/api/v1/profiles/lookup?${query}`);
        expect(res.status, query).to.equal(404);
        expect(res.body.error.code).to.equal('not_found');
      }
      expect((await t.api('GET', `/api/v1/profiles/${bProfileId}`)).status).to.equal(404);
      expect((await t.api('GET', `/api/v1/profiles/${bProfileId}/audiences`)).status).to.equal(404);
    });

    it("hides B's audiences from A and refuses to change them", async () => {
      const list = await t.api('GET', '/api/v1/audiences');
      expect(list.body.audiences.map((a: { id: string }) => a.id)).not.to.include(bAudienceId);
      expect((await t.api('GET', `/api/v1/audiences/${bAudienceId}`)).status).to.equal(404);
      expect((await t.api('GET', `/api/v1/audiences/${bAudienceId}/members`)).status).to.equal(404);
      const put = await t.api('PUT', `/api/v1/audiences/${bAudienceId}`, { name: 'Hijacked' });
      expect(put.status).to.equal(404);
      const remove = await t.api('POST', `/api/v1/audiences/${bAudienceId}/members`, { remove: [{ profileId: bProfileId }] });
      expect(remove.status).to.equal(404);
      expect((await t.api('DELETE', `/api/v1/audiences/${bAudienceId}`)).status).to.equal(404);
      const mine = await t.api('POST', '/api/v1/audiences', { name: 'A list' });
      const steal = await t.api('POST', `/api/v1/audiences/${mine.body.audience.id}/members`, { add: [{ profileId: bProfileId }] });
      expect(steal.status, "B's profile cannot join A's audience").to.equal(404);
      const byEmail = await t.api('POST', `/api/v1/audiences/${mine.body.audience.id}/members`, { add: [{ email: 'b@example.com' }] });
      expect(byEmail.status).to.equal(404);

      const own = await t.api('GET', `/api/v1/audiences/${bAudienceId}`, undefined, { token: b.adminToken });
      expect(own.body.audience.name).to.equal('B pros');
      const members = await t.api('GET', `/api/v1/audiences/${bAudienceId}/members`, undefined, { token: b.adminToken });
      expect(members.body.profileIds).to.deep.equal([bProfileId]);
    });

    it("hides B's events and catalog from A", async () => {
      const events = await t.api('GET', '/api/v1/events?userId=b-user');
      expect(events.status).to.equal(200);
      expect(events.body.events).to.deep.equal([]);
      const all = await t.api('GET', '/api/v1/events?event=B%20Only%20Event');
      expect(all.body.events).to.deep.equal([]);
      expect((await t.api('GET', '/api/v1/catalog/events/B%20Only%20Event')).status).to.equal(404);
      const own = await t.api('GET', '/api/v1/events?userId=b-user', undefined, { token: b.adminToken });
      expect(own.body.events).to.have.length(2);
    });

    it("keeps B's credentials out of A's reach", async () => {
      const list = await t.api('GET', '/api/v1/credentials');
      const ids = list.body.credentials.map((c: { id: string }) => c.id);
      expect(ids).not.to.include(b.writeKeyId);
      expect(ids).not.to.include(b.adminTokenId);
      const revoke = await t.api('DELETE', `/api/v1/credentials/${b.writeKeyId}`);
      expect(revoke.status).to.equal(404);
      const rotate = await t.api('POST', `/api/v1/credentials/${b.adminTokenId}/rotate`);
      expect(rotate.status).to.equal(404);
      expect(await ingestStatus(t, b.writeKey)).to.equal(200);
      expect((await t.api('GET', '/api/v1/space', undefined, { token: b.adminToken })).status).to.equal(200);
    });

    it('each admin token sees its own space only', async () => {
      const space = await t.api('GET', '/api/v1/space', undefined, { token: b.adminToken });
      expect(space.body.space.id).to.equal(b.id);
      const mine = await t.api('GET', '/api/v1/space');
      expect(mine.body.space.id).to.equal('default');
    });
  });

  describe('issuing, rotating and revoking credentials', () => {
    let s: CreatedSpace;
    beforeEach(async () => { s = await createSpace(t, 'Keys'); });
    const asS = (method: string, path: string, body?: unknown) => t.api(method, path, body, { token: s.adminToken });

    it('issues a new write key and a new admin token that work at once', async () => {
      const wk = await asS('POST', '/api/v1/credentials', { kind: 'write_key', label: 'ios app' });
      expect(wk.status).to.equal(201);
      expect(wk.body.credential).to.include({ kind: 'write_key', label: 'ios app', spaceId: s.id, revokedAt: null });
      expect(await ingestStatus(t, wk.body.credential.secret)).to.equal(200);
      const adm = await asS('POST', '/api/v1/credentials', { kind: 'admin_token' });
      expect(adm.status).to.equal(201);
      expect(adm.body.credential.label).to.equal(null);
      const space = await t.api('GET', '/api/v1/space', undefined, { token: adm.body.credential.secret });
      expect(space.body.space.id).to.equal(s.id);
      const list = await asS('GET', '/api/v1/credentials');
      expect(list.body.credentials).to.have.length(4);
      expect(JSON.stringify(list.body)).not.to.contain(wk.body.credential.secret);
    });

    it('rotates a write key: the old one stops at once, the new one works', async () => {
      expect(await ingestStatus(t, s.writeKey)).to.equal(200); // cached as valid before rotation
      const res = await asS('POST', `/api/v1/credentials/${s.writeKeyId}/rotate`);
      expect(res.status).to.equal(201);
      expect(res.body.credential.kind).to.equal('write_key');
      expect(res.body.credential.id).not.to.equal(s.writeKeyId);
      expect(await ingestStatus(t, s.writeKey)).to.equal(401);
      expect(await ingestStatus(t, res.body.credential.secret)).to.equal(200);
      const list = await asS('GET', '/api/v1/credentials');
      const old = list.body.credentials.find((c: { id: string }) => c.id === s.writeKeyId);
      expect(old.revokedAt).to.be.a('string');
      const twice = await asS('POST', `/api/v1/credentials/${s.writeKeyId}/rotate`);
      expect(twice.status).to.equal(409);
    });

    it('rotates the admin token in use: the old one stops at once, the new one works', async () => {
      const res = await asS('POST', `/api/v1/credentials/${s.adminTokenId}/rotate`);
      expect(res.status).to.equal(201);
      const old = await asS('GET', '/api/v1/space');
      expect(old.status).to.equal(401);
      expect(old.body.error.code).to.equal('invalid_credentials');
      const fresh = await t.api('GET', '/api/v1/space', undefined, { token: res.body.credential.secret });
      expect(fresh.status).to.equal(200);
    });

    it('revokes: 401 at once, a second revoke is 409, an unknown id 404', async () => {
      expect(await ingestStatus(t, s.writeKey)).to.equal(200);
      const res = await asS('DELETE', `/api/v1/credentials/${s.writeKeyId}`);
      expect(res.status).to.equal(204);
      const after = await t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: s.writeKey });
      expect(after.status).to.equal(401);
      expect(after.body.error.code).to.equal('invalid_credentials');
      const twice = await asS('DELETE', `/api/v1/credentials/${s.writeKeyId}`);
      expect(twice.status).to.equal(409);
      expect(twice.body.error.code).to.equal('conflict');
      const unknown = await asS('DELETE', '/api/v1/credentials/cred_nope');
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal('not_found');
      expect((await asS('POST', '/api/v1/credentials/cred_nope/rotate')).status).to.equal(404);
    });

    it('rejects a bad kind, a bad label and bad JSON without issuing anything', async () => {
      const bogus = await asS('POST', '/api/v1/credentials', { kind: 'root' });
      expect(bogus.status).to.equal(400);
      expect(bogus.body.error).to.include({ code: 'invalid_request', path: '/kind' });
      const missing = await asS('POST', '/api/v1/credentials', {});
      expect(missing.body.error).to.include({ code: 'invalid_request', path: '/kind' });
      const label = await asS('POST', '/api/v1/credentials', { kind: 'write_key', label: 42 });
      expect(label.body.error).to.include({ code: 'invalid_request', path: '/label' });
      const json = await t.api('POST', '/api/v1/credentials', undefined, { token: s.adminToken, raw: 'kind=write_key' });
      expect(json.status).to.equal(400);
      expect(json.body.error.code).to.equal('invalid_json');
      const list = await asS('GET', '/api/v1/credentials');
      expect(list.body.credentials).to.have.length(2);
    });
  });
});
