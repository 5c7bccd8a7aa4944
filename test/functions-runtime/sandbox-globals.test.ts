import { expect } from 'chai';
import { createHash, createHmac } from 'node:crypto';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import { recordingFetch } from './recording-fetch.ts';

describe('FunctionSandbox: globals inside the isolate', () => {
  const sandbox = new FunctionSandbox({ fetch: recordingFetch(), cpuTimeoutMs: 1_000, wallTimeoutMs: 2_000 });
  after(() => sandbox.dispose());
  let n = 0;

  // Runs `body` as the body of an async onTrack handler and returns its value.
  async function run(body: string, payload: unknown = {}): Promise<unknown> {
    const result = await sandbox.invoke({ key: `globals_${++n}@1`, code: `async function onTrack(event, settings) {\n${body}\n}`, handler: 'onTrack', payload, settings: {} });
    if (!result.ok) expect.fail(`${result.error.name}: ${result.error.message}`);
    return result.value;
  }

  it('URL exposes the parts of a URL and follows setters', async () => {
    const value = await run(`
      const u = new URL('https://user:pw@api.example.com:8443/v1/items?a=1&b=two#frag');
      const parts = { href: u.href, protocol: u.protocol, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash, origin: u.origin, username: u.username };
      u.pathname = '/v2/items';
      u.searchParams.append('c', 'x y');
      u.searchParams.set('a', '3');
      const relative = new URL('../other?q=1', 'https://example.com/a/b/c').toString();
      let invalid = null; try { new URL('not a url'); } catch (e) { invalid = e.name; }
      return { parts, after: u.toString(), a: u.searchParams.get('a'), relative, invalid, json: JSON.stringify({ u }) };`);
    expect(value).to.deep.equal({
      parts: { href: 'https://user:pw@api.example.com:8443/v1/items?a=1&b=two#frag', protocol: 'https:', host: 'api.example.com:8443', hostname: 'api.example.com', port: '8443', pathname: '/v1/items', search: '?a=1&b=two', hash: '#frag', origin: 'https://api.example.com:8443', username: 'user' },
      after: 'https://user:pw@api.example.com:8443/v2/items?a=3&b=two&c=x+y#frag',
      a: '3',
      relative: 'https://example.com/a/other?q=1',
      invalid: 'TypeError',
      json: '{"u":"https://user:pw@api.example.com:8443/v2/items?a=3&b=two&c=x+y#frag"}',
    });
  });

  it('URLSearchParams parses, edits and serialises form encoding', async () => {
    const value = await run(`
      const p = new URLSearchParams('?a=1&b=x+y&a=2&e=%C3%A9');
      const fromObject = new URLSearchParams({ q: 'a&b', emoji: '☃' }).toString();
      p.delete('b'); p.append('c', "it's (ok)~");
      return { a: p.get('a'), all: p.getAll('a'), e: p.get('e'), has: p.has('b'), missing: p.get('zz'), text: p.toString(), fromObject, entries: [...p] };`);
    expect(value).to.deep.equal({
      a: '1', all: ['1', '2'], e: 'é', has: false, missing: null,
      text: new URLSearchParams([['a', '1'], ['a', '2'], ['e', 'é'], ['c', "it's (ok)~"]]).toString(),
      fromObject: new URLSearchParams({ q: 'a&b', emoji: '☃' }).toString(),
      entries: [['a', '1'], ['a', '2'], ['e', 'é'], ['c', "it's (ok)~"]],
    });
  });

  it('atob and btoa round-trip Latin-1 text like the web versions', async () => {
    const value = await run(`return { b: btoa('user:pass'), a: atob('dXNlcjpwYXNz'), bad: (() => { try { btoa('☃'); } catch (e) { return e.name; } })() };`);
    expect(value).to.deep.equal({ b: btoa('user:pass'), a: 'user:pass', bad: 'InvalidCharacterError' });
  });

  it('Buffer converts between utf8, base64 and hex', async () => {
    const value = await run(`
      const b = Buffer.from('héllo ☃ 😀', 'utf8');
      return {
        base64: b.toString('base64'), hex: b.toString('hex'), back: Buffer.from(b.toString('base64'), 'base64').toString('utf8'),
        fromHex: Buffer.from('68656c6c6f', 'hex').toString(), len: Buffer.byteLength('héllo ☃ 😀'), isBuffer: Buffer.isBuffer(b),
        concat: Buffer.concat([Buffer.from('a'), Buffer.from('b')]).toString(), url: Buffer.from([251, 255]).toString('base64url'),
      };`);
    const b = Buffer.from('héllo ☃ 😀', 'utf8');
    expect(value).to.deep.equal({
      base64: b.toString('base64'), hex: b.toString('hex'), back: 'héllo ☃ 😀', fromHex: 'hello', len: Buffer.byteLength('héllo ☃ 😀'),
      isBuffer: true, concat: 'ab', url: Buffer.from([251, 255]).toString('base64url'),
    });
  });

  it('crypto hashes and HMACs match node:crypto', async () => {
    const value = await run(`
      return {
        hmac: crypto.createHmac('sha256', settings.secret || 'whsec_123').update('{"event":"x"}').digest('hex'),
        hmac64: crypto.createHmac('sha256', 'whsec_123').update('part1').update('part2').digest('base64'),
        sha256: crypto.createHash('sha256').update('abc').digest('hex'),
        sha1: crypto.createHash('sha1').update('abc').digest('base64'),
        md5: crypto.createHash('md5').update(Buffer.from('abc')).digest('hex'),
        raw: crypto.createHash('sha256').update('abc').digest().length,
        uuid: crypto.randomUUID(),
      };`);
    expect(value).to.deep.include({
      hmac: createHmac('sha256', 'whsec_123').update('{"event":"x"}').digest('hex'),
      hmac64: createHmac('sha256', 'whsec_123').update('part1part2').digest('base64'),
      sha256: createHash('sha256').update('abc').digest('hex'),
      sha1: createHash('sha1').update('abc').digest('base64'),
      md5: createHash('md5').update('abc').digest('hex'),
      raw: 32,
    });
    expect((value as { uuid: string }).uuid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('setTimeout waits, passes arguments, and clearTimeout cancels', async () => {
    const value = await run(`
      const order = [];
      const cancelled = setTimeout(() => order.push('cancelled'), 5);
      clearTimeout(cancelled);
      const started = Date.now();
      await new Promise((resolve) => setTimeout((a, b) => { order.push(a + b); resolve(); }, 30, 'x', 'y'));
      return { order, waited: Date.now() - started >= 25 };`);
    expect(value).to.deep.equal({ order: ['xy'], waited: true });
  });

  it('lodash is available as _', async () => {
    const value = await run(`return { get: _.get(event, 'properties.items[1].sku'), picked: _.pick(event.properties, ['total']), snake: _.snakeCase('orderCompleted'), version: _.VERSION };`,
      { properties: { total: 5, items: [{ sku: 'a' }, { sku: 'b' }] } });
    expect(value).to.deep.equal({ get: 'b', picked: { total: 5 }, snake: 'order_completed', version: '4.18.1' });
  });

  it('Headers and Response behave like fetch\'s', async () => {
    const value = await run(`
      const h = new Headers({ 'Content-Type': 'application/json' });
      h.append('X-A', '1'); h.append('x-a', '2');
      const r = new Response('{"n":1}', { status: 201, headers: h });
      return { ct: h.get('content-type'), xa: h.get('X-A'), keys: [...h.keys()], ok: r.ok, status: r.status, json: await r.json(), used: r.bodyUsed };`);
    expect(value).to.deep.equal({ ct: 'application/json', xa: '1, 2', keys: ['content-type', 'x-a'], ok: true, status: 201, json: { n: 1 }, used: true });
  });

  it('offers no require, process, module system, filesystem or environment', async () => {
    const value = await run(`return [typeof require, typeof process, typeof module, typeof exports, typeof __dirname, typeof fs, typeof Deno, typeof WebAssembly, typeof SharedArrayBuffer];`);
    expect(value).to.deep.equal(Array(9).fill('undefined'));
  });
});
