import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { expectError, expectNothingStored, filler, uniqueId, type ExpectedError } from './ingest-helpers.ts';

/** One bad request, what the engine must answer, and (by the harness) that nothing was stored. */
interface RejectionCase extends ExpectedError {
  name: string;
  endpoint: string;
  /** A JSON value, or a raw string sent as is. */
  body: unknown;
  headers?: Record<string, string>;
}

const good = (i: number, tag: string) => ({ type: 'track', messageId: `${tag}-${i}`, userId: `u-${i}`, event: 'Good' });

const MESSAGE_CASES: RejectionCase[] = [
  { name: 'bad JSON', endpoint: '/v1/track', body: '{"userId": "u", "event":', status: 400, code: 'invalid_json', message: /not valid JSON/ },
  { name: 'an empty body', endpoint: '/v1/track', body: '', status: 400, code: 'invalid_json', message: /empty/ },
  {
    name: 'a non-JSON content-type', endpoint: '/v1/track', body: '<track/>', headers: { 'content-type': 'application/xml' },
    status: 415, code: 'unsupported_media_type', message: /application\/xml/,
  },
  { name: 'a JSON array instead of a message', endpoint: '/v1/track', body: [{ userId: 'u', event: 'E' }], status: 400, code: 'invalid_message', message: /JSON object/ },
  { name: 'neither userId nor anonymousId', endpoint: '/v1/track', body: { event: 'E' }, status: 400, code: 'invalid_message', message: /userId or an anonymousId/, path: '/userId' },
  { name: 'an empty-string userId', endpoint: '/v1/identify', body: { userId: '' }, status: 400, code: 'invalid_message', message: /^\/userId must be a non-empty string/, path: '/userId' },
  { name: 'an empty-string anonymousId', endpoint: '/v1/page', body: { anonymousId: '' }, status: 400, code: 'invalid_message', message: /^\/anonymousId must be a non-empty string/, path: '/anonymousId' },
  { name: 'a userId that is an object', endpoint: '/v1/identify', body: { userId: { id: 1 } }, status: 400, code: 'invalid_message', message: /^\/userId must be a non-empty string or a number/, path: '/userId' },
  { name: 'track without event', endpoint: '/v1/track', body: { userId: 'u' }, status: 400, code: 'invalid_message', message: /^\/event 'event' is required/, path: '/event' },
  { name: 'track with an empty event', endpoint: '/v1/track', body: { userId: 'u', event: '' }, status: 400, code: 'invalid_message', message: /^\/event /, path: '/event' },
  { name: 'alias without previousId', endpoint: '/v1/alias', body: { userId: 'u' }, status: 400, code: 'invalid_message', message: /^\/previousId 'previousId' is required/, path: '/previousId' },
  { name: 'group without groupId', endpoint: '/v1/group', body: { userId: 'u' }, status: 400, code: 'invalid_message', message: /^\/groupId 'groupId' is required/, path: '/groupId' },
  { name: 'timestamp "yesterday"', endpoint: '/v1/track', body: { userId: 'u', event: 'E', timestamp: 'yesterday' }, status: 400, code: 'invalid_message', message: /^\/timestamp must be an ISO-8601 date-time/, path: '/timestamp' },
  { name: 'timestamp 2024-13-45T00:00:00Z', endpoint: '/v1/track', body: { userId: 'u', event: 'E', timestamp: '2024-13-45T00:00:00Z' }, status: 400, code: 'invalid_message', message: /^\/timestamp must be an ISO-8601/, path: '/timestamp' },
  { name: 'a leap second that is not at 23:59 UTC', endpoint: '/v1/track', body: { userId: 'u', event: 'E', timestamp: '2024-05-01T12:59:60Z' }, status: 400, code: 'invalid_message', message: /^\/timestamp must be an ISO-8601/, path: '/timestamp' },
  { name: 'an offset of 24 hours', endpoint: '/v1/track', body: { userId: 'u', event: 'E', sentAt: '2024-05-01T12:00:00+24:00' }, status: 400, code: 'invalid_message', message: /^\/sentAt must be an ISO-8601/, path: '/sentAt' },
  { name: 'a date without a time', endpoint: '/v1/track', body: { userId: 'u', event: 'E', timestamp: '2024-05-01' }, status: 400, code: 'invalid_message', message: /^\/timestamp /, path: '/timestamp' },
  { name: 'a bad originalTimestamp', endpoint: '/v1/track', body: { userId: 'u', event: 'E', originalTimestamp: '1714557600' }, status: 400, code: 'invalid_message', message: /^\/originalTimestamp /, path: '/originalTimestamp' },
  { name: 'a bad sentAt', endpoint: '/v1/track', body: { userId: 'u', event: 'E', sentAt: 'now' }, status: 400, code: 'invalid_message', message: /^\/sentAt /, path: '/sentAt' },
  { name: 'properties that are not an object', endpoint: '/v1/track', body: { userId: 'u', event: 'E', properties: 'x' }, status: 400, code: 'invalid_message', message: /^\/properties must be object/, path: '/properties' },
  {
    name: 'a type field disagreeing with the endpoint', endpoint: '/v1/track', body: { type: 'identify', userId: 'u', event: 'E' },
    status: 400, code: 'invalid_message', message: /\/type is 'identify' but the message was posted to \/v1\/track/, path: '/type',
  },
  { name: 'an unknown type field', endpoint: '/v1/identify', body: { type: 'pageview', userId: 'u' }, status: 400, code: 'invalid_message', message: /^\/type must be one of track/, path: '/type' },
  {
    name: 'a batch of 3 good messages and 1 bad (missing event at index 3)', endpoint: '/v1/batch',
    body: { batch: [good(0, 'b31'), good(1, 'b31'), good(2, 'b31'), { type: 'track', messageId: 'b31-3', userId: 'u' }] },
    status: 400, code: 'invalid_message', message: /^\/batch\/3\/event 'event' is required \(batch message 3\)/, path: '/batch/3/event', index: 3,
  },
  {
    name: 'a wrong type inside a batch', endpoint: '/v1/batch',
    body: { batch: [good(0, 'bt'), good(1, 'bt'), { ...good(2, 'bt'), type: 'click' }, good(3, 'bt')] },
    status: 400, code: 'invalid_message', message: /^\/batch\/2\/type must be one of .*\(batch message 2\)/, path: '/batch/2/type', index: 2,
  },
  {
    name: 'a missing type inside a batch', endpoint: '/v1/import',
    body: { batch: [good(0, 'bm'), { userId: 'u', event: 'E' }] },
    status: 400, code: 'invalid_message', message: /^\/batch\/1\/type /, path: '/batch/1/type', index: 1,
  },
  {
    name: 'a batch message without ids', endpoint: '/v1/batch',
    body: { batch: [good(0, 'bi'), { type: 'identify', traits: {} }] },
    status: 400, code: 'invalid_message', message: /^\/batch\/1\/ needs a userId or an anonymousId \(batch message 1\)/, path: '/batch/1/userId', index: 1,
  },
  {
    name: 'a bad timestamp inside a batch', endpoint: '/v1/batch',
    body: { batch: [{ ...good(0, 'bts'), timestamp: 'yesterday' }, good(1, 'bts')] },
    status: 400, code: 'invalid_message', message: /^\/batch\/0\/timestamp /, path: '/batch/0/timestamp', index: 0,
  },
  { name: 'a batch item that is not an object', endpoint: '/v1/batch', body: { batch: [good(0, 'bn'), 'track'] }, status: 400, code: 'invalid_message', message: /^\/batch\/1 /, path: '/batch/1', index: 1 },
  { name: 'an empty batch', endpoint: '/v1/batch', body: { batch: [] }, status: 400, code: 'invalid_message', message: /^\/batch must NOT have fewer than 1 items/, path: '/batch' },
  { name: 'a batch that is not an array', endpoint: '/v1/batch', body: { batch: { 0: good(0, 'bo') } }, status: 400, code: 'invalid_message', message: /^\/batch must be array/, path: '/batch' },
  { name: 'a batch body without batch', endpoint: '/v1/batch', body: { messages: [good(0, 'bx')] }, status: 400, code: 'invalid_message', message: /^\/batch 'batch' is required/, path: '/batch' },
  { name: 'a bad batch sentAt', endpoint: '/v1/batch', body: { sentAt: 'later', batch: [good(0, 'bs')] }, status: 400, code: 'invalid_message', message: /^\/sentAt /, path: '/sentAt' },
];

