import { expect } from 'chai';
import nock from 'nock';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import { createHostFetch } from '../../functions-runtime/host-fetch.ts';
import { useNock, capture } from '../destinations/support/use-nock.ts';

// There is no DNS here: the host's resolver answers a public address for the API's name, as it
// would in production, so the SSRF check passes and nock answers for the API.
const publicResolver = async () => [{ address: '93.184.216.34', family: 4 as const }];

describe('destination functions: fetch through the real host fetch, against nock', () => {
  useNock();
  let sandbox: FunctionSandbox;

  beforeEach(() => {
    sandbox = new FunctionSandbox({ fetch: createHostFetch({ lookup: publicResolver, timeoutMs: 2000 }) });
  });
  afterEach(() => sandbox.dispose());

  it('a Segment-style function posts JSON with basic auth and gets the API answer back', async () => {
    const scope = nock('https://api.example.com').post('/v1/contacts').reply(201, { id: 'c-1' }, { 'content-type': 'application/json' });
    const seen = capture(scope);
    const code = `async function onTrack(event, settings) {
      const response = await fetch('https://api.example.com/v1/contacts', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + btoa(settings.apiKey + ':') },
        body: JSON.stringify({ email: event.context.traits.email, cart: event.properties.cart }),
      });
      if (response.status >= 500) throw new RetryError('upstream ' + response.status);
      return response.json();
    }`;
    const result = await sandbox.invoke({
      key: 'fn_nock@1', code, handler: 'onTrack', settings: { apiKey: 'k-123' },
      payload: { type: 'track', event: 'Cart Nudge', properties: { cart: 'c9' }, context: { traits: { email: 'ada@example.com' } } },
    });
    expect(result.ok && result.value).to.deep.equal({ id: 'c-1' });
    expect(scope.isDone()).to.equal(true);
    expect(seen[0]!.headers.get('authorization')).to.equal(`Basic ${Buffer.from('k-123:').toString('base64')}`);
    expect(JSON.parse(seen[0]!.body)).to.deep.equal({ email: 'ada@example.com', cart: 'c9' });
    expect(result.requests).to.have.length(1);
    expect(result.requests[0]).to.include({ method: 'POST', url: 'https://api.example.com/v1/contacts', status: 201 });
  });

  it('a 503 from the API becomes the RetryError the function throws', async () => {
    nock('https://api.example.com').post('/v1/contacts').reply(503, 'busy');
    const code = `async function onTrack() {
      const response = await fetch('https://api.example.com/v1/contacts', { method: 'POST', body: '{}' });
      if (response.status >= 500) throw new RetryError('upstream ' + response.status);
    }`;
    const result = await sandbox.invoke({ key: 'fn_nock@2', code, handler: 'onTrack', payload: {}, settings: {} });
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.error).to.deep.equal({ name: 'RetryError', message: 'upstream 503' });
  });
});
