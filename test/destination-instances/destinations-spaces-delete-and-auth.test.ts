/**
 * The destinations management API, through real HTTP: space isolation, the "in use" guard on
 * delete (drafts and live versions), and the credentials check.
 *
 * The credentials check (POST .../test-authentication) runs on the API thread, so nock in this
 * process intercepts it; 127.0.0.1 stays reachable so the test can talk to the engine.
 */
import { expect } from 'chai';
import nock from 'nock';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { useNock } from '../destinations/support/use-nock.ts';
import { createDestination, createSpace, expectError, journeyDoc, listDestinations, uniqueName } from './destination-api-helpers.ts';

describe('destinations API: spaces, delete while in use and the credentials check', () => {
  let t: TestEngine;
  useNock();
  before(async () => {
    t = await startTestEngine();
  });
  after(async () => {
    await t.close();
  });

  describe('spaces', () => {
    it("another space's admin token can neither see nor change the destination (404), nor list it", async () => {
      const created = await createDestination(t, { plugin: 'form-api', name: uniqueName('Private'), settings: { baseUrl: 'https://forms.example.com/v1', apiToken: 'tok' } });
      const other = await createSpace(t, uniqueName('Intruder'));
      const token = other.adminToken;
      expectError(await t.api('GET', `/api/v1/destinations/${created.id}`, undefined, { token }), 404, 'not_found');
      expectError(await t.api('PUT', `/api/v1/destinations/${created.id}`, { plugin: 'webhook', name: 'Hijacked' }, { token }), 404, 'not_found');
      expectError(await t.api('DELETE', `/api/v1/destinations/${created.id}`, undefined, { token }), 404, 'not_found');
      expectError(await t.api('POST', `/api/v1/destinations/${created.id}/test-authentication`, undefined, { token }), 404, 'not_found');
      expect((await listDestinations(t, token)).map((d) => d.id)).not.to.include(created.id);
      expect((await t.api('GET', `/api/v1/destinations/${created.id}`)).body.destination).to.deep.equal(created);
    });
  });

  describe('delete while in use', () => {
    it('DELETE answers 409 destination_in_use while a journey draft sends to it, and 204 once the send step is changed', async () => {
      const dst = await createDestination(t, { plugin: 'webhook', name: uniqueName('In use') });
      const journeyName = uniqueName('Uses the hook');
      const created = await t.api('POST', '/api/v1/journeys', journeyDoc(journeyName, { type: 'destination', destinationId: dst.id, action: 'send' }));
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const journeyId = created.body.journey.id;

      const refused = await t.api('DELETE', `/api/v1/destinations/${dst.id}`);
      expectError(refused, 409, 'destination_in_use');
      expect(refused.body.error.journeys).to.deep.equal([{ id: journeyId, name: journeyName }]);
      expect((await t.api('GET', `/api/v1/destinations/${dst.id}`)).status).to.equal(200);

      const changed = await t.api('PUT', `/api/v1/journeys/${journeyId}`, journeyDoc(journeyName, null));
      expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
      expect((await t.api('DELETE', `/api/v1/destinations/${dst.id}`)).status).to.equal(204);
      expectError(await t.api('GET', `/api/v1/destinations/${dst.id}`), 404, 'not_found');
    });
  });

  describe('changing the plugin while in use', () => {
    it('PUT with another plugin answers 409 destination_in_use while a journey sends to it (nothing changes); other edits and, once unused, the plugin change pass', async () => {
      const dst = await createDestination(t, { plugin: 'webhook', name: uniqueName('Plugin fixed') });
      const journeyName = uniqueName('Sends to the hook');
      const created = await t.api('POST', '/api/v1/journeys', journeyDoc(journeyName, { type: 'destination', destinationId: dst.id, action: 'send' }));
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const journeyId = created.body.journey.id;
      const formApi = { plugin: 'form-api', name: dst.name, settings: { baseUrl: 'https://forms.example.com/v1', apiToken: 'tok' } };

      const refused = await t.api('PUT', `/api/v1/destinations/${dst.id}`, formApi);
      expectError(refused, 409, 'destination_in_use');
      expect(refused.body.error.journeys).to.deep.equal([{ id: journeyId, name: journeyName }]);
      expect(refused.body.error.path).to.equal('/plugin');
      expect(refused.body.error.message).to.include("from 'webhook' to 'form-api'");
      expect((await t.api('GET', `/api/v1/destinations/${dst.id}`)).body.destination.plugin).to.equal('webhook');

      const renamed = await t.api('PUT', `/api/v1/destinations/${dst.id}`, { plugin: 'webhook', name: `${dst.name} (renamed)`, settings: {} });
      expect(renamed.status, JSON.stringify(renamed.body)).to.equal(200);

      const changed = await t.api('PUT', `/api/v1/journeys/${journeyId}`, journeyDoc(journeyName, null));
      expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
      const moved = await t.api('PUT', `/api/v1/destinations/${dst.id}`, formApi);
      expect(moved.status, JSON.stringify(moved.body)).to.equal(200);
      expect(moved.body.destination.plugin).to.equal('form-api');
    });
  });

  describe('delete while a published version sends to it', () => {
    it('a draft that no longer sends to it is not enough: the live version still does (409)', async () => {
      const dst = await createDestination(t, { plugin: 'webhook', name: uniqueName('Live use') });
      const seed = await t.ingest('/v1/track', { userId: uniqueName('seed').replace(/\s/g, '-'), event: 'Destination Probe Started' });
      expect(seed.status).to.equal(200);
      await t.settle();
      const journeyName = uniqueName('Live journey');
      const created = await t.api('POST', '/api/v1/journeys', journeyDoc(journeyName, { type: 'destination', destinationId: dst.id, action: 'send' }));
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const journeyId = created.body.journey.id;
      const published = await t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {});
      expect(published.status, JSON.stringify(published.body)).to.equal(200);

      const draft = await t.api('PUT', `/api/v1/journeys/${journeyId}`, journeyDoc(journeyName, null));
      expect(draft.status, JSON.stringify(draft.body)).to.equal(200);
      expect(draft.body.journey.hasDraft).to.equal(true);
      const refused = await t.api('DELETE', `/api/v1/destinations/${dst.id}`);
      expectError(refused, 409, 'destination_in_use');
      expect(refused.body.error.journeys).to.deep.equal([{ id: journeyId, name: journeyName }]);
      expect((await t.api('GET', `/api/v1/destinations/${dst.id}`)).status).to.equal(200);
    });
  });

  describe('test-authentication', () => {
    const settings = { baseUrl: 'https://api.forms.example.com/v2', apiToken: 'tok-auth', authTestUrl: 'https://auth.forms.example.com/check' };

    it('answers ok when the check URL accepts the Bearer token', async () => {
      const dst = await createDestination(t, { plugin: 'form-api', name: uniqueName('Auth ok'), settings });
      const scope = nock('https://auth.forms.example.com').matchHeader('authorization', 'Bearer tok-auth').get('/check').reply(200, {});
      const res = await t.api('POST', `/api/v1/destinations/${dst.id}/test-authentication`);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ ok: true });
      expect(scope.isDone()).to.equal(true);
    });

    it('answers not ok with the status when the check URL refuses the token', async () => {
      const dst = await createDestination(t, { plugin: 'form-api', name: uniqueName('Auth bad'), settings });
      const scope = nock('https://auth.forms.example.com').get('/check').reply(401, { error: 'bad token' });
      const res = await t.api('POST', `/api/v1/destinations/${dst.id}/test-authentication`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ok: false, status: 401 });
      expect(res.body.message).to.be.a('string').and.not.empty;
      expect(scope.isDone()).to.equal(true);
    });

    it('defaults the check to <base URL>/me', async () => {
      const dst = await createDestination(t, { plugin: 'form-api', name: uniqueName('Auth default'), settings: { baseUrl: 'https://api.forms.example.com/v2/', apiToken: 'tok-x' } });
      const scope = nock('https://api.forms.example.com').get('/v2/me').reply(403);
      const res = await t.api('POST', `/api/v1/destinations/${dst.id}/test-authentication`);
      expect(res.body).to.include({ ok: false, status: 403 });
      expect(scope.isDone()).to.equal(true);
    });

    it('a plugin without a credentials check answers ok', async () => {
      const dst = await createDestination(t, { plugin: 'webhook', name: uniqueName('No check') });
      const res = await t.api('POST', `/api/v1/destinations/${dst.id}/test-authentication`);
      expect(res.body).to.deep.equal({ ok: true });
    });
  });
});
