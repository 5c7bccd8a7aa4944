import { expect } from 'chai';
import { openApiDocument } from '../../engine/openapi/openapi-document.ts';
import type { HttpMethod } from '../../engine/openapi/operation-parts.ts';
import { answer, startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';
import { Sink, unique } from '../delivery-api/delivery-api-helpers.ts';
import { ResponseConformance } from './response-conformance.ts';

/*
 * A tour of the whole API through real HTTP, each answer checked against the response its
 * operation documents (status and body schema): the document describes what the engine says,
 * not only what it is asked.
 */

interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Send this token instead of the operation's own credential (null: none). */
  token?: string | null;
}

describe('openapi: real answers match the documented responses', () => {
  let t: TestEngine;
  const sink = new Sink();
  const conformance = new ResponseConformance();
  const ids: Record<string, string> = {};

  before(async () => {
    await sink.start();
    t = await startTestEngine({ testClock: true });
  });
  after(async () => {
    await t?.close();
    await sink.stop();
  });

  /** Calls `method template`, expects `status`, and expects the answer to be the documented one. */
  async function call(method: HttpMethod, template: string, status: number, options: CallOptions = {}): Promise<Answer> {
    const operation = openApiDocument.paths[template]?.[method];
    expect(operation, `${method} ${template} is documented`).to.not.equal(undefined);
    const path = template.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(options.params?.[name] ?? 'missing'));
    const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
    const headers: Record<string, string> = {};
    const scheme = Object.keys(operation!.security[0] ?? {})[0];
    if (options.token !== undefined) {
      if (options.token !== null) headers['authorization'] = `Bearer ${options.token}`;
    } else if (scheme === 'adminToken') headers['authorization'] = `Bearer ${t.adminToken}`;
    else if (scheme === 'operatorToken') headers['authorization'] = `Bearer ${t.operatorToken}`;
    else if (scheme === 'writeKey') headers['authorization'] = `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await answer(await fetch(`${t.url}${path}${query}`, {
      method: method.toUpperCase(), headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    }));
    expect(res.status, `${method.toUpperCase()} ${path}${query}: ${JSON.stringify(res.body).slice(0, 500)}`).to.equal(status);
    expect(conformance.problems(method, template, res)).to.deep.equal([]);
    return res;
  }

  it('engine endpoints: health, readiness, metrics, the document, the test clock', async () => {
    await call('get', '/health', 200);
    await call('get', '/ready', 200);
    expect((await call('get', '/metrics', 200)).body).to.be.a('string');
    await call('get', '/api/v1/openapi.json', 200);
    await call('get', '/api/v1/test-clock', 200);
    await call('post', '/api/v1/test-clock/advance', 200, { body: { ms: 1000 } });
    await call('post', '/api/v1/test-clock/advance', 400, { body: { ms: -1 } });
  });

  it('spaces and credentials', async () => {
    const space = (await call('post', '/api/v1/spaces', 201, { body: { name: unique('Space') } })).body;
    await call('get', '/api/v1/spaces', 200);
    await call('get', '/api/v1/space', 200);
    await call('get', '/api/v1/space', 403, { token: t.operatorToken });
    await call('get', '/api/v1/space', 401, { token: null });
    await call('post', '/api/v1/spaces', 403, { body: { name: 'x' }, token: t.adminToken });
    await call('get', '/api/v1/credentials', 200);
    const issued = (await call('post', '/api/v1/credentials', 201, { body: { kind: 'write_key', label: 'openapi' } })).body.credential;
    await call('post', '/api/v1/credentials', 400, { body: { kind: 'password' } });
    const rotated = (await call('post', '/api/v1/credentials/{id}/rotate', 201, { params: { id: issued.id } })).body.credential;
    await call('delete', '/api/v1/credentials/{id}', 204, { params: { id: rotated.id } });
    await call('delete', '/api/v1/credentials/{id}', 409, { params: { id: rotated.id } });
    await call('delete', '/api/v1/spaces/{id}', 204, { params: { id: space.space.id } });
    await call('delete', '/api/v1/spaces/{id}', 409, { params: { id: 'default' } });
    await call('delete', '/api/v1/spaces/{id}', 404, { params: { id: 'no-such-space' } });
  });

  it('ingest: every message type, batches, and rejections', async () => {
    const userId = ids['userId'] = unique('user');
    await call('post', '/v1/identify', 200, { body: { userId, anonymousId: unique('anon'), traits: { email: `${userId}@example.com`, plan: 'pro' } } });
    await call('post', '/v1/track', 200, { body: { userId, event: 'OpenAPI Seeded', properties: { sku: 'A' } } });
    await call('post', '/v1/page', 200, { body: { userId, name: 'Home' } });
    await call('post', '/v1/screen', 200, { body: { userId, name: 'Home' } });
    await call('post', '/v1/group', 200, { body: { userId, groupId: 'g1' } });
    await call('post', '/v1/alias', 200, { body: { userId, previousId: unique('old') } });
    await call('post', '/v1/batch', 200, { body: { batch: [{ type: 'track', userId, event: 'OpenAPI Seeded' }] } });
    await call('post', '/v1/import', 200, { body: { batch: [{ type: 'page', userId, name: 'Imported' }] } });
    await call('post', '/v1/track', 400, { body: { userId } });
    await call('post', '/v1/track', 401, { body: { userId, event: 'x' }, token: null });
    await t.settle();
  });

  it('events, catalog, profiles and audiences', async () => {
    await call('get', '/api/v1/events', 200, { query: { type: 'track', limit: '2' } });
    await call('get', '/api/v1/events', 400, { query: { type: 'nope' } });
    await call('get', '/api/v1/catalog/events', 200);
    await call('get', '/api/v1/catalog/events/{name}', 200, { params: { name: 'OpenAPI Seeded' } });
    await call('get', '/api/v1/catalog/events/{name}', 404, { params: { name: 'Never Sent' } });
    const profile = (await call('get', '/api/v1/profiles/lookup', 200, { query: { userId: ids['userId']! } })).body.profile;
    ids['profileId'] = profile.id;
    await call('get', '/api/v1/profiles/lookup', 400);
    await call('get', '/api/v1/profiles/{id}', 200, { params: { id: profile.id } });
    await call('get', '/api/v1/profiles/{id}', 404, { params: { id: 'nobody' } });
    await call('get', '/api/v1/profiles/{id}/audiences', 200, { params: { id: profile.id } });
    const rule = [{ path: 'traits.plan', operator: 'equals', value: 'pro' }];
    const audience = (await call('post', '/api/v1/audiences', 201, { body: { name: unique('Pros'), rule } })).body.audience;
    await call('post', '/api/v1/audiences', 400, { body: { name: 'x', rule: [{ path: 'traits.plan' }] } });
    await call('get', '/api/v1/audiences', 200);
    await call('get', '/api/v1/audiences/{id}', 200, { params: { id: audience.id } });
    await call('put', '/api/v1/audiences/{id}', 200, { params: { id: audience.id }, body: { name: audience.name, description: 'Paying', rule } });
    await call('post', '/api/v1/audiences/{id}/members', 200, { params: { id: audience.id }, body: { add: [{ userId: ids['userId']! }] } });
    await call('get', '/api/v1/audiences/{id}/members', 200, { params: { id: audience.id }, query: { limit: '10' } });
    await call('delete', '/api/v1/audiences/{id}', 204, { params: { id: audience.id } });
    await call('get', '/api/v1/audiences/{id}', 404, { params: { id: audience.id } });
  });

  it('destination plugins, destinations and functions', async () => {
    await call('get', '/api/v1/destination-plugins', 200);
    await call('get', '/api/v1/destination-plugins/{slug}', 200, { params: { slug: 'webhook' } });
    await call('get', '/api/v1/destination-plugins/{slug}', 404, { params: { slug: 'no-such-plugin' } });
    const destination = (await call('post', '/api/v1/destinations', 201, { body: { plugin: 'webhook', name: unique('Hook') } })).body.destination;
    ids['destinationId'] = destination.id;
    await call('get', '/api/v1/destinations', 200);
    await call('get', '/api/v1/destinations/{id}', 200, { params: { id: destination.id } });
    await call('put', '/api/v1/destinations/{id}', 200, {
      params: { id: destination.id }, body: { plugin: 'webhook', name: destination.name, delivery: { concurrency: 2 } },
    });
    await call('post', '/api/v1/destinations/{id}/test-authentication', 200, { params: { id: destination.id } });
    const code = 'async function onTrack(event, settings) { return { seen: event.event }; }';
    const fn = (await call('post', '/api/v1/functions', 201, {
      body: { name: unique('Fn'), code, settingsSchema: [{ name: 'apiKey', type: 'string', secret: true }], settings: { apiKey: 's3cret' } },
    })).body.function;
    await call('post', '/api/v1/functions', 400, { body: { name: unique('Broken'), code: 'function (' } });
    await call('get', '/api/v1/functions', 200);
    await call('get', '/api/v1/functions/{id}', 200, { params: { id: fn.id } });
    await call('put', '/api/v1/functions/{id}', 200, { params: { id: fn.id }, body: { name: fn.name, code, settingsSchema: fn.settingsSchema } });
    await call('get', '/api/v1/functions/{id}/versions', 200, { params: { id: fn.id } });
    await call('post', '/api/v1/functions/{id}/deploy', 200, { params: { id: fn.id }, body: { version: 1 } });
    await call('post', '/api/v1/functions/{id}/test', 200, { params: { id: fn.id }, body: { event: { type: 'track', event: 'X', userId: 'u' } } });
    await call('delete', '/api/v1/functions/{id}', 204, { params: { id: fn.id } });
  });

  it('a journey from draft to archive, with its instances, activity, figures and deliveries', async () => {
    const doc = {
      name: unique('Forward'),
      entry: { event: 'OpenAPI Seeded', whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
      start: 'forward',
      steps: [
        {
          id: 'forward', type: 'send', eventName: 'Forwarded', target: { type: 'destination', destinationId: ids['destinationId'], action: 'send' },
          mapping: { url: sink.url('/openapi'), data: { '@path': '$.properties' } }, next: 'done',
        },
        { id: 'done', type: 'exit' },
      ],
    };
    await call('get', '/api/v1/schemas/journey', 200);
    const journey = (await call('post', '/api/v1/journeys', 201, { body: doc })).body.journey;
    const id = { id: journey.id };
    await call('post', '/api/v1/journeys', 400, { body: { steps: [] } });
    await call('put', '/api/v1/journeys/{id}', 200, { params: id, body: doc });
    await call('post', '/api/v1/journeys/{id}/validate', 200, { params: id });
    await call('post', '/api/v1/journeys/{id}/pause', 409, { params: id });
    await call('post', '/api/v1/journeys/{id}/publish', 200, { params: id, body: { previousVersion: 'drain' } });
    const messageId = unique('msg');
    await call('post', '/v1/track', 200, { body: { userId: ids['userId'], event: 'OpenAPI Seeded', messageId } });
    await t.settle();
    await call('get', '/api/v1/journeys', 200, { query: { status: 'published' } });
    await call('get', '/api/v1/journeys/{id}', 200, { params: id });
    await call('get', '/api/v1/journeys/{id}/versions', 200, { params: id });
    const instances = (await call('get', '/api/v1/journeys/{id}/instances', 200, { params: id, query: { userId: ids['userId']! } })).body.instances;
    expect(instances).to.have.length(1);
    const instanceId = instances[0].id as string;
    await call('get', '/api/v1/journeys/{id}/instances/{instanceId}', 200, { params: { ...id, instanceId } });
    await call('get', '/api/v1/journeys/{id}/activity', 200, { params: id, query: { profileId: ids['profileId']!, limit: '5' } });
    await call('get', '/api/v1/journeys/{id}/activity', 400, { params: id, query: { type: 'nope' } });
    await call('get', '/api/v1/journeys/{id}/stats', 200, { params: id });
    await call('get', '/api/v1/journeys/{id}/explain', 200, { params: id, query: { userId: ids['userId']!, messageId } });
    await call('get', '/api/v1/journeys/{id}/explain', 400, { params: id, query: { userId: ids['userId']! } });
    await call('get', '/api/v1/instances/{id}/timeline', 200, { params: { id: instanceId } });
    await call('get', '/api/v1/profiles/{profileId}/journeys', 200, { params: { profileId: ids['profileId']! } });
    const deliveries = (await call('get', '/api/v1/journeys/{id}/deliveries', 200, { params: id })).body.deliveries;
    expect(deliveries).to.have.length(1);
    await call('get', '/api/v1/deliveries', 200, { query: { journeyId: journey.id } });
    await call('get', '/api/v1/deliveries/{id}', 200, { params: { id: deliveries[0].id } });
    await call('get', '/api/v1/instances/{id}/deliveries', 200, { params: { id: instanceId } });
    await call('post', '/api/v1/deliveries/{id}/redrive', 409, { params: { id: deliveries[0].id } });
    await call('post', '/api/v1/deliveries/redrive', 200, { body: { status: 'failed', journeyId: journey.id } });
    const sample = { body: { event: { userId: ids['userId'], properties: { sku: 'A' } }, userId: ids['userId'] } };
    await call('post', '/api/v1/journeys/{id}/steps/{stepId}/preview', 200, { params: { ...id, stepId: 'forward' }, ...sample });
    await call('post', '/api/v1/journeys/{id}/steps/{stepId}/test', 200, { params: { ...id, stepId: 'forward' }, ...sample });
    await call('post', '/api/v1/journeys/{id}/pause', 200, { params: id });
    await call('post', '/api/v1/journeys/{id}/resume', 200, { params: id });
    const copy = (await call('post', '/api/v1/journeys/{id}/duplicate', 201, { params: id, body: { name: unique('Copy') } })).body.journey;
    await call('delete', '/api/v1/journeys/{id}', 204, { params: { id: copy.id } });
    await call('delete', '/api/v1/destinations/{id}', 409, { params: { id: ids['destinationId']! } });
    const spare = (await call('post', '/api/v1/destinations', 201, { body: { plugin: 'webhook', name: unique('Spare') } })).body.destination;
    await call('delete', '/api/v1/destinations/{id}', 204, { params: { id: spare.id } });
    await call('post', '/api/v1/journeys/{id}/archive', 200, { params: id });
    await call('delete', '/api/v1/journeys/{id}', 409, { params: id });
    await call('get', '/api/v1/journeys/{id}', 404, { params: { id: 'no-such-journey' } });
  });

  it('answered every documented operation at least once', () => {
    const answered = new Set([...conformance.seen].map((s) => s.split(' ').slice(0, 2).join(' ')));
    const operations = Object.entries(openApiDocument.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.filter((o) => !answered.has(o))).to.deep.equal([]);
  });
});
