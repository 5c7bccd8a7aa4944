import { expect } from 'chai';
import nock from 'nock';
import { builtinPlugins } from '../../destinations/builtin/builtin-plugins.ts';
import { loadCatalogPlugin } from '../../destinations/catalog.ts';
import { createPluginRegistry, PluginRegistry } from '../../destinations/plugin-registry.ts';
import type { PluginModule } from '../../destinations/plugin.ts';
import { runAction } from '../../destinations/run-action.ts';
import { createTestEvent } from '../../destinations/actions-core.ts';
import { useNock } from './support/use-nock.ts';

function twin(slug: string, field: string): PluginModule {
  return {
    slug, version: '1',
    definition: {
      name: 'Twin', mode: 'cloud',
      actions: {
        send: {
          title: 'Send', description: 'same name, same title, different fields',
          fields: { [field]: { label: field, description: '', type: 'number', required: true } },
          perform: (request, { payload }) => request('https://twin.example.com/', { method: 'POST', json: payload }),
        },
      },
    },
  };
}

describe('plugin registry', () => {
  useNock();

  it('lists built-ins fully and verified catalog plugins by name without loading them', async () => {
    const loaded: string[] = [];
    const registry = new PluginRegistry({ builtins: builtinPlugins, loadCatalog: (slug) => (loaded.push(slug), loadCatalogPlugin(slug)) });
    const list = registry.list();
    expect(loaded).to.deep.equal([]);
    const webhook = list.find((p) => p.slug === 'webhook')!;
    expect(webhook).to.include({ source: 'builtin', loaded: true, name: 'Webhook' });
    expect(webhook.settings!.fields).to.deep.include({
      key: 'sharedSecret', label: 'Shared secret', type: 'password', secret: true, required: false, multiple: false, allowNull: false,
      description: 'When set, each request carries "X-Signature: sha256=<hex HMAC-SHA256 of the body>".',
    });
    const send = webhook.actions!.find((a) => a.slug === 'send')!;
    expect(send).to.include({ title: 'Send', supportsBatch: true, defaultSubscription: 'type = "track"' });
    expect(send.fields.find((f) => f.key === 'method')).to.deep.include({ required: true, default: 'POST' });
    expect(send.fields.find((f) => f.key === 'method')!.choices!.map((c) => c.value)).to.deep.equal(['POST', 'PUT', 'PATCH']);
    expect(send.fields.find((f) => f.key === 'idempotency_key')!.default).to.deep.equal({ '@path': '$.messageId' });
    expect(webhook.presets![0]).to.include({ partnerAction: 'send', subscribe: 'type = "track"' });
    expect(list.find((p) => p.slug === 'form-api')!.settings!.fields.find((f) => f.key === 'apiToken')!.secret).to.equal(true);
    expect(list.find((p) => p.slug === 'catalog-slack')).to.deep.include({ name: 'Slack', source: 'catalog', loaded: false, verified: true });
    expect(list.find((p) => p.slug === 'catalog-slack')!.actions).to.equal(undefined);
  });

  it('loads a catalog plugin lazily on get(), once, and then lists it in full', async () => {
    const loaded: string[] = [];
    const registry = new PluginRegistry({ loadCatalog: (slug) => (loaded.push(slug), loadCatalogPlugin(slug)) });
    const [first, second] = await Promise.all([registry.get('catalog-slack'), registry.get('catalog-slack')]);
    expect(loaded).to.deep.equal(['catalog-slack']);
    expect(first).to.equal(second);
    expect(first).to.include({ source: 'catalog', name: 'Slack' });
    const listed = registry.list().find((p) => p.slug === 'catalog-slack')!;
    expect(listed.loaded).to.equal(true);
    expect(listed.actions!.map((a) => a.slug)).to.deep.equal(['postToChannel']);
  });

  it('describes an unverified catalog plugin as unverified', async () => {
    const registry = new PluginRegistry({});
    const summary = await registry.describe('catalog-noop');
    expect(summary).to.include({ source: 'catalog', loaded: true, verified: false });
  });

  it('createPluginRegistry registers the built-ins and scans destinations/plugins', async () => {
    const registry = await createPluginRegistry();
    expect((await registry.get('webhook')).source).to.equal('builtin');
    expect((await registry.get('form-api')).source).to.equal('builtin');
    expect(registry.list().filter((p) => p.source === 'builtin').map((p) => p.slug)).to.deep.equal(['form-api', 'webhook']);
  });

  it('rejects unknown slugs with unknown_plugin', async () => {
    const registry = await createPluginRegistry({ localPluginsDir: false });
    for (const slug of ['nope', 'catalog-nope', 'catalog-index', 'catalog-']) {
      const error = await registry.get(slug).then(() => undefined, (e: unknown) => e);
      expect(error, slug).to.include({ name: 'PluginError', code: 'unknown_plugin' });
    }
  });

  it('rejects malformed slugs (path traversal, case, length) with invalid_plugin_slug', async () => {
    const registry = new PluginRegistry({});
    for (const slug of ['../webhook', 'catalog-../../x', 'Webhook', '-x', '', 'a'.repeat(65), 'catalog-a/b']) {
      const error = await registry.get(slug).then(() => undefined, (e: unknown) => e);
      expect(error, slug).to.include({ code: 'invalid_plugin_slug' });
    }
  });

  it('refuses duplicate slugs and the reserved catalog- prefix for our own plugins', () => {
    const registry = new PluginRegistry({ builtins: builtinPlugins });
    expect(() => registry.register(builtinPlugins[0]!, 'local')).to.throw().with.property('code', 'duplicate_plugin');
    expect(() => registry.register({ ...twin('catalog-x', 'a') }, 'local')).to.throw().with.property('code', 'invalid_plugin_slug');
  });

  it('gives same-named plugins distinct internal names so validators never collide', async () => {
    const registry = new PluginRegistry({ catalog: false });
    const one = registry.register(twin('twin-one', 'a'), 'local');
    const two = registry.register(twin('twin-two', 'b'), 'local');
    expect(one.name).to.equal('Twin');
    expect(one.definition.name).not.to.equal(two.definition.name);
    nock('https://twin.example.com').post('/', { a: 1 }).reply(200);
    nock('https://twin.example.com').post('/', { b: 2 }).reply(200);
    // With a shared cache entry the second run would be validated against the first one's schema
    // (field `a` required, `b` stripped) and fail.
    const first = await runAction({ plugin: one, settings: {}, action: 'send', event: createTestEvent({}), mapping: { a: 1 } });
    const second = await runAction({ plugin: two, settings: {}, action: 'send', event: createTestEvent({}), mapping: { b: 2 } });
    expect([first.status, second.status]).to.deep.equal([200, 200]);
  });
});
