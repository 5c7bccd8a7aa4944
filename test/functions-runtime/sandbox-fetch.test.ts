import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import type { HostFetch } from '../../functions-runtime/host-fetch-types.ts';
import { recordingFetch } from './recording-fetch.ts';

describe('FunctionSandbox: fetch through the host', () => {
  it('sends the request as plain data to the HostFetch and hands the response back', async () => {
    const fetch = recordingFetch(() => ({ status: 202, statusText: 'Accepted', headers: [['content-type', 'application/json'], ['x-request-id', 'r1']], body: '{"queued":true}' }));
    const sandbox = new FunctionSandbox({ fetch });
    try {
      const code = `async function onTrack(event, settings) {
        const response = await fetch('https://hooks.example.com/in?x=1', {
          method: 'post',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + settings.token },
          body: JSON.stringify({ name: event.event }),
        });
        return { ok: response.ok, status: response.status, statusText: response.statusText, id: response.headers.get('X-Request-Id'), url: response.url, body: await response.json() };
      }`;
      const result = await sandbox.invoke({ key: 'fn_fetch@1', code, handler: 'onTrack', payload: { event: 'Signed Up' }, settings: { token: 't0k' } });
      expect(result.ok && result.value).to.deep.equal({ ok: true, status: 202, statusText: 'Accepted', id: 'r1', url: 'https://hooks.example.com/in?x=1', body: { queued: true } });
      expect(fetch.requests).to.deep.equal([{ url: 'https://hooks.example.com/in?x=1', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t0k' }, body: '{"name":"Signed Up"}' }]);
      expect(result.requests).to.have.length(1);
      expect(result.requests[0]).to.include({ method: 'POST', url: 'https://hooks.example.com/in?x=1', status: 202 });
    } finally {
      sandbox.dispose();
    }
  });

  it('rejects the function\'s fetch with the host\'s error name and records the failure', async () => {
    const refusing: HostFetch = async () => { throw Object.assign(new Error('address 127.0.0.1 is not allowed'), { name: 'RequestRefusedError' }); };
    const sandbox = new FunctionSandbox({ fetch: refusing });
    try {
      const code = `async function onTrack() {
        try { await fetch('http://127.0.0.1/admin'); } catch (e) { return e.name + ': ' + e.message; }
      }`;
      const result = await sandbox.invoke({ key: 'fn_refused@1', code, handler: 'onTrack', payload: {}, settings: {} });
      expect(result.ok && result.value).to.equal('RequestRefusedError: address 127.0.0.1 is not allowed');
      expect(result.requests).to.have.length(1);
      expect(result.requests[0]).to.include({ url: 'http://127.0.0.1/admin', status: null, error: 'RequestRefusedError: address 127.0.0.1 is not allowed' });
    } finally {
      sandbox.dispose();
    }
  });

  it('refuses, before anything reaches the host, a URL, headers or body too large, and requests past 8 M characters in one call', async () => {
    const fetch = recordingFetch();
    const sandbox = new FunctionSandbox({ fetch });
    try {
      const code = `async function onTrack() {
        const outcome = (p) => p.then(() => 'sent', (e) => e.name + ': ' + e.message);
        const big = 'a'.repeat(20000000);
        const results = {
          url: await outcome(fetch('https://api.example.com/' + big)),
          headers: await outcome(fetch('https://api.example.com/h', { headers: { 'x-big': big.slice(0, 70000) } })),
          body: await outcome(fetch('https://api.example.com/b', { method: 'POST', body: big.slice(0, 1100000) })),
          small: await outcome(fetch('https://api.example.com/ok')),
        };
        // Nine bodies of 1,000,000 characters: the ninth passes the call's 8,388,608 in all.
        const many = [];
        for (let i = 0; i < 9; i++) many.push(await outcome(fetch('https://api.example.com/m' + i, { method: 'POST', body: big.slice(0, 1000000) })));
        results.many = many;
        return results;
      }`;
      const result = await sandbox.invoke({ key: 'fn_big@1', code, handler: 'onTrack', payload: {}, settings: {} });
      expect(result.ok, JSON.stringify(result).slice(0, 500)).to.equal(true);
      if (!result.ok) return;
      const value = result.value as Record<string, unknown>;
      expect(value['url']).to.equal('RequestLimitError: the request was refused: its URL is longer than 16384 characters');
      expect(value['headers']).to.equal('RequestLimitError: the request was refused: its headers are longer than 65536 characters');
      expect(value['body']).to.equal('RequestLimitError: the request was refused: its body is longer than 1048576 characters');
      expect(value['small']).to.equal('sent');
      expect(value['many']).to.deep.equal([...Array<string>(8).fill('sent'), "RequestLimitError: the request was refused: the call's requests carry more than 8388608 characters in all"]);
      // Only what was allowed reached the host.
      expect(fetch.requests.map((r) => r.url)).to.deep.equal(['https://api.example.com/ok', ...Array.from({ length: 8 }, (_, i) => `https://api.example.com/m${i}`)]);
    } finally {
      sandbox.dispose();
    }
  });

  it('fails the call with RequestLimitError past maxRequestsPerCall, even if the function catches it', async () => {
    const fetch = recordingFetch();
    const sandbox = new FunctionSandbox({ fetch, maxRequestsPerCall: 3 });
    try {
      const code = `async function onTrack() {
        for (let i = 0; i < 10; i++) { try { await fetch('https://api.example.com/' + i); } catch (e) { console.log(e.name); } }
        return 'done';
      }`;
      const result = await sandbox.invoke({ key: 'fn_many@1', code, handler: 'onTrack', payload: {}, settings: {} });
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.error.name).to.equal('RequestLimitError');
      expect(fetch.requests).to.have.length(3);
      expect(result.requests).to.have.length(4);
      expect(result.logs.map((l) => l.message)).to.include('RequestLimitError');
    } finally {
      sandbox.dispose();
    }
  });

  it('refuses a flood of fetches started without awaiting, asking the host only up to the limit', async () => {
    const fetch = recordingFetch();
    const sandbox = new FunctionSandbox({ fetch, maxRequestsPerCall: 5 });
    try {
      const code = `async function onTrack() {
        const all = [];
        for (let i = 0; i < 10000; i++) all.push(fetch('https://api.example.com/' + i).then(() => 'ok', (e) => e.name));
        const outcomes = await Promise.all(all);
        return { ok: outcomes.filter((o) => o === 'ok').length, refused: outcomes.filter((o) => o === 'RequestLimitError').length };
      }`;
      const result = await sandbox.invoke({ key: 'fn_flood@1', code, handler: 'onTrack', payload: {}, settings: {} });
      expect(result).to.deep.include({ ok: false, error: { name: 'RequestLimitError', message: 'the function made more than 5 requests in one call' } });
      expect(fetch.requests).to.have.length(5);
      expect(result.requests).to.have.length(6);
    } finally {
      sandbox.dispose();
    }
  });

  describe('against a real local HTTP server (a HostFetch built on global fetch)', () => {
    let server: Server;
    let base: string;
    const received: Array<{ method: string | undefined; url: string | undefined; headers: IncomingMessage['headers']; body: string }> = [];
    before(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
        req.on('end', () => {
          received.push({ method: req.method, url: req.url, headers: req.headers, body });
          res.writeHead(201, { 'content-type': 'application/json', 'x-server': 'local' });
          res.end(JSON.stringify({ echoed: JSON.parse(body || 'null') }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    // The trivial HostFetch: no SSRF guard (loopback is the point of this test).
    const globalFetchHost: HostFetch = async (request, { signal }) => {
      const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal, redirect: 'follow' });
      const headers: Array<[string, string]> = [];
      response.headers.forEach((value, name) => headers.push([name, value]));
      return { url: response.url, status: response.status, statusText: response.statusText, headers, body: await response.text(), redirected: response.redirected };
    };

    it('posts JSON and reads the JSON answer', async () => {
      const sandbox = new FunctionSandbox({ fetch: globalFetchHost });
      try {
        const code = `async function onTrack(event, settings) {
          const res = await fetch(settings.url + '/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
          return { status: res.status, server: res.headers.get('x-server'), body: await res.json() };
        }`;
        const event = { type: 'track', event: 'Order Completed', properties: { total: 10 } };
        const result = await sandbox.invoke({ key: 'fn_local@1', code, handler: 'onTrack', payload: event, settings: { url: base } });
        expect(result.ok && result.value).to.deep.equal({ status: 201, server: 'local', body: { echoed: event } });
        expect(received).to.have.length(1);
        expect(received[0]).to.deep.include({ method: 'POST', url: '/events', body: JSON.stringify(event) });
        expect(received[0]!.headers['content-type']).to.equal('application/json');
        expect(result.requests[0]).to.include({ status: 201, method: 'POST' });
        expect(result.requests[0]!.durationMs).to.be.greaterThan(0);
      } finally {
        sandbox.dispose();
      }
    });
  });
});
