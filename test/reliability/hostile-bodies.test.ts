import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';
import { expectAccepted, expectError, expectNothingStored, uniqueId } from '../ingest/ingest-helpers.ts';

/** `levels` objects nested in one another (`properties` is the outermost): a track body's depth is levels + 1. */
function nestedProperties(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

/** A track body of exactly `depth` levels. */
function trackOfDepth(userId: string, depth: number): string {
  return `{"userId":"${userId}","event":"Deep","properties":${nestedProperties(depth - 1)}}`;
}

/** `members` gzip members of 1 MB of zeros each, concatenated (gunzip reads them as one stream): ~1 KB each. */
function gzipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat(Array.from({ length: members }, () => member));
}

/** POSTs `chunks` with chunked transfer encoding (no content-length) and reads the answer. */
function postChunked(url: string, headers: Record<string, string>, chunks: Buffer[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // A connection of its own, and every chunk sent even once the answer is in: a client that stops
    // mid-body leaves the server waiting for the rest (until its request timeout).
    const req = http.request(url, { method: 'POST', agent: false, headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), headers: new Headers() }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('reliability: bodies sized or nested to exhaust memory or CPU are refused', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine({ maxApiBodyBytes: 64 * 1024 }); });
  after(async () => { await t.close(); });

  const auth = () => ({ authorization: `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' });

  describe('JSON nesting (MAX_JSON_DEPTH, 64 by default)', () => {
    it('accepts a message exactly 64 levels deep', async () => {
      const res = await t.ingest('/v1/track', trackOfDepth(uniqueId('deep-ok'), 64));
      expectAccepted(res, 1);
    });

    it('refuses a message 65 levels deep with 400 payload_too_deep, storing nothing', async () => {
      const res = await expectNothingStored(t, () => t.ingest('/v1/track', trackOfDepth(uniqueId('deep'), 65)));
      expectError(res, { status: 400, code: 'payload_too_deep', message: /more than 64 levels deep/ });
      expect(res.body.error.limit).to.equal(64);
    });

    it('refuses a batch whose one message is too deep, storing none of the batch', async () => {
      const userId = uniqueId('deep-batch');
      const good = `{"type":"track","userId":"${userId}","event":"Fine"}`;
      const deep = `{"type":"track","userId":"${userId}","event":"Deep","properties":${nestedProperties(70)}}`;
      const res = await expectNothingStored(t, () => t.ingest('/v1/batch', `{"batch":[${good},${deep},${good}]}`));
      expectError(res, { status: 400, code: 'payload_too_deep', message: /64 levels/ });
    });

    it('refuses 500 KB of `[[[[…` at once, and the engine keeps answering', async () => {
      const body = `${'['.repeat(250_000)}${']'.repeat(250_000)}`;
      const started = performance.now();
      const res = await t.ingest('/v1/batch', body);
      expectError(res, { status: 400, code: 'payload_too_deep', message: /64 levels/ });
      expect(performance.now() - started, 'ms').to.be.below(1_000);
      expect((await fetch(`${t.url}/health`)).status).to.equal(200);
    });

    it('does not count brackets inside strings', async () => {
      const res = await t.ingest('/v1/track', { userId: uniqueId('brackets'), event: 'Brackets', properties: { text: '[{'.repeat(5_000) } });
      expectAccepted(res, 1);
    });

    it('refuses a too-deep management API body with 400 payload_too_deep and creates nothing', async () => {
      const name = uniqueId('deep-audience');
      const deep = `{"name":"${name}","rule":[{"path":"plan","operator":"equals","value":${'['.repeat(100)}${']'.repeat(100)}}]}`;
      const res = await t.api('POST', '/api/v1/audiences', undefined, { raw: deep });
      expectError(res, { status: 400, code: 'payload_too_deep', message: /more than 64 levels deep/ });
      const listed = await t.api('GET', '/api/v1/audiences');
      expect(listed.body.audiences.map((a: { name: string }) => a.name)).to.not.include(name);
    });

    it('refuses 10,000 levels of nesting on the management API without parsing it', async () => {
      const res = await t.api('PUT', '/api/v1/journeys/jrn_nothing', undefined, { raw: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}` });
      expectError(res, { status: 400, code: 'payload_too_deep', message: /64 levels/ });
    });
  });

  describe('size', () => {
    it('refuses a management API body over MAX_API_BODY_BYTES with 413 and creates nothing', async () => {
      const name = uniqueId('big-audience');
      const res = await t.api('POST', '/api/v1/audiences', { name, description: 'x'.repeat(70 * 1024) });
      expectError(res, { status: 413, code: 'payload_too_large', message: /larger than 65536 bytes/ });
      expect(res.body.error.limit).to.equal(64 * 1024);
      const listed = await t.api('GET', '/api/v1/audiences');
      expect(listed.body.audiences.map((a: { name: string }) => a.name)).to.not.include(name);
    });

    it('refuses a streamed (chunked) management API body over the limit', async () => {
      const chunk = Buffer.from(`{"name":"x","description":"${'y'.repeat(16 * 1024)}`);
      const res = await postChunked(`${t.url}/api/v1/audiences`, { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
        Array.from({ length: 8 }, () => chunk));
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
    });
  });

  describe('gzip', () => {
    it('cuts a gzip bomb off at the size limit while inflating: 480 KB expanding to 480 MB', async () => {
      const bomb = gzipBomb(480);
      expect(bomb.length).to.be.below(512_000);
      const rssBefore = process.memoryUsage().rss;
      const started = performance.now();
      const res = await expectNothingStored(t, async () => {
        const r = await fetch(`${t.url}/v1/batch`, { method: 'POST', headers: { ...auth(), 'content-encoding': 'gzip' }, body: new Uint8Array(bomb) });
        return { status: r.status, body: await r.json(), headers: r.headers };
      });
      expectError(res, { status: 413, code: 'payload_too_large', message: /larger than 512000 bytes/ });
      expect(performance.now() - started, 'ms').to.be.below(2_000);
      // The engine runs in this process: had it inflated the bomb, it would hold 480 MB.
      expect(process.memoryUsage().rss - rssBefore, 'memory grew by').to.be.below(100 * 1024 * 1024);
    });

    it('cuts a streamed gzip bomb off too (no content-length)', async () => {
      const res = await postChunked(`${t.url}/v1/track`, { ...auth(), 'content-encoding': 'gzip' }, [gzipBomb(8)]);
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
    });

    it('refuses a gzip body whose compressed size passes the limit even when it inflates to nothing', async () => {
      // Empty gzip members: ~20 bytes each, inflating to 0 bytes; 40,000 of them are 800 KB.
      const empty = gzipSync(Buffer.alloc(0));
      const members = Buffer.concat(Array.from({ length: 2_000 }, () => empty));
      const res = await postChunked(`${t.url}/v1/batch`, { ...auth(), 'content-encoding': 'gzip' }, Array.from({ length: 20 }, () => members));
      expect(res.status).to.equal(413);
      expect(res.body.error.code).to.equal('payload_too_large');
    });

    it('refuses a deep gzip body after inflating it', async () => {
      const res = await fetch(`${t.url}/v1/track`, {
        method: 'POST', headers: { ...auth(), 'content-encoding': 'gzip' }, body: gzipSync(trackOfDepth(uniqueId('gz-deep'), 100)),
      });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('payload_too_deep');
    });

    it('still accepts an honest gzip batch', async () => {
      const userId = uniqueId('gz');
      const body = gzipSync(JSON.stringify({ batch: Array.from({ length: 50 }, (_, i) => ({ type: 'track', userId, event: 'Zipped', properties: { i, pad: 'p'.repeat(500) } })) }));
      const res = await fetch(`${t.url}/v1/batch`, { method: 'POST', headers: { ...auth(), 'content-encoding': 'gzip' }, body });
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ success: true, stored: 50, duplicates: 0 });
    });
  });
});
