import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHostFetch, type HostFetchOptions, type ResolvedAddress } from '../../functions-runtime/host-fetch.ts';
import type { HostFetchRequest, HostFetchResponse } from '../../functions-runtime/host-fetch-types.ts';

/** A loopback server that answers 200 "reached" on /, and redirects /to?url=X to X. Counts requests. */
async function startServer(): Promise<{ port: number; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('url');
    if (target) res.writeHead(302, { location: target }).end();
    else res.end('reached');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const get = (url: string): HostFetchRequest => ({ url, method: 'GET', headers: {}, body: null });
const signal = (): { signal: AbortSignal } => ({ signal: new AbortController().signal });

/** A resolver for tests (there is no DNS here): a fixed table, recording what was asked. */
function fakeDns(table: Record<string, string[]>): { lookup: (host: string) => Promise<ResolvedAddress[]>; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    lookup: async (host) => {
      asked.push(host);
      const found = table[host];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  };
}

async function refusal(url: string, options: HostFetchOptions = {}): Promise<Error> {
  const fetch = createHostFetch({ timeoutMs: 2_000, ...options });
  let response: HostFetchResponse | undefined;
  try {
    response = await fetch(get(url), signal());
  } catch (error) {
    return error as Error;
  }
  throw new Error(`expected ${url} to be refused, got HTTP ${response.status}`);
}

describe('functions-runtime host fetch: SSRF refusals', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => { server = await startServer(); });
  after(() => server.close());
  beforeEach(() => { server.hits.length = 0; });

  it('refuses 127.0.0.1 without connecting, naming the address and why', async () => {
    const error = await refusal(`http://127.0.0.1:${server.port}/`);
    expect(error.name).to.equal('FetchRefusedError');
    expect(error.message).to.include(`http://127.0.0.1:${server.port}/`).and.include('127.0.0.1 is a loopback address (127.0.0.0/8)');
    expect(server.hits).to.deep.equal([]);
  });

  it('refuses localhost after resolving it with the system resolver', async () => {
    const error = await refusal(`http://localhost:${server.port}/`);
    expect(error.name).to.equal('FetchRefusedError');
    expect(error.message).to.match(/localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/);
    expect(server.hits).to.deep.equal([]);
  });

  const literals: Array<[url: string, says: string]> = [
    ['http://10.0.0.1/', '10.0.0.1 is a private address'],
    ['http://10.255.0.7:8080/admin', '10.255.0.7 is a private address'],
    ['http://192.168.1.1/', '192.168.1.1 is a private address'],
    ['http://172.20.0.5/', '172.20.0.5 is a private address'],
    ['http://100.64.1.1/', 'carrier-grade NAT'],
    ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', '169.254.169.254 is a link-local address'],
    ['https://169.254.169.254/', 'link-local'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://[::1]/', '::1 is a loopback address'],
    ['http://[::]/', 'unspecified'],
    ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped address (::ffff:0:0/96) of 127.0.0.1, a loopback address'],
    ['http://[::ffff:169.254.169.254]/', 'of 169.254.169.254, a link-local address'],
    ['http://[64:ff9b::10.0.0.1]/', 'NAT64 address (64:ff9b::/96) of 10.0.0.1'],
    ['http://[fd00::1]/', 'unique local'],
    ['http://[fe80::1]/', 'link-local'],
    // The URL parser normalises these to 127.0.0.1 / 10.0.0.1; the check sees the normalised form.
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['http://0x7f000001/', '127.0.0.1 is a loopback address'],
    ['http://017700000001/', '127.0.0.1 is a loopback address'],
    ['http://127.1/', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://167772161/', '10.0.0.1 is a private address'],
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254 is a link-local address'],
    ['http://127.0.0.1./', '127.0.0.1 is a loopback address'],
  ];
  for (const [url, says] of literals) {
    it(`refuses ${url}`, async () => {
      const error = await refusal(url);
      expect(error.name).to.equal('FetchRefusedError');
      expect(error.message).to.include(says);
    });
  }

  it('refuses a public-looking host name that resolves to a loopback address', async () => {
    const dns = fakeDns({ 'api.example.com': ['127.0.0.1'] });
    const error = await refusal(`http://api.example.com:${server.port}/`, { lookup: dns.lookup });
    expect(error.name).to.equal('FetchRefusedError');
    expect(error.message).to.include('api.example.com resolves to 127.0.0.1, which is a loopback address');
    expect(dns.asked).to.deep.equal(['api.example.com']);
    expect(server.hits).to.deep.equal([]);
  });

  it('refuses a host name when any one of its addresses is private', async () => {
    const dns = fakeDns({ 'mixed.example.com': ['93.184.216.34', '2606:2800:220:1::1', '10.1.2.3'] });
    const error = await refusal('https://mixed.example.com/', { lookup: dns.lookup });
    expect(error.message).to.include('mixed.example.com resolves to 10.1.2.3, which is a private address');
  });

  it('refuses a redirect from an allowed server to a private address, without following it', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['127.0.0.1'] });
    // The test's own server is the one exception; everything else stays refused.
    const options = { lookup: dns.lookup, isAllowedAddress: (a: string) => a === '127.0.0.1' };
    const error = await refusal(`http://hooks.example.com:${server.port}/to?url=http://10.0.0.1/internal`, options);
    expect(error.name).to.equal('FetchRefusedError');
    expect(error.message).to.include('refused to follow a redirect to http://10.0.0.1/internal').and.include('10.0.0.1 is a private address');
    expect(server.hits).to.have.length(1);
  });

  it('refuses a redirect to a host name that resolves to a private address', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['127.0.0.1'], 'internal.example.com': ['192.168.0.10'] });
    const options = { lookup: dns.lookup, isAllowedAddress: (a: string) => a === '127.0.0.1' };
    const error = await refusal(`http://hooks.example.com:${server.port}/to?url=http://internal.example.com/`, options);
    expect(error.message).to.include('internal.example.com resolves to 192.168.0.10, which is a private address');
    expect(dns.asked).to.deep.equal(['hooks.example.com', 'internal.example.com']);
  });

  it('refuses a redirect to the metadata service given as a decimal IPv4 literal', async () => {
    const options = { isAllowedAddress: (a: string) => a === '127.0.0.1' };
    const error = await refusal(`http://127.0.0.1:${server.port}/to?url=http://2852039166/`, options);
    expect(error.message).to.include('169.254.169.254 is a link-local address');
  });

  it('refuses a redirect to a non-HTTP scheme', async () => {
    const options = { allowPrivateNetwork: true };
    const error = await refusal(`http://127.0.0.1:${server.port}/to?url=file:///etc/passwd`, options);
    expect(error.name).to.equal('FetchRefusedError');
    expect(error.message).to.include('file:///etc/passwd').and.include('only http: and https:');
  });

  for (const url of ['file:///etc/passwd', 'ftp://example.com/x', 'data:text/plain,hello', 'javascript:alert(1)', 'gopher://example.com/']) {
    it(`refuses the non-HTTP URL ${url}`, async () => {
      const error = await refusal(url, { allowPrivateNetwork: true });
      expect(error.name).to.equal('FetchRefusedError');
      expect(error.message).to.include('only http: and https: URLs are allowed');
    });
  }

  it('connects to the address it checked, not to a second DNS answer (DNS rebinding)', async () => {
    const answers = [['127.0.0.1'], ['10.0.0.1']];
    const asked: string[] = [];
    const lookup = async (host: string): Promise<ResolvedAddress[]> => {
      asked.push(host);
      return (answers.shift() ?? ['10.0.0.1']).map((address) => ({ address, family: 4 as const }));
    };
    const fetch = createHostFetch({ lookup, isAllowedAddress: (a) => a === '127.0.0.1', timeoutMs: 2_000 });
    const response = await fetch(get(`http://rebind.example.com:${server.port}/`), signal());
    expect(response.body).to.equal('reached');
    expect(asked).to.deep.equal(['rebind.example.com']);
  });

  it('reaches loopback when private networks are allowed', async () => {
    const fetch = createHostFetch({ allowPrivateNetwork: true });
    const response = await fetch(get(`http://127.0.0.1:${server.port}/`), signal());
    expect(response.status).to.equal(200);
    expect(response.body).to.equal('reached');
  });

  it('reports a name that does not resolve as a FetchError with its code', async () => {
    const error = await refusal('http://nowhere.example.com/', { lookup: fakeDns({}).lookup });
    expect(error.name).to.equal('FetchError');
    expect((error as Error & { code?: string }).code).to.equal('ENOTFOUND');
    expect(error.message).to.include('http://nowhere.example.com/').and.include('ENOTFOUND');
  });
});
