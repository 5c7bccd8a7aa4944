/**
 * The two files the scaffold writes: a minimal working plugin and its nock test. Kept apart from
 * the command so the templates read as the code they produce.
 */

/** "acme-crm" → "Acme Crm". */
export function titleOf(slug: string): string {
  return slug.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join(' ');
}

/** `destinations/plugins/<slug>/index.ts`. */
export function pluginSource(slug: string): string {
  const title = titleOf(slug);
  return `/**
 * ${title} destination plugin. Scaffolded by destinations/scaffold/new-destination.ts: replace the
 * example endpoint, settings and fields with the real API's (see destinations/README.md).
 */
import type { ActionDefinition, DestinationDefinition } from '../../actions-core.ts';
import type { PluginModule } from '../../plugin.ts';

interface Settings {
  apiKey: string;
  endpoint?: string;
}

interface SendPayload {
  event_name: string;
  user_id?: string;
  properties?: Record<string, unknown>;
  idempotency_key?: string;
}

const DEFAULT_ENDPOINT = 'https://api.example.com/v1/events';

const send: ActionDefinition<Settings, SendPayload> = {
  title: 'Send Event',
  description: 'Send the event to ${title}.',
  defaultSubscription: 'type = "track"',
  fields: {
    event_name: { label: 'Event name', description: 'Name of the event.', type: 'string', required: true, default: { '@path': '$.event' } },
    user_id: { label: 'User ID', description: 'The user the event belongs to.', type: 'string', default: { '@path': '$.userId' } },
    properties: { label: 'Properties', description: 'Event properties.', type: 'object', default: { '@path': '$.properties' } },
    idempotency_key: {
      label: 'Idempotency key', description: 'Lets the API drop repeated sends.', type: 'string', default: { '@path': '$.messageId' },
    },
  },
  perform: (request, { payload, settings }) =>
    request(settings.endpoint || DEFAULT_ENDPOINT, {
      method: 'POST',
      headers: payload.idempotency_key ? { 'Idempotency-Key': payload.idempotency_key } : {},
      json: { event: payload.event_name, user_id: payload.user_id, properties: payload.properties ?? {} },
    }),
};

const definition: DestinationDefinition<Settings> = {
  name: '${title}',
  slug: '${slug}',
  mode: 'cloud',
  description: 'Sends events to ${title}.',
  authentication: {
    scheme: 'custom',
    fields: {
      apiKey: { label: 'API key', description: 'Sent as a Bearer token.', type: 'password', required: true },
      endpoint: { label: 'Endpoint', description: \`Events URL (default \${DEFAULT_ENDPOINT}).\`, type: 'string', format: 'uri' },
    },
  },
  extendRequest: ({ settings }) => ({ headers: { Authorization: \`Bearer \${settings.apiKey}\` } }),
  actions: { send },
};

const plugin: PluginModule = { slug: '${slug}', version: '0.1.0', definition };
export default plugin;
`;
}

/** `test/destinations/plugins/<slug>.test.ts`. */
export function testSource(slug: string): string {
  return `import { expect } from 'chai';
import nock from 'nock';
import plugin from '../../../destinations/plugins/${slug}/index.ts';
import { testDestination } from '../../../destinations/testing.ts';

describe('${slug} plugin', () => {
  // nock may have been switched off by another test file: on for this block only.
  before(() => { if (!nock.isActive()) nock.activate(); nock.disableNetConnect(); });
  afterEach(() => nock.cleanAll());
  after(() => { nock.enableNetConnect(); nock.restore(); });

  it('sends the event with the API key and the idempotency key', async () => {
    nock('https://api.example.com').post('/v1/events').reply(200, { ok: true });
    const dest = testDestination(plugin.definition);
    const [sent] = await dest.action('send', {
      event: { type: 'track', event: 'Signed Up', userId: 'u-1', messageId: 'm-1', properties: { plan: 'pro' } },
      settings: { apiKey: 'test-key' },
    });
    expect(sent!.status).to.equal(200);
    expect(sent!.request.headers['authorization']).to.equal('Bearer test-key');
    expect(sent!.request.headers['idempotency-key']).to.equal('m-1');
    expect(sent!.request.json).to.deep.equal({ event: 'Signed Up', user_id: 'u-1', properties: { plan: 'pro' } });
  });
});
`;
}
