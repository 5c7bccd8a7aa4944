/**
 * The destinations management API, through real HTTP: the plugin listing, configured
 * destinations (create / read / list / replace / delete), their validation, secret handling,
 * space isolation, the "in use" guard and the credentials check.
 *
 * The credentials check (POST .../test-authentication) runs on the API thread, so nock in this
 * process intercepts it; 127.0.0.1 stays reachable so the test can talk to the engine.
 */
import { expect } from 'chai';
import nock from 'nock';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';
import { capture } from '../destinations/support/use-nock.ts';

const SECRET = '••••';
const DEFAULT_DELIVERY = { concurrency: 10, ratePerSecond: 0, timeoutMs: 10_000, batchSize: 0, batchWaitMs: 100 };

let counter = 0;
/** A destination name no other test of this file uses. */
function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix} ${Date.now().toString(36)}-${counter}`;
}

/** Expects an API error with this status, code and (when given) path. */
function expectError(res: Answer, status: number, code: string, path?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body.error.code, JSON.stringify(res.body)).to.equal(code);
  if (path !== undefined) expect(res.body.error.path, JSON.stringify(res.body)).to.equal(path);
}

async function createDestination(t: TestEngine, body: Record<string, unknown>, token?: string): Promise<any> {
  const res = await t.api('POST', '/api/v1/destinations', body, token ? { token } : {});
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.destination;
}

async function listDestinations(t: TestEngine, token?: string): Promise<any[]> {
  const res = await t.api('GET', '/api/v1/destinations', undefined, token ? { token } : {});
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.destinations;
}

async function createSpace(t: TestEngine, name: string): Promise<{ id: string; adminToken: string }> {
  const res = await t.api('POST', '/api/v1/spaces', { name }, { token: t.operatorToken });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return { id: res.body.space.id, adminToken: res.body.adminToken.secret };
}

/** A minimal journey draft whose one send step targets `target`. */
function journeyDoc(name: string, target: unknown): Record<string, unknown> {
  return {
    name,
    entry: { event: 'Destination Probe Started', whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
    start: 'send',
    steps: [
      {
        id: 'send', type: 'send', eventName: 'Probe Sent', target,
        payload: { context: 'all', traits: [] },
        mapping: { url: 'http://127.0.0.1:9/hook', data: { '@path': '$.' } },
        next: 'done',
      },
      { id: 'done', type: 'exit' },
    ],
  };
}

describe('destinations API: plugins and configured destinations', () => {
  let t: TestEngine;
  before(async () => {
    t = await startTestEngine();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.cleanAll();
    nock.abortPendingRequests();
  });
  after(async () => {
    nock.enableNetConnect();
    await t.close();
  });

  describe('plugins', () => {
    it('lists the built-in webhook with its send action, its fields and the secret sharedSecret setting', async () => {
      const res = await t.api('GET', '/api/v1/destination-plugins');
      expect(res.status).to.equal(200);
      const webhook = res.body.plugins.find((p: any) => p.slug === 'webhook');
      expect(webhook).to.include({ slug: 'webhook', name: 'Webhook', source: 'builtin', loaded: true });
      expect(webhook.actions.map((a: any) => a.slug)).to.deep.equal(['send']);
      const fields = Object.fromEntries(webhook.actions[0].fields.map((f: any) => [f.key, f]));
      expect(fields['url']).to.include({ required: true, format: 'uri', type: 'string' });
      expect(fields['method']).to.include({ default: 'POST' });
      expect(fields['method'].choices.map((c: any) => c.value)).to.have.members(['POST', 'PUT', 'PATCH']);
      expect(fields['headers']).to.include({ type: 'object' });
      expect(fields['data'].default).to.deep.equal({ '@path': '$.' });
      expect(fields['idempotency_key'].default).to.deep.equal({ '@path': '$.messageId' });
      expect(webhook.settings.fields).to.have.length(1);
      expect(webhook.settings.fields[0]).to.include({ key: 'sharedSecret', type: 'password', secret: true, required: false });
    });

    it('lists the built-in form-api with its submit action and its required settings (apiToken secret)', async () => {
      const res = await t.api('GET', '/api/v1/destination-plugins');
      const form = res.body.plugins.find((p: any) => p.slug === 'form-api');
      expect(form).to.include({ slug: 'form-api', source: 'builtin', loaded: true });
      expect(form.actions.map((a: any) => a.slug)).to.deep.equal(['submit']);
      const fields = Object.fromEntries(form.actions[0].fields.map((f: any) => [f.key, f]));
      expect(fields['path']).to.include({ required: true, default: '/submissions' });
      expect(fields['email']).to.include({ required: true, format: 'email' });
      const settings = Object.fromEntries(form.settings.fields.map((f: any) => [f.key, f]));
      expect(settings['baseUrl']).to.include({ required: true, secret: false, format: 'uri' });
      expect(settings['apiToken']).to.include({ required: true, secret: true });
      expect(settings['authTestUrl']).to.include({ required: false, secret: false });
    });

    it('lists the verified catalog plugins by name without loading them; GET one loads it and shows its actions', async () => {
      const before = await t.api('GET', '/api/v1/destination-plugins');
      const slugs = before.body.plugins.map((p: any) => p.slug);
      expect(slugs).to.include.members(['catalog-webhook', 'catalog-slack', 'catalog-customerio', 'webhook', 'form-api']);
      expect(slugs).to.deep.equal([...slugs].sort((a: string, b: string) => a.localeCompare(b)));
      const slack = before.body.plugins.find((p: any) => p.slug === 'catalog-slack');
      expect(slack).to.include({ source: 'catalog', loaded: false, verified: true, name: 'Slack' });
      expect(slack).not.to.have.property('actions');
      expect(slack).not.to.have.property('settings');

      const one = await t.api('GET', '/api/v1/destination-plugins/catalog-slack');
      expect(one.status, JSON.stringify(one.body)).to.equal(200);
      expect(one.body.plugin).to.include({ slug: 'catalog-slack', source: 'catalog', loaded: true, verified: true });
      expect(one.body.plugin.actions.map((a: any) => a.slug)).to.include('postToChannel');

      const after = await t.api('GET', '/api/v1/destination-plugins');
      const loaded = after.body.plugins.find((p: any) => p.slug === 'catalog-slack');
      expect(loaded.loaded).to.equal(true);
      expect(loaded.actions.map((a: any) => a.slug)).to.include('postToChannel');
    });

    it('GET of a built-in plugin answers its summary', async () => {
      const res = await t.api('GET', '/api/v1/destination-plugins/form-api');
      expect(res.status).to.equal(200);
      expect(res.body.plugin).to.include({ slug: 'form-api', loaded: true });
      expect(res.body.plugin.actions.map((a: any) => a.slug)).to.deep.equal(['submit']);
    });

    it('GET of an unknown plugin answers 400 unknown_plugin', async () => {
      expectError(await t.api('GET', '/api/v1/destination-plugins/no-such-plugin'), 400, 'unknown_plugin');
      expectError(await t.api('GET', '/api/v1/destination-plugins/catalog-no-such-folder'), 400, 'unknown_plugin');
      expectError(await t.api('GET', '/api/v1/destination-plugins/Not_A_Slug'), 400, 'unknown_plugin');
    });
  });

  describe('create, read, list, replace, delete', () => {
    it('creates a destination with defaults filled in, and GET / list show the same record', async () => {
      const name = uniqueName('Orders hook');
      const created = await createDestination(t, { plugin: 'webhook', name: `  ${name}  `, delivery: { concurrency: 3, timeoutMs: 5000 } });
      expect(created.id).to.match(/^dst_/);
      expect(created).to.include({ name, plugin: 'webhook', enabled: true, version: 1 });
      expect(created.settings).to.deep.equal({});
      expect(created.delivery).to.deep.equal({ ...DEFAULT_DELIVERY, concurrency: 3, timeoutMs: 5000 });
      expect(created).not.to.have.property('spaceId');
      expect(Date.parse(created.createdAt)).to.be.a('number').and.not.NaN;
      expect(created.updatedAt).to.equal(created.createdAt);

      const got = await t.api('GET', `/api/v1/destinations/${created.id}`);
      expect(got.status).to.equal(200);
      expect(got.body.destination).to.deep.equal(created);

      const listed = await listDestinations(t);
      expect(listed.find((d) => d.id === created.id)).to.deep.equal(created);
    });

    it('PUT replaces the whole destination (omitted delivery options go back to defaults) and bumps the version', async () => {
      const created = await createDestination(t, { plugin: 'webhook', name: uniqueName('Replace me'), delivery: { concurrency: 3, batchSize: 50 } });
      const newName = uniqueName('Replaced');
      const res = await t.api('PUT', `/api/v1/destinations/${created.id}`, { plugin: 'webhook', name: newName, enabled: false, delivery: { ratePerSecond: 20 } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.destination).to.include({ id: created.id, name: newName, enabled: false, version: 2, createdAt: created.createdAt });
      expect(res.body.destination.delivery).to.deep.equal({ ...DEFAULT_DELIVERY, ratePerSecond: 20 });
      expect(Date.parse(res.body.destination.updatedAt)).to.be.at.least(Date.parse(created.updatedAt));

      const got = await t.api('GET', `/api/v1/destinations/${created.id}`);
      expect(got.body.destination).to.deep.equal(res.body.destination);
    });

    it('PUT can switch the plugin; the new plugin validates the settings', async () => {
      const created = await createDestination(t, { plugin: 'webhook', name: uniqueName('Switch') });
      const bad = await t.api('PUT', `/api/v1/destinations/${created.id}`, { plugin: 'form-api', name: created.name });
      expectError(bad, 400, 'invalid_settings');
      expect((await t.api('GET', `/api/v1/destinations/${created.id}`)).body.destination).to.deep.equal(created);

      const good = await t.api('PUT', `/api/v1/destinations/${created.id}`, {
        plugin: 'form-api', name: created.name, settings: { baseUrl: 'https://forms.example.com/v1', apiToken: 'tok' },
      });
      expect(good.status, JSON.stringify(good.body)).to.equal(200);
      expect(good.body.destination).to.include({ plugin: 'form-api', version: 2 });
      expect(good.body.destination.settings).to.deep.equal({ baseUrl: 'https://forms.example.com/v1', apiToken: SECRET });
    });

    it('DELETE answers 204; afterwards GET, PUT and DELETE answer 404 and the list no longer shows it', async () => {
      const created = await createDestination(t, { plugin: 'webhook', name: uniqueName('Doomed') });
      const del = await t.api('DELETE', `/api/v1/destinations/${created.id}`);
      expect(del.status).to.equal(204);
      expectError(await t.api('GET', `/api/v1/destinations/${created.id}`), 404, 'not_found');
      expectError(await t.api('PUT', `/api/v1/destinations/${created.id}`, { plugin: 'webhook', name: created.name }), 404, 'not_found');
      expectError(await t.api('DELETE', `/api/v1/destinations/${created.id}`), 404, 'not_found');
      expectError(await t.api('POST', `/api/v1/destinations/${created.id}/test-authentication`), 404, 'not_found');
      expect((await listDestinations(t)).map((d) => d.id)).not.to.include(created.id);
      // The name is free again.
      await createDestination(t, { plugin: 'webhook', name: created.name });
    });

    it('an unknown destination id answers 404 not_found', async () => {
      expectError(await t.api('GET', '/api/v1/destinations/dst_nope'), 404, 'not_found');
    });

    it('requires the admin token', async () => {
      expectError(await t.api('GET', '/api/v1/destinations', undefined, { token: null }), 401, 'missing_credentials');
      const before = await listDestinations(t);
      expectError(await t.api('POST', '/api/v1/destinations', { plugin: 'webhook', name: uniqueName('No token') }, { token: 'adm_bogus' }), 401, 'invalid_credentials');
      expect(await listDestinations(t)).to.deep.equal(before);
    });
  });

  describe('names are unique per space', () => {
    it('a second destination with the same name answers 409 conflict at /name and is not stored', async () => {
      const name = uniqueName('Unique');
      const first = await createDestination(t, { plugin: 'webhook', name });
      const dup = await t.api('POST', '/api/v1/destinations', { plugin: 'webhook', name });
      expectError(dup, 409, 'conflict', '/name');
      const withName = (await listDestinations(t)).filter((d) => d.name === name);
      expect(withName.map((d) => d.id)).to.deep.equal([first.id]);
    });

    it('renaming onto a taken name answers 409 conflict at /name and changes nothing', async () => {
      const taken = await createDestination(t, { plugin: 'webhook', name: uniqueName('Taken') });
      const other = await createDestination(t, { plugin: 'webhook', name: uniqueName('Other') });
      const res = await t.api('PUT', `/api/v1/destinations/${other.id}`, { plugin: 'webhook', name: taken.name });
      expectError(res, 409, 'conflict', '/name');
      expect((await t.api('GET', `/api/v1/destinations/${other.id}`)).body.destination).to.deep.equal(other);
      // Keeping one's own name is not a conflict.
      const same = await t.api('PUT', `/api/v1/destinations/${other.id}`, { plugin: 'webhook', name: other.name, enabled: false });
      expect(same.status, JSON.stringify(same.body)).to.equal(200);
    });

    it('another space may use the same name', async () => {
      const name = uniqueName('Shared name');
      await createDestination(t, { plugin: 'webhook', name });
      const space = await createSpace(t, uniqueName('Second space'));
      const theirs = await createDestination(t, { plugin: 'webhook', name }, space.adminToken);
      expect(theirs.name).to.equal(name);
    });
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
