/**
 * What a body's bytes may be: UTF-8 (declared or not) and JSON numbers that are finite. Anything
 * else is refused with a 4xx that says where, and nothing is stored: before, bytes that were not
 * UTF-8 became U+FFFD and `1e400` became null in the stored event.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { storedEvents } from './ingest-helpers.ts';

describe('ingest and API bodies: UTF-8 text and finite numbers', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine({ dataDir: ':memory:' }); });
  after(async () => { await t.close(); });

  /** Posts raw bytes to an ingest endpoint with the default write key. */
  async function postBytes(endpoint: string, bytes: Buffer, contentType = 'application/json') {
    const res = await fetch(`${t.url}${endpoint}`, {
      method: 'POST', body: new Uint8Array(bytes),
      headers: { 'content-type': contentType, authorization: `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}` },
    });
    return { status: res.status, body: await res.json() as { error?: { code: string; message: string; path?: string; offset?: number } } };
  }

  it('refuses a body that is not UTF-8, naming the first bad byte, and stores nothing', async () => {
    const before = (await storedEvents(t)).length;
    const prefix = Buffer.from('{"userId":"u-latin1","event":"Caf');
    // "Café" written in Latin-1: the é is the single byte 0xE9, which UTF-8 cannot start a character with here.
    const latin1 = Buffer.concat([prefix, Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await postBytes('/v1/track', latin1);
    expect(res.status).to.equal(400);
    expect(res.body.error).to.include({ code: 'invalid_json', offset: prefix.length });
    expect(res.body.error!.message).to.equal(`the body is not valid UTF-8 (byte ${prefix.length})`);

    const batch = Buffer.concat([Buffer.from('{"batch":[{"type":"track","userId":"u-ok","event":"Fine"},{"type":"track","userId":"u-bad","event":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    expect((await postBytes('/v1/batch', batch)).body.error?.code).to.equal('invalid_json');
    expect(await storedEvents(t)).to.have.lengthOf(before);
  });

  it('accepts UTF-8 however it is declared, and refuses another declared charset with 415', async () => {
    const text = Buffer.from(JSON.stringify({ userId: 'u-utf8', event: 'Café ☕ 👋' }));
    for (const contentType of ['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'text/plain;charset=UTF8']) {
      expect((await postBytes('/v1/track', text, contentType)).status, contentType).to.equal(200);
    }
    const stored = (await storedEvents(t)).filter((e) => e.userId === 'u-utf8');
    expect(stored.map((e) => e.event)).to.deep.equal(Array(4).fill('Café ☕ 👋'));

    const refused = await postBytes('/v1/track', text, 'application/json; charset=iso-8859-1');
    expect(refused.status).to.equal(415);
    expect(refused.body.error).to.include({ code: 'unsupported_media_type', message: "charset 'iso-8859-1' is not supported; send UTF-8" });
  });

  it('refuses a number too large to represent (1e400) at its path, in a call, a batch and an API body', async () => {
    const before = (await storedEvents(t)).length;
    const single = await t.ingest('/v1/track', '{"userId":"u-big","event":"Big","properties":{"order":{"total":1e400}}}');
    expect(single.status).to.equal(400);
    expect(single.body.error).to.include({ code: 'invalid_json', path: '/properties/order/total' });
    expect(single.body.error.message).to.equal('/properties/order/total is a number too large to represent (JSON numbers must be finite)');

    const batch = await t.ingest('/v1/batch', '{"batch":[{"type":"track","userId":"u-1","event":"A"},{"type":"identify","userId":"u-2","traits":{"a/b":[1,-2E+999]}}]}');
    expect(batch.status).to.equal(400);
    expect(batch.body.error).to.include({ code: 'invalid_json', path: '/batch/1/traits/a~1b/1', index: 1 });
    expect(batch.body.error.message).to.match(/\(batch message 1\)$/);
    expect(await storedEvents(t)).to.have.lengthOf(before);

    const audience = await t.api('POST', '/api/v1/audiences', undefined, { raw: '{"name":"Big spenders","rule":{"all":[{"path":"traits.ltv","operator":"gt","value":1e999}]}}' });
    expect(audience.status).to.equal(400);
    expect(audience.body.error).to.include({ code: 'invalid_json', path: '/rule/all/0/value' });
    expect((await t.api('GET', '/api/v1/audiences')).body.audiences.map((a: { name: string }) => a.name)).not.to.include('Big spenders');
  });

  it('refuses overflows spelled with a long mantissa and a short exponent, after whitespace, negative, or in an array', async () => {
    const longMantissa = `1${'0'.repeat(240)}e70`;
    for (const [body, path] of [
      [`{"userId":"u-long","event":"Big","properties":{"n":${longMantissa}}}`, '/properties/n'],
      [`{\n  "userId": "u-pretty",\n  "event": "Big",\n  "properties": {\n    "n":\n      -1.5e400\n  }\n}`, '/properties/n'],
      [`{"userId":"u-array","event":"Big","properties":{"list":[1, 2e308]}}`, '/properties/list/1'],
    ] as const) {
      const res = await t.ingest('/v1/track', body);
      expect(res.status, body.slice(0, 80)).to.equal(400);
      expect(res.body.error).to.include({ code: 'invalid_json', path });
    }
  });

  it('keeps numbers that only look large: 1e308, 1e-400 (zero) and exponents inside strings', async () => {
    const res = await t.ingest('/v1/track', '{"userId":"u-fine","event":"e400","messageId":"ajs-3e512-4e1000","properties":{"max":1e308,"tiny":1e-400,"code":"E999","id":"9e400"}}');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const [stored] = (await storedEvents(t)).filter((e) => e.userId === 'u-fine');
    expect(stored!.properties).to.deep.equal({ max: 1e308, tiny: 0, code: 'E999', id: '9e400' });
  });
});
