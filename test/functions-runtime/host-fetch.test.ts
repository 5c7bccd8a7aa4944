import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { createHostFetch, type HostFetchOptions, type ResolvedAddress } from '../../functions-runtime/host-fetch.ts';
import type { HostFetchRequest } from '../../functions-runtime/host-fetch-types.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A loopback server for the host fetch: /echo answers what it received as JSON; /redirect/N?to=X
 * answers status N with Location X (none without `to`); /loop redirects to itself; /hang never answers; /stall sends
 * headers and then nothing; /bytes?n=N&length=1 sends N bytes (chunked unless length=1);
 * /gzip sends a gzipped body.
 */
async function startServer(): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      seen.push(entry);
      const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
      const to = url.searchParams.get('to');
      if (redirect) res.writeHead(Number(redirect[1]), to === null ? {} : { location: to }).end('moved');
      else if (url.pathname === '/loop') res.writeHead(302, { location: '/loop' }).end();
      else if (url.pathname === '/hang') return;
      else if (url.pathname === '/stall') res.writeHead(200, { 'content-type': 'text/plain' }).write('partial');
      else if (url.pathname === '/bytes') {
        const body = 'x'.repeat(Number(url.searchParams.get('n')));
        res.writeHead(200, url.searchParams.has('length') ? { 'content-length': String(body.length) } : {});
        if (url.searchParams.has('length')) res.end(body);
        else { for (let i = 0; i < body.length; i += 1000) res.write(body.slice(i, i + 1000)); res.end(); }
      } else if (url.pathname === '/gzip') res.writeHead(200, { 'content-encoding': 'gzip' }).end(zlib.gzipSync('héllo, zipped'));
      else {
        res.writeHead(201, 'Echoed', [['Content-Type', 'application/json'], ['X-Trace', 'a'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
        res.end(JSON.stringify(entry));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const request = (url: string, init: Partial<HostFetchRequest> = {}): HostFetchRequest =>
  ({ url, method: 'GET', headers: {}, body: null, ...init });
const noAbort = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the request to fail');
}

describe('functions-runtime host fetch: requests, redirects and limits', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let base: string;
  const fetchWith = (options: HostFetchOptions = {}) => createHostFetch({ allowPrivateNetwork: true, ...options });
  before(async () => {
    server = await startServer();
    base = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.close());
  beforeEach(() => { server.seen.length = 0; });

  it('GETs with the headers given and answers status, lower-case header pairs and the body', async () => {
    const response = await fetchWith()(request(`${base}/echo?q=1`, { headers: { Accept: 'application/json', 'X-Api-Key': 'k1' } }), noAbort());
    expect(response).to.include({ url: `${base}/echo?q=1`, status: 201, statusText: 'Echoed', redirected: false });
    expect(response.headers).to.deep.include.members([['content-type', 'application/json'], ['x-trace', 'a'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
    const seen = JSON.parse(response.body) as Seen;
    expect(seen).to.include({ method: 'GET', url: '/echo?q=1', body: '' });
    expect(seen.headers).to.include({ accept: 'application/json', 'x-api-key': 'k1', 'user-agent': 'journey-engine-functions' });
  });

  it('POSTs a JSON body with its headers and a correct Content-Length', async () => {
    const body = JSON.stringify({ userId: 'u1', name: 'Zoë' });
    const response = await fetchWith({ userAgent: 'acme-fn/2' })(request(`${base}/echo`, {
      method: 'post', headers: { 'Content-Type': 'application/json', Authorization: 'Basic dTpw' }, body,
    }), noAbort());
    const seen = JSON.parse(response.body) as Seen;
    expect(seen).to.include({ method: 'POST', body });
    expect(seen.headers).to.include({
      'content-type': 'application/json', authorization: 'Basic dTpw', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'acme-fn/2',
    });
  });

  it('keeps the function away from the headers the host owns (Host, Content-Length, Connection)', async () => {
    const response = await fetchWith()(request(`${base}/echo`, {
      method: 'POST', headers: { Host: 'evil.example', 'Content-Length': '1', Connection: 'upgrade', 'Transfer-Encoding': 'chunked' }, body: 'hello',
    }), noAbort());
    const seen = JSON.parse(response.body) as Seen;
    expect(seen.body).to.equal('hello');
    expect(seen.headers).to.include({ host: `127.0.0.1:${server.port}`, 'content-length': '5' });
    expect(seen.headers).not.to.have.property('transfer-encoding');
  });

  it('follows a 303 with a GET without the body, and reports the final URL', async () => {
    const response = await fetchWith()(request(`${base}/redirect/303?to=/echo?after=303`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}',
    }), noAbort());
    expect(response).to.include({ status: 201, redirected: true, url: `${base}/echo?after=303` });
    const final = JSON.parse(response.body) as Seen;
    expect(final).to.include({ method: 'GET', body: '' });
    expect(final.headers).not.to.have.property('content-type');
    expect(server.seen.map((s) => s.method)).to.deep.equal(['POST', 'GET']);
  });

  it('turns a POST into a GET on 302, as fetch does', async () => {
    const response = await fetchWith()(request(`${base}/redirect/302?to=/echo`, { method: 'POST', body: 'x' }), noAbort());
    expect(JSON.parse(response.body)).to.include({ method: 'GET', body: '' });
  });

  for (const status of [307, 308]) {
    it(`keeps the method and body on ${status}`, async () => {
      const response = await fetchWith()(request(`${base}/redirect/${status}?to=/echo`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"keep":true}',
      }), noAbort());
      expect(JSON.parse(response.body)).to.include({ method: 'POST', body: '{"keep":true}' });
      expect(response.redirected).to.equal(true);
    });
  }

  it('drops credentials when a redirect leaves the origin', async () => {
    const lookup = async (): Promise<ResolvedAddress[]> => [{ address: '127.0.0.1', family: 4 }];
    const to = `http://other.example.com:${server.port}/echo`;
    const response = await fetchWith({ lookup })(request(`${base}/redirect/307?to=${encodeURIComponent(to)}`, {
      headers: { Authorization: 'Bearer secret', 'X-Keep': 'yes' },
    }), noAbort());
    const seen = JSON.parse(response.body) as Seen;
    expect(seen.headers).to.include({ 'x-keep': 'yes', host: `other.example.com:${server.port}` });
    expect(seen.headers).not.to.have.property('authorization');
    expect(server.seen[0]!.headers).to.have.property('authorization', 'Bearer secret');
  });

  it('fails with TooManyRedirectsError after maxRedirects hops', async () => {
    const error = await failure(fetchWith({ maxRedirects: 3 })(request(`${base}/loop`), noAbort()));
    expect(error.name).to.equal('TooManyRedirectsError');
    expect(error.message).to.include(`${base}/loop`).and.include('more than 3 times');
    expect(server.seen).to.have.length(4);
  });

  it('answers a redirect without a Location as it is', async () => {
    const response = await fetchWith()(request(`${base}/redirect/302`), noAbort());
    expect(response).to.include({ status: 302, body: 'moved', redirected: false });
  });

  it('times out against a server that never answers, with a TimeoutError naming the URL and phase', async () => {
    const started = Date.now();
    const error = await failure(fetchWith({ timeoutMs: 150 })(request(`${base}/hang`), noAbort()));
    expect(error.name).to.equal('TimeoutError');
    expect(error.message).to.equal(`request to ${base}/hang timed out after 150 ms (while connecting and waiting for the response headers)`);
    expect(Date.now() - started).to.be.below(2_000);
  });

  it('times out while the body is still arriving', async () => {
    const error = await failure(fetchWith({ timeoutMs: 150 })(request(`${base}/stall`), noAbort()));
    expect(error.name).to.equal('TimeoutError');
    expect(error.message).to.include('while reading the response body');
  });

  it("stops when the caller's signal aborts, with an AbortError", async () => {
    const controller = new AbortController();
    const pending = fetchWith()(request(`${base}/hang`), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('wall-clock limit of the function call')), 30);
    const error = await failure(pending);
    expect(error.name).to.equal('AbortError');
    expect(error.message).to.include(`${base}/hang`).and.include('wall-clock limit');
  });

  it('fails at once when the signal is already aborted', async () => {
    const error = await failure(fetchWith()(request(`${base}/echo`), { signal: AbortSignal.abort() }));
    expect(error.name).to.equal('AbortError');
    expect(server.seen).to.have.length(0);
  });

  it('fails with ResponseTooLargeError when a streamed body passes the cap', async () => {
    const error = await failure(fetchWith({ maxResponseBytes: 2_500 })(request(`${base}/bytes?n=10000`), noAbort()));
    expect(error.name).to.equal('ResponseTooLargeError');
    expect(error.message).to.include(`${base}/bytes?n=10000`).and.include('2500-byte limit');
  });

  it('fails before reading when the Content-Length is over the cap', async () => {
    const error = await failure(fetchWith({ maxResponseBytes: 2_500 })(request(`${base}/bytes?n=10000&length=1`), noAbort()));
    expect(error.name).to.equal('ResponseTooLargeError');
    expect(error.message).to.include('Content-Length 10000');
  });

  it('accepts a body of exactly the cap', async () => {
    const response = await fetchWith({ maxResponseBytes: 3_000 })(request(`${base}/bytes?n=3000`), noAbort());
    expect(response.body).to.have.length(3_000);
  });

  it('decompresses a gzip body and decodes it as UTF-8', async () => {
    const response = await fetchWith()(request(`${base}/gzip`), noAbort());
    expect(response.body).to.equal('héllo, zipped');
    expect(server.seen[0]!.headers['accept-encoding']).to.equal('gzip, deflate, br');
  });

  it('reports a refused connection as a FetchError that keeps its code', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(fetchWith()(request(`http://127.0.0.1:${port}/`), noAbort()));
    expect(error.name).to.equal('FetchError');
    expect(error.code).to.equal('ECONNREFUSED');
    expect(error.message).to.include(`http://127.0.0.1:${port}/`).and.include('ECONNREFUSED');
  });

  it('rejects a GET with a body, an invalid URL and a CONNECT', async () => {
    const fetch = fetchWith();
    expect((await failure(fetch(request(`${base}/echo`, { body: 'x' }), noAbort()))).message).to.include('cannot have a body');
    expect((await failure(fetch(request('not a url'), noAbort()))).name).to.equal('TypeError');
    expect((await failure(fetch(request(`${base}/echo`, { method: 'CONNECT' }), noAbort()))).name).to.equal('FetchRefusedError');
    expect(server.seen).to.have.length(0);
  });

  it('rejects an invalid header value with a TypeError instead of throwing synchronously', async () => {
    const error = await failure(fetchWith()(request(`${base}/echo`, { headers: { 'x-bad': 'a\r\nInjected: 1' } }), noAbort()));
    expect(error.name).to.equal('TypeError');
    expect(error.message).to.include('invalid request');
  });
});
