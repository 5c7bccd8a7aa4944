import { expect } from 'chai';
import nock from 'nock';
import { webhookDefinition } from '../../destinations/builtin/webhook/webhook-destination.ts';
import { signBody, verifySignature } from '../../destinations/builtin/webhook/signature.ts';
import { testDestination } from '../../destinations/testing.ts';
import { capture, useNock } from './support/use-nock.ts';

describe('built-in webhook plugin', () => {
  useNock();
  const webhook = testDestination(webhookDefinition);

  for (const method of ['POST', 'PUT', 'PATCH'] as const) {
    it(`sends the mapped data as JSON with ${method}`, async () => {
      nock('https://hooks.example.com').intercept('/in', method).reply(200, { ok: true });
      const [sent] = await webhook.action('send', {
        event: { event: 'Order Completed', properties: { total: 12 } },
        mapping: { url: 'https://hooks.example.com/in', method, data: { '@path': '$.properties' } },
      });
      expect(sent!.status).to.equal(200);
      expect(sent!.request.method).to.equal(method);
      expect(sent!.request.headers['content-type']).to.equal('application/json');
      expect(sent!.request.json).to.deep.equal({ total: 12 });
    });
  }

  it('passes custom headers and the Idempotency-Key taken from messageId by default', async () => {
    const seen = capture(nock('https://hooks.example.com').post('/in').reply(204));
    await webhook.action('send', {
      event: { messageId: 'msg-42' },
      mapping: { url: 'https://hooks.example.com/in', headers: { 'X-Tenant': 'acme', 'X-Count': 3 } },
    });
    expect(seen).to.have.length(1);
    expect(seen[0]!.headers.get('idempotency-key')).to.equal('msg-42');
    expect(seen[0]!.headers.get('x-tenant')).to.equal('acme');
    expect(seen[0]!.headers.get('x-count')).to.equal('3');
  });

  it('keeps its own headers: a mapped header of the same name in another letter case is dropped, and two spellings of one name send one (found by an audit)', async () => {
    const seen = capture(nock('https://hooks.example.com').post('/in').reply(200));
    await webhook.action('send', {
      event: { messageId: 'msg-7' },
      mapping: {
        url: 'https://hooks.example.com/in',
        headers: { 'content-type': 'text/plain', 'idempotency-key': 'evil', 'x-signature': 'forged', 'X-Tenant': 'a', 'x-tenant': 'b' },
      },
      settings: { sharedSecret: 's3cret' },
    });
    const { body, headers } = seen[0]!;
    expect(headers.get('content-type')).to.equal('application/json');
    expect(headers.get('idempotency-key')).to.equal('msg-7');
    expect(verifySignature(body, 's3cret', headers.get('x-signature'))).to.equal(true);
    expect(headers.get('x-tenant')).to.equal('b');
  });

  it('does not follow a redirect: a POST answered 302 fails with that status instead of arriving as a GET without its body', async () => {
    nock('https://hooks.example.com').post('/old').reply(302, '', { Location: 'https://hooks.example.com/new' });
    const followed = nock('https://hooks.example.com').get('/new').reply(200);
    // Before: fetch followed it as a GET and the send counted as delivered.
    let status: number | undefined;
    try {
      await webhook.action('send', { event: { messageId: 'm-redirect' }, mapping: { url: 'https://hooks.example.com/old' } });
    } catch (error) {
      status = (error as { response?: { status?: number } }).response?.status;
    }
    expect(status).to.equal(302);
    expect(followed.isDone(), 'the redirect target was never called').to.equal(false);
    nock.cleanAll();
  });

  it('takes the idempotency key from a mapped field when one is given', async () => {
    const seen = capture(nock('https://hooks.example.com').post('/in').reply(200));
    await webhook.action('send', {
      event: { properties: { delivery: 'inst-1:step-2:0' } },
      mapping: { url: 'https://hooks.example.com/in', idempotency_key: { '@path': '$.properties.delivery' } },
    });
    expect(seen[0]!.headers.get('idempotency-key')).to.equal('inst-1:step-2:0');
  });

  it('signs the exact body with HMAC-SHA256 when a shared secret is set', async () => {
    const seen = capture(nock('https://hooks.example.com').post('/in').reply(200));
    await webhook.action('send', {
      event: { event: 'Signed' },
      mapping: { url: 'https://hooks.example.com/in' },
      settings: { sharedSecret: 's3cret' },
    });
    const { body, headers } = seen[0]!;
    expect(headers.get('x-signature')).to.match(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(body, 's3cret', headers.get('x-signature'))).to.equal(true);
    expect(verifySignature(body, 'wrong', headers.get('x-signature'))).to.equal(false);
    expect(headers.get('x-signature')).to.equal(signBody(body, 's3cret'));
  });

  it('sends no signature without a shared secret', async () => {
    const seen = capture(nock('https://hooks.example.com').post('/in').reply(200));
    await webhook.action('send', { mapping: { url: 'https://hooks.example.com/in' } });
    expect(seen[0]!.headers.has('x-signature')).to.equal(false);
  });

  describe('batch mode', () => {
    const url = 'https://hooks.example.com/batch';
    const events = [{ messageId: 'a', properties: { n: 1 } }, { messageId: 'b', properties: { n: 2 } }, { messageId: 'c', properties: { n: 3 } }];
    const mapping = { url, data: { '@path': '$.properties' } };

    it('sends one array and reports every event by the response when the endpoint answers as a whole', async () => {
      const seen = capture(nock('https://hooks.example.com').post('/batch').reply(200, { accepted: true }));
      await webhook.batch('send', { events, mapping, settings: { sharedSecret: 'k' } });
      expect(JSON.parse(seen[0]!.body)).to.deep.equal([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(seen[0]!.headers.get('x-idempotency-keys')).to.equal('a,b,c');
      expect(seen[0]!.headers.get('idempotency-key')).to.match(/^[0-9a-f]{64}$/);
      expect(verifySignature(seen[0]!.body, 'k', seen[0]!.headers.get('x-signature'))).to.equal(true);
      expect(webhook.results().map((r) => (r as { status: number }).status)).to.deep.equal([200, 200, 200]);
    });

    it('reports per-event results when the endpoint answers per item', async () => {
      nock('https://hooks.example.com').post('/batch')
        .reply(207, { results: [{ status: 200 }, { status: 422, error: 'n too small' }, { status: 201 }] });
      await webhook.batch('send', { events, mapping });
      const results = webhook.results() as Array<{ status: number; errormessage?: string }>;
      expect(results.map((r) => r.status)).to.deep.equal([200, 422, 201]);
      expect(results[1]!.errormessage).to.equal('n too small');
      expect(results[0]!.errormessage).to.equal(undefined);
    });

    it("gives a batch the same Idempotency-Key whatever the items' order (a retry may queue them differently)", async () => {
      const seen = capture(nock('https://hooks.example.com').post('/batch').times(2).reply(200));
      await webhook.batch('send', { events, mapping });
      await webhook.batch('send', { events: [events[2]!, events[0]!, events[1]!], mapping });
      expect(seen[1]!.headers.get('idempotency-key')).to.equal(seen[0]!.headers.get('idempotency-key'));
      expect(seen[1]!.headers.get('x-idempotency-keys'), 'every item key, in body order').to.equal('c,a,b');
    });

    it("passes a whole answer's Retry-After on to every item it refused", async () => {
      nock('https://hooks.example.com').post('/batch').reply(429, 'slow down', { 'Retry-After': '120' });
      await webhook.batch('send', { events, mapping });
      const results = webhook.results() as Array<{ status: number; headers?: Record<string, string> }>;
      expect(results.map((r) => [r.status, r.headers?.['retry-after']])).to.deep.equal([[429, '120'], [429, '120'], [429, '120']]);
    });

    it('fails every event of the batch when the endpoint fails as a whole', async () => {
      nock('https://hooks.example.com').post('/batch').reply(503, 'down');
      await webhook.batch('send', { events, mapping });
      const results = webhook.results() as Array<{ status: number; errormessage?: string }>;
      expect(results.map((r) => r.status)).to.deep.equal([503, 503, 503]);
      expect(results.every((r) => typeof r.errormessage === 'string')).to.equal(true);
    });

    it('sends one request per distinct URL and keeps results in input order', async () => {
      nock('https://hooks.example.com').post('/one').reply(200);
      nock('https://hooks.example.com').post('/two').reply(500);
      await webhook.batch('send', {
        events: [{ properties: { to: 'one' } }, { properties: { to: 'two' } }, { properties: { to: 'one' } }],
        mapping: { url: { '@template': 'https://hooks.example.com/{{properties.to}}' } },
      });
      expect((webhook.results() as Array<{ status: number }>).map((r) => r.status)).to.deep.equal([200, 500, 200]);
    });
  });
});
