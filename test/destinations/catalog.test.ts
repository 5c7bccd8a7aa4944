import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import nock from 'nock';
import { createTestEvent, defaultValues, HTTPError } from '../../destinations/actions-core.ts';
import { VERIFIED_CATALOG } from '../../destinations/catalog.ts';
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import { runAction, runBatch } from '../../destinations/run-action.ts';
import { validateSettings } from '../../destinations/settings.ts';
import { capture, useNock } from './support/use-nock.ts';

/** The stored mapping the engine would keep: the action's field defaults plus overrides. */
async function mappingFor(registry: PluginRegistry, slug: string, action: string, overrides: Record<string, unknown> = {}) {
  const plugin = await registry.get(slug);
  return { plugin, mapping: { ...defaultValues(plugin.definition.actions[action]!.fields), ...overrides } };
}

describe('catalog destinations end to end (real @segment/action-destinations code, nock)', function () {
  this.timeout(20_000); // first load of each catalog folder takes ~150 ms plus its dependencies
  useNock();
  const registry = new PluginRegistry({});

  it('documents exactly the catalog slugs this file verifies', () => {
    expect(VERIFIED_CATALOG.map((entry) => entry.folder)).to.deep.equal(['webhook', 'slack', 'customerio']);
  });

  describe('catalog-webhook', () => {
    it('sends the whole event with default mappings and signs it with the shared secret (HMAC-SHA1)', async () => {
      const { plugin, mapping } = await mappingFor(registry, 'catalog-webhook', 'send', { url: 'https://hook.example.com/x' });
      const seen = capture(nock('https://hook.example.com').post('/x').reply(200, { ok: 1 }));
      const event = createTestEvent({ event: 'Checkout Started', userId: 'u-1' });
      const result = await runAction({ plugin, settings: { sharedSecret: 'abc' }, action: 'send', event, mapping });
      expect(result.status).to.equal(200);
      const body = JSON.parse(seen[0]!.body);
      expect(body).to.include({ event: 'Checkout Started', userId: 'u-1' });
      const expected = createHmac('sha1', 'abc').update(seen[0]!.body).digest('hex');
      expect(seen[0]!.headers.get('x-signature')).to.equal(expected);
    });

    it('batches events into one JSON array', async () => {
      const { plugin, mapping } = await mappingFor(registry, 'catalog-webhook', 'send', { url: 'https://hook.example.com/b', data: { '@path': '$.properties' } });
      const seen = capture(nock('https://hook.example.com').post('/b').reply(200));
      const results = await runBatch({
        plugin, settings: {}, action: 'send', mapping,
        events: [createTestEvent({ properties: { n: 1 } }), createTestEvent({ properties: { n: 2 } })],
      });
      expect(JSON.parse(seen[0]!.body)).to.deep.equal([{ n: 1 }, { n: 2 }]);
      expect(results.map((r) => r.status)).to.deep.equal([200, 200]);
    });
  });

  describe('catalog-slack', () => {
    it('posts a templated message to the incoming-webhook URL', async () => {
      const { plugin, mapping } = await mappingFor(registry, 'catalog-slack', 'postToChannel', {
        url: 'https://hooks.slack.com/services/T000/B000/XXXX',
        text: { '@template': '{{properties.name}} abandoned a cart worth {{properties.total}}' },
        channel: 'sales',
      });
      const seen = capture(nock('https://hooks.slack.com').post('/services/T000/B000/XXXX').reply(200, 'ok'));
      const event = createTestEvent({ properties: { name: 'Ada', total: 42 } });
      const result = await runAction({ plugin, settings: {}, action: 'postToChannel', event, mapping });
      expect(result).to.include({ status: 200, body: 'ok' });
      expect(JSON.parse(seen[0]!.body)).to.deep.equal({
        channel: 'sales', text: 'Ada abandoned a cart worth 42', username: 'Segment', icon_url: 'https://logo.clearbit.com/segment.com',
      });
    });

    it('refuses a non-Slack URL without sending anything (IntegrationError 400)', async () => {
      const { plugin, mapping } = await mappingFor(registry, 'catalog-slack', 'postToChannel', { url: 'https://evil.example.com/x', text: 'hi' });
      const error = await runAction({ plugin, settings: {}, action: 'postToChannel', event: createTestEvent({}), mapping })
        .then(() => undefined, (e: { status?: number; message: string }) => e);
      expect(error).to.include({ status: 400, message: 'Invalid Slack URL' });
    });
  });

  describe('catalog-customerio (HTTP Basic auth: site ID + API key)', () => {
    const settings = { siteId: 'site-1', apiKey: 'key-1' };

    it('validates its settings: both credentials are required secrets', async () => {
      const plugin = await registry.get('catalog-customerio');
      expect(validateSettings(plugin, {}).map((p) => p.path)).to.have.members(['settings.siteId', 'settings.apiKey']);
      expect(validateSettings(plugin, settings)).to.deep.equal([]);
    });

    it('tracks an event with the Basic auth header and the messageId as event id', async () => {
      const { plugin, mapping } = await mappingFor(registry, 'catalog-customerio', 'trackEvent');
      const seen = capture(nock('https://track.customer.io').post('/api/v2/entity').reply(200, {}));
      const event = createTestEvent({ event: 'Order Completed', userId: 'u-7', messageId: 'msg-7', properties: { total: 9 } });
      const result = await runAction({ plugin, settings, action: 'trackEvent', event, mapping });
      expect(result.status).to.equal(200);
      expect(seen[0]!.headers.get('authorization')).to.equal(`Basic ${Buffer.from('site-1:key-1').toString('base64')}`);
      expect(JSON.parse(seen[0]!.body)).to.deep.include({ type: 'person', action: 'event', name: 'Order Completed', id: 'msg-7', identifiers: { id: 'u-7' } });
    });

    it('surfaces a 401 as an HTTPError with its status', async () => {
      const { plugin, mapping } = await mappingFor(registry, 'catalog-customerio', 'trackEvent');
      nock('https://track.customer.io').post('/api/v2/entity').reply(401, { meta: { error: 'unauthorized' } });
      const error = await runAction({ plugin, settings, action: 'trackEvent', event: createTestEvent({ event: 'X', userId: 'u' }), mapping })
        .then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(HTTPError);
      expect((error as InstanceType<typeof HTTPError>).response.status).to.equal(401);
    });
  });
});
