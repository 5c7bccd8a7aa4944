import { expect } from 'chai';
import nock from 'nock';
import {
  createTestEvent, HTTPError, PayloadValidationError, RequestTimeoutError, RetryableError,
} from '../../destinations/actions-core.ts';
import { builtinPlugins } from '../../destinations/builtin/builtin-plugins.ts';
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import type { Plugin } from '../../destinations/plugin.ts';
import { idleDestinationCount, runAction, runBatch, testAuthentication } from '../../destinations/run-action.ts';
import { defaultValues, type JSONObject } from '../../destinations/actions-core.ts';
import { useNock } from './support/use-nock.ts';

async function failure(promise: Promise<unknown>): Promise<Error & { response?: { status: number }; status?: number }> {
  return promise.then(() => { throw new Error('expected a failure'); }, (error: Error) => error);
}

describe('runAction / runBatch / testAuthentication', () => {
  useNock();
  let webhook: Plugin;
  let formApi: Plugin;
  let custom: Plugin;
  const url = 'https://sink.example.com/in';
  let mapping: JSONObject;

  before(async () => {
    const registry = new PluginRegistry({ builtins: builtinPlugins, catalog: false });
    webhook = await registry.get('webhook');
    formApi = await registry.get('form-api');
    custom = registry.register({
      slug: 'custom-errors', version: '1',
      definition: {
        name: 'Custom errors', mode: 'cloud',
        actions: {
          retryable: { title: 'Retryable', description: '', fields: {}, perform: () => { throw new RetryableError('try later'); } },
          stuck: { title: 'Stuck', description: 'ignores the abort signal', fields: {}, perform: () => new Promise(() => undefined) },
        },
      },
    }, 'local');
    mapping = { ...defaultValues(webhook.definition.actions.send!.fields), url };
  });

  const event = createTestEvent({ messageId: 'm-1', event: 'Order Completed' });

  it('returns the status, body and headers of the last response', async () => {
    nock('https://sink.example.com').post('/in').reply(202, { queued: true }, { 'X-Request-Id': 'r-9' });
    const result = await runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping });
    expect(result).to.deep.include({ status: 202, body: { queued: true }, responseCount: 1 });
    expect(result.headers!['x-request-id']).to.equal('r-9');
  });

  it('clears the responses actions-core collects after each call', async () => {
    nock('https://sink.example.com').post('/in').times(3).reply(200);
    for (let i = 0; i < 3; i += 1) {
      const result = await runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping });
      expect(result.responseCount).to.equal(1); // would be 2, 3 if the reused Destination kept them
    }
    expect(idleDestinationCount(webhook)).to.be.greaterThan(0);
  });

  it('clears them after a failed call too: the next call on the reused Destination counts only its own response', async () => {
    nock('https://sink.example.com').post('/in').reply(500, 'boom').post('/in').reply(200);
    await failure(runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping }));
    const result = await runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping });
    expect(result).to.deep.include({ status: 200, responseCount: 1 });
  });

  it('throws an HTTPError carrying the status for a 500', async () => {
    nock('https://sink.example.com').post('/in').reply(500, 'boom');
    const error = await failure(runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping }));
    expect(error).to.be.instanceOf(HTTPError);
    expect(error.response!.status).to.equal(500);
  });

  it('throws an HTTPError with status 429 and its Retry-After header', async () => {
    nock('https://sink.example.com').post('/in').reply(429, 'slow down', { 'Retry-After': '7' });
    const error = await failure(runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping }));
    expect(error).to.be.instanceOf(HTTPError);
    expect(error.response!.status).to.equal(429);
    expect((error.response as unknown as Response).headers.get('retry-after')).to.equal('7');
  });

  it('throws an HTTPError with status 400', async () => {
    nock('https://sink.example.com').post('/in').reply(400, { error: 'bad' });
    const error = await failure(runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping }));
    expect(error.response!.status).to.equal(400);
  });

  it('times out after timeoutMs with RequestTimeoutError when the endpoint is slow', async () => {
    nock('https://sink.example.com').post('/in').delay(2_000).reply(200);
    const started = Date.now();
    const error = await failure(runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping, timeoutMs: 50 }));
    expect(error).to.be.instanceOf(RequestTimeoutError);
    expect(Date.now() - started).to.be.lessThan(1_000);
  });

  it('times out even when the action ignores the abort signal', async () => {
    const error = await failure(runAction({ plugin: custom, settings: {}, action: 'stuck', event, mapping: {}, timeoutMs: 30 }));
    expect(error).to.be.instanceOf(RequestTimeoutError);
  });

  it('throws PayloadValidationError (status 400) when a required field is missing', async () => {
    const error = await failure(runAction({ plugin: webhook, settings: {}, action: 'send', event, mapping: { method: 'POST' } }));
    expect(error).to.be.instanceOf(PayloadValidationError);
    expect(error).to.include({ status: 400, code: 'PAYLOAD_VALIDATION_FAILED' });
    expect((error.cause as Error).name).to.equal('AggregateAjvError');
    expect(error.message).to.include("required field 'url'");
    const formError = await failure(runAction({
      plugin: formApi, settings: { baseUrl: 'https://f.example.com', apiToken: 't' }, action: 'submit', event, mapping: { path: '/x' },
    }));
    expect(formError).to.be.instanceOf(PayloadValidationError);
    expect(formError.message).to.include("required field 'email'");
  });

  it('passes through errors thrown by the plugin (RetryableError) and rejects unknown actions', async () => {
    expect(await failure(runAction({ plugin: custom, settings: {}, action: 'retryable', event, mapping: {} }))).to.be.instanceOf(RetryableError);
    expect(await failure(runAction({ plugin: webhook, settings: {}, action: 'nope', event, mapping }))).to.include({ code: 'unknown_action' });
  });

  it('runBatch returns one result per event', async () => {
    nock('https://sink.example.com').post('/in').reply(200, [{ status: 200 }, { status: 409, error: 'duplicate' }]);
    const results = await runBatch({
      plugin: webhook, settings: {}, action: 'send', mapping,
      events: [createTestEvent({ messageId: 'a' }), createTestEvent({ messageId: 'b' })],
    });
    expect(results).to.have.length(2);
    expect(results[0]).to.include({ ok: true, status: 200 });
    expect(results[1]).to.include({ ok: false, status: 409, errormessage: 'duplicate' });
  });

  it('runBatch reports payload validation failures per event and refuses non-batch actions', async () => {
    nock('https://sink.example.com').post('/in').reply(200);
    const results = await runBatch({
      plugin: webhook, settings: {}, action: 'send', mapping: { ...mapping, url: { '@path': '$.properties.url' } },
      events: [createTestEvent({ properties: { url } }), createTestEvent({ properties: {} })],
    });
    expect(results.map((r) => [r.ok, r.status])).to.deep.equal([[true, 200], [false, 400]]);
    expect(results[1]!.errortype).to.equal('PAYLOAD_VALIDATION_FAILED');
    const error = await failure(runBatch({ plugin: formApi, settings: {}, action: 'submit', mapping: {}, events: [event] }));
    expect(error).to.include({ code: 'batch_not_supported' });
  });

  it('testAuthentication reports ok, an HTTP failure, and a timeout', async () => {
    const settings = { baseUrl: 'https://f.example.com', apiToken: 't' };
    nock('https://f.example.com').get('/me').reply(204);
    expect(await testAuthentication(formApi, settings)).to.deep.equal({ ok: true });
    nock('https://f.example.com').get('/me').reply(403);
    expect(await testAuthentication(formApi, settings)).to.include({ ok: false, status: 403 });
    nock('https://f.example.com').get('/me').delay(2_000).reply(200);
    expect(await testAuthentication(formApi, settings, { timeoutMs: 30 })).to.include({ ok: false, status: 408 });
    expect(await testAuthentication(webhook, {})).to.deep.equal({ ok: true });
  });
});