describe('ingest rejections: clear 4xx errors and nothing stored', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  describe('bad messages', () => {
    for (const c of MESSAGE_CASES) {
      it(`rejects ${c.name}: ${c.status} ${c.code}`, async () => {
        const res = await expectNothingStored(t, () => t.ingest(c.endpoint, c.body, c.headers ? { headers: c.headers } : {}));
        expectError(res, c);
      });
    }

    it('stores the good messages of a rejected batch once they are resent without the bad one', async () => {
      // Rejection must not have claimed their messageIds either: a resend is not a duplicate.
      const tag = uniqueId('resend');
      const batch = [good(0, tag), good(1, tag), good(2, tag)];
      await expectNothingStored(t, () => t.ingest('/v1/batch', { batch: [...batch, { type: 'track', userId: 'u' }] }));
      const res = await t.ingest('/v1/batch', { batch });
      expect(res.body).to.deep.equal({ success: true, stored: 3, duplicates: 0 });
    });
  });

  describe('size limits (32 KB per message, 500 KB per batch request)', () => {
    it('rejects a single call larger than 32 KB with 413 payload_too_large', async () => {
      const res = await expectNothingStored(t, () => t.ingest('/v1/track', { userId: 'u', event: 'Big', properties: { blob: filler(33 * 1024) } }));
      expectError(res, { status: 413, code: 'payload_too_large', message: /32768 bytes/ });
      expect(res.body.error.limit).to.equal(32 * 1024);
    });

    it('rejects a gzip body that inflates past 32 KB with 413', async () => {
      const body = gzipSync(JSON.stringify({ userId: 'u', event: 'Bomb', properties: { blob: filler(200 * 1024) } }));
      expect(body.length, 'small on the wire').to.be.below(4 * 1024);
      const res = await expectNothingStored(t, async () => {
        const r = await fetch(`${t.url}/v1/track`, { method: 'POST', headers: authHeaders(t, { 'content-encoding': 'gzip' }), body });
        return { status: r.status, body: await r.json(), headers: r.headers };
      });
      expectError(res, { status: 413, code: 'payload_too_large', message: /larger than 32768/ });
    });

    it('rejects a streamed (chunked, no content-length) single call larger than 32 KB with 413', async () => {
      const chunk = new TextEncoder().encode(filler(8 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent === 0) controller.enqueue(new TextEncoder().encode('{"userId":"u","event":"Stream","properties":{"blob":"'));
          else if (sent < 6) controller.enqueue(chunk);
          else { controller.enqueue(new TextEncoder().encode('"}}')); controller.close(); }
          sent += 1;
        },
      });
      const res = await expectNothingStored(t, async () => {
        const r = await fetch(`${t.url}/v1/track`, { method: 'POST', headers: authHeaders(t), body: stream, duplex: 'half' } as RequestInit);
        return { status: r.status, body: await r.json(), headers: r.headers };
      });
      expectError(res, { status: 413, code: 'payload_too_large', message: /larger than 32768/ });
    });

    it('rejects a batch request larger than 500 KB with 413 payload_too_large', async () => {
      const batch = Array.from({ length: 20 }, (_, i) => ({ ...good(i, 'huge'), properties: { blob: filler(26 * 1024) } }));
      const res = await expectNothingStored(t, () => t.ingest('/v1/batch', { batch }));
      expectError(res, { status: 413, code: 'payload_too_large', message: /512000 bytes/ });
    });

    it('accepts a batch above 32 KB made of messages under 32 KB', async () => {
      const tag = uniqueId('medium');
      const batch = Array.from({ length: 4 }, (_, i) => ({ ...good(i, tag), properties: { blob: filler(20 * 1024) } }));
      const res = await t.ingest('/v1/batch', { batch });
      expect(res.body).to.deep.equal({ success: true, stored: 4, duplicates: 0 });
    });

    it('rejects a batch holding one message larger than 32 KB with 400 message_too_large and its index', async () => {
      const batch = [good(0, 'mtl'), good(1, 'mtl'), { ...good(2, 'mtl'), properties: { blob: filler(40 * 1024) } }, good(3, 'mtl')];
      const res = await expectNothingStored(t, () => t.ingest('/v1/batch', { batch }));
      expectError(res, { status: 400, code: 'message_too_large', message: /batch message 2 is \d+ bytes; the limit is 32768/, path: '/batch/2', index: 2 });
    });
  });

  describe('credentials and spaces', () => {
    it('answers 401 missing_credentials without a write key', async () => {
      const res = await expectNothingStored(t, () => t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: null }));
      expectError(res, { status: 401, code: 'missing_credentials', message: /write key/ });
    });

    it('answers 401 invalid_credentials for a wrong write key, in the header or in the body', async () => {
      const inHeader = await expectNothingStored(t, () => t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: 'wk_not-a-real-key' }));
      expectError(inHeader, { status: 401, code: 'invalid_credentials', message: /write key is unknown or revoked/ });
      const inBody = await expectNothingStored(t, () => t.ingest('/v1/batch', { writeKey: 'wk_nope', batch: [good(0, 'wkb')] }, { writeKey: null }));
      expectError(inBody, { status: 401, code: 'invalid_credentials', message: /write key/ });
    });

    it('refuses an admin token used as a write key', async () => {
      const res = await expectNothingStored(t, () => t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: t.adminToken }));
      expectError(res, { status: 401, code: 'invalid_credentials', message: /write key/ });
    });

    it('refuses a revoked write key immediately after the revoke', async () => {
      const issued = await t.api('POST', '/api/v1/credentials', { kind: 'write_key', label: 'to revoke' });
      expect(issued.status).to.equal(201);
      const key = issued.body.credential.secret as string;
      const ok = await t.ingest('/v1/track', { userId: 'u-rev', event: 'Before' }, { writeKey: key });
      expect(ok.status, 'the new key works (and is now cached)').to.equal(200);
      expect((await t.api('DELETE', `/api/v1/credentials/${issued.body.credential.id}`)).status).to.equal(204);
      const res = await expectNothingStored(t, () => t.ingest('/v1/track', { userId: 'u-rev', event: 'After' }, { writeKey: key }));
      expectError(res, { status: 401, code: 'invalid_credentials', message: /unknown or revoked/ });
      const inBody = await t.ingest('/v1/batch', { writeKey: key, batch: [good(0, 'rev')] }, { writeKey: null });
      expect(inBody.status, 'revoked in the body too').to.equal(401);
    });

    it("stores into the write key's own space only", async () => {
      const created = await t.api('POST', '/api/v1/spaces', { name: uniqueId('other') }, { token: t.operatorToken });
      expect(created.status).to.equal(201);
      const otherKey = created.body.writeKey.secret as string;
      const otherAdmin = created.body.adminToken.secret as string;
      const messageId = uniqueId('iso');
      const res = await expectNothingStored(t, () => t.ingest('/v1/track', { messageId, userId: 'u-iso', event: 'Elsewhere' }, { writeKey: otherKey }));
      expect(res.body).to.deep.equal({ success: true, stored: 1, duplicates: 0 });
      const theirs = await t.api('GET', '/api/v1/events', undefined, { token: otherAdmin });
      expect(theirs.body.events.map((e: { messageId: string }) => e.messageId)).to.deep.equal([messageId]);
      // The same messageId in the default space is a new event there, not a duplicate.
      const mine = await t.ingest('/v1/track', { messageId, userId: 'u-iso', event: 'Here' });
      expect(mine.body).to.deep.equal({ success: true, stored: 1, duplicates: 0 });
      const theirsAfter = await t.api('GET', '/api/v1/events', undefined, { token: otherAdmin });
      expect(theirsAfter.body.events.map((e: { event: string }) => e.event)).to.deep.equal(['Elsewhere']);
    });
  });

  describe('routes and encodings', () => {
    it('answers GET on an ingest endpoint with 405 method_not_allowed', async () => {
      const r = await fetch(`${t.url}/v1/track`, { headers: authHeaders(t) });
      expectError({ status: r.status, body: await r.json(), headers: r.headers }, { status: 405, code: 'method_not_allowed', message: /POST/ });
    });

    it('answers an unknown /v1/ endpoint with 404 route_not_found', async () => {
      const res = await expectNothingStored(t, () => t.ingest('/v1/whatever', { userId: 'u', event: 'E' }));
      expectError(res, { status: 404, code: 'route_not_found', message: /\/v1\/whatever/ });
    });

    it('answers an unknown /api/v1 route with a valid admin token with 404 route_not_found', async () => {
      const res = await t.api('GET', '/api/v1/no-such-thing');
      expectError(res, { status: 404, code: 'route_not_found', message: /\/api\/v1\/no-such-thing/ });
    });

    it('accepts a gzip-encoded body (content-encoding: gzip)', async () => {
      const tag = uniqueId('gz');
      const body = gzipSync(JSON.stringify({ batch: [good(0, tag), good(1, tag)] }));
      const r = await fetch(`${t.url}/v1/batch`, { method: 'POST', headers: authHeaders(t, { 'content-encoding': 'gzip' }), body });
      expect(r.status).to.equal(200);
      expect(await r.json()).to.deep.equal({ success: true, stored: 2, duplicates: 0 });
      const events = await t.api('GET', `/api/v1/events?userId=u-1`);
      expect(events.body.events.map((e: { messageId: string }) => e.messageId)).to.include(`${tag}-1`);
    });

    it('rejects corrupt gzip data with 400 invalid_json', async () => {
      const res = await expectNothingStored(t, async () => {
        const r = await fetch(`${t.url}/v1/track`, { method: 'POST', headers: authHeaders(t, { 'content-encoding': 'gzip' }), body: 'not gzip at all' });
        return { status: r.status, body: await r.json(), headers: r.headers };
      });
      expectError(res, { status: 400, code: 'invalid_json', message: /gzip/ });
    });

    it('rejects an unsupported content-encoding with 415', async () => {
      const res = await expectNothingStored(t, () => t.ingest('/v1/track', { userId: 'u', event: 'E' }, { headers: { 'content-encoding': 'br' } }));
      expectError(res, { status: 415, code: 'unsupported_media_type', message: /content-encoding 'br'/ });
    });
  });
});

function authHeaders(t: TestEngine, extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`, ...extra };
}
