import { expect } from 'chai';
import nock from 'nock';
import type { DestinationDefinition } from '../../destinations/actions-core.ts';
import { testDestination } from '../../destinations/testing.ts';
import { useNock } from './support/use-nock.ts';

/** A tiny plugin written the way an integration engineer would, to exercise the harness. */
const pingDefinition: DestinationDefinition<{ token: string }> = {
  name: 'Ping', mode: 'cloud',
  authentication: {
    scheme: 'custom',
    fields: { token: { label: 'Token', description: '', type: 'password', required: true } },
    testAuthentication: (request) => request('https://ping.example.com/auth'),
  },
  extendRequest: ({ settings }) => ({ headers: { 'X-Token': settings.token } }),
  actions: {
    ping: {
      title: 'Ping', description: '',
      fields: {
        who: { label: 'Who', description: '', type: 'string', required: true, default: { '@path': '$.userId' } },
        note: { label: 'Note', description: '', type: 'string' },
      },
      perform: (request, { payload }) => request('https://ping.example.com/ping', { method: 'POST', json: payload }),
      performBatch: (request, { payload }) => request('https://ping.example.com/ping', { method: 'POST', json: payload }),
    },
  },
};

describe('testDestination harness', () => {
  useNock();
  const ping = testDestination(pingDefinition);

  it('runs an action with default mappings and shows the sent request', async () => {
    nock('https://ping.example.com').post('/ping').reply(200, { pong: true });
    const responses = await ping.action('ping', { event: { userId: 'u-1' }, mapping: { note: 'hi' }, settings: { token: 't' } });
    expect(responses).to.have.length(1);
    const [sent] = responses;
    expect(sent!.status).to.equal(200);
    expect(sent!.data).to.deep.equal({ pong: true });
    expect(sent!.request).to.deep.include({ method: 'POST', url: 'https://ping.example.com/ping', json: { who: 'u-1', note: 'hi' } });
    expect(sent!.request.headers['x-token']).to.equal('t');
  });

  it('can skip default mappings (then required fields must be mapped)', async () => {
    const error = await ping.action('ping', { event: { userId: 'u-1' }, useDefaultMappings: false }).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.include("required field 'who'");
  });

  it('runs batches and exposes per-event results', async () => {
    nock('https://ping.example.com').post('/ping').reply(200);
    const [sent] = await ping.batch('ping', { events: [{ userId: 'a' }, { userId: 'b' }], settings: { token: 't' } });
    expect(sent!.request.json).to.deep.equal([{ who: 'a' }, { who: 'b' }]);
    expect(ping.results().map((r) => (r as { status: number }).status)).to.deep.equal([200, 200]);
  });

  it('runs testAuthentication', async () => {
    nock('https://ping.example.com').get('/auth').reply(401);
    expect(await ping.testAuthentication({ token: 'bad' })).to.include({ ok: false, status: 401 });
  });
});
