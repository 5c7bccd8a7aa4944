/**
 * The destinations management API, through real HTTP: validation of destination bodies and
 * plugin settings, and secret settings (never returned, kept, replaced, cleared, the marker).
 *
 * The credentials check (POST .../test-authentication) runs on the API thread, so nock in this
 * process intercepts it; 127.0.0.1 stays reachable so the test can talk to the engine.
 */
import { expect } from 'chai';
import nock from 'nock';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { capture, useNock } from '../destinations/support/use-nock.ts';
import { SECRET, createDestination, expectError, listDestinations, uniqueName } from './destination-api-helpers.ts';

describe('destinations API: validation and secret settings', () => {
  let t: TestEngine;
  useNock();
  before(async () => {
    t = await startTestEngine();
  });
  after(async () => {
    await t.close();
  });

  describe('validation', () => {
    it('an unknown plugin answers 400 unknown_plugin at /plugin and stores nothing', async () => {
      const before = await listDestinations(t);
      for (const plugin of ['no-such-plugin', 'catalog-no-such-folder', 'UPPER']) {
        expectError(await t.api('POST', '/api/v1/destinations', { plugin, name: uniqueName('Unknown plugin') }), 400, 'unknown_plugin', '/plugin');
      }
      expect(await listDestinations(t)).to.deep.equal(before);
    });

    it('form-api settings: every problem is listed with its path, and nothing is stored', async () => {
      const before = await listDestinations(t);
      const res = await t.api('POST', '/api/v1/destinations', {
        plugin: 'form-api', name: uniqueName('Bad form'), settings: { baseUrl: 'not a url', apiToken: '', authTestUrl: 42, region: 'eu' },
      });
      expectError(res, 400, 'invalid_settings');
      const problems = res.body.error.problems.map((p: any) => `${p.path} ${p.code}`);
      expect(problems).to.have.members([
        '/settings/baseUrl invalid_format',
        '/settings/apiToken required',
        '/settings/authTestUrl invalid_type',
        '/settings/region unknown_setting',
      ]);
      for (const p of res.body.error.problems) expect(p.message).to.be.a('string').and.not.empty;
      // Like every other 400, the error names where: the first problem's path.
      expect(res.body.error.path).to.equal(res.body.error.problems[0].path);

      const missing = await t.api('POST', '/api/v1/destinations', { plugin: 'form-api', name: uniqueName('Empty form') });
      expectError(missing, 400, 'invalid_settings');
      expect(missing.body.error.problems.map((p: any) => `${p.path} ${p.code}`)).to.have.members(['/settings/baseUrl required', '/settings/apiToken required']);
      expect(await listDestinations(t)).to.deep.equal(before);
    });

    it('catalog-customerio settings: both required secrets and a bad region are all reported', async () => {
      const before = await listDestinations(t);
      const res = await t.api('POST', '/api/v1/destinations', {
        plugin: 'catalog-customerio', name: uniqueName('Cio'), settings: { accountRegion: 'Mars' },
      });
      expectError(res, 400, 'invalid_settings');
      expect(res.body.error.problems.map((p: any) => `${p.path} ${p.code}`)).to.have.members([
        '/settings/siteId required', '/settings/apiKey required', '/settings/accountRegion invalid_choice',
      ]);
      expect(await listDestinations(t)).to.deep.equal(before);

      const ok = await createDestination(t, { plugin: 'catalog-customerio', name: uniqueName('Cio ok'), settings: { siteId: 'site-1', apiKey: 'key-1' } });
      expect(ok.settings).to.deep.equal({ siteId: SECRET, apiKey: SECRET });
    });

    const badBodies: Array<[string, unknown, string]> = [
      ['an array', [], ''],
      ['a number', 42, ''],
      ['an unknown property', { plugin: 'webhook', name: 'x', color: 'red' }, '/color'],
      ['no plugin', { name: 'x' }, '/plugin'],
      ['an empty plugin', { plugin: '', name: 'x' }, '/plugin'],
      ['no name', { plugin: 'webhook' }, '/name'],
      ['a blank name', { plugin: 'webhook', name: '   ' }, '/name'],
      ['a name of 201 characters', { plugin: 'webhook', name: 'n'.repeat(201) }, '/name'],
      ['settings not an object', { plugin: 'webhook', name: 'x', settings: ['a'] }, '/settings'],
      ['enabled not a boolean', { plugin: 'webhook', name: 'x', enabled: 'yes' }, '/enabled'],
      ['delivery not an object', { plugin: 'webhook', name: 'x', delivery: 5 }, '/delivery'],
      ['an unknown delivery option', { plugin: 'webhook', name: 'x', delivery: { retries: 3 } }, '/delivery/retries'],
      ['concurrency 0', { plugin: 'webhook', name: 'x', delivery: { concurrency: 0 } }, '/delivery/concurrency'],
      ['concurrency 1001', { plugin: 'webhook', name: 'x', delivery: { concurrency: 1001 } }, '/delivery/concurrency'],
      ['concurrency 2.5', { plugin: 'webhook', name: 'x', delivery: { concurrency: 2.5 } }, '/delivery/concurrency'],
      ['concurrency as a string', { plugin: 'webhook', name: 'x', delivery: { concurrency: '5' } }, '/delivery/concurrency'],
      ['a negative rate', { plugin: 'webhook', name: 'x', delivery: { ratePerSecond: -1 } }, '/delivery/ratePerSecond'],
      ['timeoutMs 99', { plugin: 'webhook', name: 'x', delivery: { timeoutMs: 99 } }, '/delivery/timeoutMs'],
      ['timeoutMs 120001', { plugin: 'webhook', name: 'x', delivery: { timeoutMs: 120_001 } }, '/delivery/timeoutMs'],
      ['batchSize 1001', { plugin: 'webhook', name: 'x', delivery: { batchSize: 1001 } }, '/delivery/batchSize'],
      ['a negative batchWaitMs', { plugin: 'webhook', name: 'x', delivery: { batchWaitMs: -5 } }, '/delivery/batchWaitMs'],
    ];

    it('bad create bodies answer 400 invalid_request with the path of the bad field, and store nothing', async () => {
      const before = await listDestinations(t);
      for (const [label, body, path] of badBodies) {
        const res = await t.api('POST', '/api/v1/destinations', body);
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).to.equal(400);
        expect(res.body.error.code, label).to.equal('invalid_request');
        expect(res.body.error.path, label).to.equal(path);
      }
      const notJson = await t.api('POST', '/api/v1/destinations', undefined, { raw: '{"plugin":' });
      expect(notJson.status).to.equal(400);
      expect(notJson.body.error.code).to.equal('invalid_json');
      expect(await listDestinations(t)).to.deep.equal(before);
    });

    it('bad replace bodies answer 400 invalid_request with the path and leave the destination unchanged', async () => {
      const created = await createDestination(t, { plugin: 'webhook', name: uniqueName('Keep me') });
      for (const [label, body, path] of badBodies) {
        const res = await t.api('PUT', `/api/v1/destinations/${created.id}`, body);
        expect(res.status, `${label}: ${JSON.stringify(res.body)}`).to.equal(400);
        expect(res.body.error.code, label).to.equal('invalid_request');
        expect(res.body.error.path, label).to.equal(path);
      }
      expect((await t.api('GET', `/api/v1/destinations/${created.id}`)).body.destination).to.deep.equal(created);
    });

    it('accepts the limits of every delivery option', async () => {
      const low = await createDestination(t, {
        plugin: 'webhook', name: uniqueName('Low'), delivery: { concurrency: 1, ratePerSecond: 0, timeoutMs: 100, batchSize: 0, batchWaitMs: 0 },
      });
      expect(low.delivery).to.deep.equal({ concurrency: 1, ratePerSecond: 0, timeoutMs: 100, batchSize: 0, batchWaitMs: 0 });
      const high = await createDestination(t, { plugin: 'webhook', name: uniqueName('High'), delivery: { concurrency: 1000, timeoutMs: 120_000, batchSize: 1000 } });
      expect(high.delivery).to.include({ concurrency: 1000, timeoutMs: 120_000, batchSize: 1000 });
    });
  });

  describe('secret settings', () => {
    const BASE = 'https://forms.example.com';

    /** Runs the credentials check against nock and answers which Authorization header was sent. */
    async function authorizationSent(id: string): Promise<string | null> {
      const seen = capture(nock(BASE).get('/v1/me').reply(200, { me: 'ok' }));
      const res = await t.api('POST', `/api/v1/destinations/${id}/test-authentication`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body, JSON.stringify(res.body)).to.include({ ok: true });
      expect(seen).to.have.length(1);
      return seen[0]!.headers.get('authorization');
    }

    it('are never returned: create, get, list and update all show the marker', async () => {
      const token = 'tok-very-secret-123';
      const created = await createDestination(t, { plugin: 'form-api', name: uniqueName('Secret form'), settings: { baseUrl: `${BASE}/v1`, apiToken: token } });
      expect(created.settings).to.deep.equal({ baseUrl: `${BASE}/v1`, apiToken: SECRET });
      const got = await t.api('GET', `/api/v1/destinations/${created.id}`);
      expect(got.body.destination.settings.apiToken).to.equal(SECRET);
      const list = await t.api('GET', '/api/v1/destinations');
      expect(list.body.destinations.find((d: any) => d.id === created.id).settings.apiToken).to.equal(SECRET);
      const updated = await t.api('PUT', `/api/v1/destinations/${created.id}`, {
        plugin: 'form-api', name: created.name, settings: { baseUrl: `${BASE}/v1`, apiToken: 'tok-another-456' },
      });
      expect(updated.status).to.equal(200);
      expect(updated.body.destination.settings.apiToken).to.equal(SECRET);
      for (const res of [got, list, updated]) {
        expect(JSON.stringify(res.body)).not.to.contain(token);
        expect(JSON.stringify(res.body)).not.to.contain('tok-another-456');
      }

      const hook = await createDestination(t, { plugin: 'webhook', name: uniqueName('Signed'), settings: { sharedSecret: 'hmac-key' } });
      expect(hook.settings).to.deep.equal({ sharedSecret: SECRET });
      expect(JSON.stringify(await listDestinations(t))).not.to.contain('hmac-key');
    });

    it('an update that omits the secret, or sends the marker back, keeps the stored value; a new value replaces it', async () => {
      const created = await createDestination(t, { plugin: 'form-api', name: uniqueName('Keep secret'), settings: { baseUrl: `${BASE}/v1`, apiToken: 'tok-original' } });
      expect(await authorizationSent(created.id)).to.equal('Bearer tok-original');

      const omitted = await t.api('PUT', `/api/v1/destinations/${created.id}`, {
        plugin: 'form-api', name: created.name, settings: { baseUrl: `${BASE}/v1/`, authTestUrl: `${BASE}/v1/me` },
      });
      expect(omitted.status, JSON.stringify(omitted.body)).to.equal(200);
      expect(omitted.body.destination.settings).to.deep.equal({ baseUrl: `${BASE}/v1/`, authTestUrl: `${BASE}/v1/me`, apiToken: SECRET });
      expect(await authorizationSent(created.id)).to.equal('Bearer tok-original');

      const markerBack = await t.api('PUT', `/api/v1/destinations/${created.id}`, {
        plugin: 'form-api', name: created.name, settings: omitted.body.destination.settings,
      });
      expect(markerBack.status, JSON.stringify(markerBack.body)).to.equal(200);
      expect(markerBack.body.destination.version).to.equal(3);
      expect(await authorizationSent(created.id)).to.equal('Bearer tok-original');

      const replaced = await t.api('PUT', `/api/v1/destinations/${created.id}`, {
        plugin: 'form-api', name: created.name, settings: { baseUrl: `${BASE}/v1`, apiToken: 'tok-rotated' },
      });
      expect(replaced.status).to.equal(200);
      expect(await authorizationSent(created.id)).to.equal('Bearer tok-rotated');
    });

    it('null clears a secret: for a required one that is invalid_settings, and the stored value stays', async () => {
      const created = await createDestination(t, { plugin: 'form-api', name: uniqueName('Clear'), settings: { baseUrl: `${BASE}/v1`, apiToken: 'tok-keep' } });
      const res = await t.api('PUT', `/api/v1/destinations/${created.id}`, {
        plugin: 'form-api', name: created.name, settings: { baseUrl: `${BASE}/v1`, apiToken: null },
      });
      expectError(res, 400, 'invalid_settings');
      expect(res.body.error.problems.map((p: any) => `${p.path} ${p.code}`)).to.deep.equal(['/settings/apiToken required']);
      expect(await authorizationSent(created.id)).to.equal('Bearer tok-keep');
    });
  });

  describe('secret marker when the plugin changes', () => {
    it('a marker sent for a secret of the new plugin is not a value: invalid_settings, nothing changed', async () => {
      const created = await createDestination(t, { plugin: 'webhook', name: uniqueName('Was a hook'), settings: { sharedSecret: 'hook-secret' } });
      const res = await t.api('PUT', `/api/v1/destinations/${created.id}`, {
        plugin: 'form-api', name: created.name, settings: { baseUrl: 'https://forms.example.com/v1', apiToken: SECRET },
      });
      // The marker stands for "the stored value", and form-api has none: storing the literal
      // marker as the API token would authenticate with "Bearer ••••".
      expectError(res, 400, 'invalid_settings');
      expect(res.body.error.problems.map((p: any) => `${p.path} ${p.code}`)).to.deep.equal(['/settings/apiToken required']);
      expect((await t.api('GET', `/api/v1/destinations/${created.id}`)).body.destination).to.deep.equal(created);
    });
  });

  describe('secret marker on create', () => {
    it('a marker sent on create is not a value: invalid_settings, nothing stored', async () => {
      const before = await listDestinations(t);
      const res = await t.api('POST', '/api/v1/destinations', {
        plugin: 'form-api', name: uniqueName('Marker create'), settings: { baseUrl: 'https://forms.example.com/v1', apiToken: SECRET },
      });
      expectError(res, 400, 'invalid_settings');
      expect(res.body.error.problems.map((p: any) => `${p.path} ${p.code}`)).to.deep.equal(['/settings/apiToken required']);
      expect(await listDestinations(t)).to.deep.equal(before);
    });
  });
});
