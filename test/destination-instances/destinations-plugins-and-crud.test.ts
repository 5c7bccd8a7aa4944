/**
 * The destinations management API, through real HTTP: the plugin listing, and configured
 * destinations created, read, listed, replaced and deleted, with names unique per space.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { useNock } from '../destinations/support/use-nock.ts';
import { DEFAULT_DELIVERY, SECRET, createDestination, createSpace, expectError, listDestinations, uniqueName } from './destination-api-helpers.ts';

describe('destinations API: plugins and configured destinations', () => {
  let t: TestEngine;
  useNock();
  before(async () => {
    t = await startTestEngine();
  });
  after(async () => {
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

    it('GET of an unknown plugin answers 404 (the slug names the resource)', async () => {
      expectError(await t.api('GET', '/api/v1/destination-plugins/no-such-plugin'), 404, 'not_found');
      expectError(await t.api('GET', '/api/v1/destination-plugins/catalog-no-such-folder'), 404, 'not_found');
      expectError(await t.api('GET', '/api/v1/destination-plugins/Not_A_Slug'), 404, 'not_found');
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
});
