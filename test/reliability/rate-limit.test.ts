import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { testConfig, type EngineConfig } from '../../engine/config.ts';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';
import { expectAccepted, expectError, storedEvents, uniqueId } from '../ingest/ingest-helpers.ts';

/** Rate limits of 10 events/s with a burst of 20 (the other ingest limits at their defaults). */
const LIMITS: EngineConfig['ingestLimits'] = { ...testConfig().ingestLimits, ratePerSecond: 10, rateBurst: 20 };

/** A batch of `n` track messages of one user. */
function batchOf(n: number, userId: string) {
  return { batch: Array.from({ length: n }, (_, i) => ({ type: 'track', userId, event: 'Limited', properties: { i } })) };
}

/** Asserts a 429 rate_limited answer asking to retry after `seconds` (header and body). */
function expectRateLimited(res: Answer, seconds: number): void {
  expectError(res, { status: 429, code: 'rate_limited', message: /10 events per second.*nothing was stored/ });
  expect(res.headers.get('retry-after')).to.equal(String(seconds));
  expect(res.body.error.retryAfterSeconds).to.equal(seconds);
}

describe('reliability: per-write-key rate limits', () => {
  let t: TestEngine;
  /** A fresh write key of the default space, so that each test starts with a full bucket. */
  let key: string;
  before(async () => { t = await startTestEngine({ ingestLimits: LIMITS }); });
  after(async () => { await t.close(); });
  beforeEach(async () => { key = await newWriteKey(); });

  async function newWriteKey(): Promise<string> {
    const res = await t.api('POST', '/api/v1/credentials', { kind: 'write_key' });
    expect(res.status).to.equal(201);
    return res.body.credential.secret as string;
  }

  it('counts the events of a batch, and answers 429 rate_limited with the seconds until enough tokens, storing nothing', async () => {
    const userId = uniqueId('rl');
    expectAccepted(await t.ingest('/v1/batch', batchOf(15, userId), { writeKey: key }), 15);
    // 5 tokens left: a batch of 10 lacks 5, half a second's worth.
    expectRateLimited(await t.ingest('/v1/batch', batchOf(10, `${userId}-refused`), { writeKey: key }), 1);
    expectAccepted(await t.ingest('/v1/batch', batchOf(5, userId), { writeKey: key }), 5);
    // Empty now: 20 events (the burst) take 2 s to earn.
    expectRateLimited(await t.ingest('/v1/batch', batchOf(20, `${userId}-refused`), { writeKey: key }), 2);
    expectRateLimited(await t.ingest('/v1/track', { userId: `${userId}-refused`, event: 'One' }, { writeKey: key }), 1);
    await t.settle();
    expect(await storedEvents(t, { query: `userId=${userId}-refused` }), 'nothing of the refused requests').to.deep.equal([]);
    expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(20);
  });

  it('lets the request through once Retry-After has passed', async () => {
    expectAccepted(await t.ingest('/v1/batch', batchOf(20, uniqueId('rl'))), 20);
    const refused = await t.ingest('/v1/batch', batchOf(10, uniqueId('rl')), { writeKey: key });
    expect(refused.status, 'another key is not limited by the first').to.equal(200);
    const again = await t.ingest('/v1/batch', batchOf(15, uniqueId('rl')), { writeKey: key });
    expectRateLimited(again, 1);
    await sleep(1_000 * Number(again.headers.get('retry-after')));
    expectAccepted(await t.ingest('/v1/batch', batchOf(15, uniqueId('rl')), { writeKey: key }), 15);
  });

  it('keeps two write keys independent, also when the key travels in the body', async () => {
    const other = await newWriteKey();
    expectAccepted(await t.ingest('/v1/batch', batchOf(20, uniqueId('rl')), { writeKey: key }), 20);
    expectRateLimited(await t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: key }), 1);
    const inBody = await t.ingest('/v1/batch', { ...batchOf(20, uniqueId('rl')), writeKey: other }, { writeKey: null });
    expectAccepted(inBody, 20);
    expectRateLimited(await t.ingest('/v1/batch', { ...batchOf(1, uniqueId('rl')), writeKey: other }, { writeKey: null }), 1);
    expectRateLimited(await t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: key }), 1);
  });

  it('lets a batch larger than the burst through on a full bucket, then makes the key wait out the debt', async () => {
    expectAccepted(await t.ingest('/v1/batch', batchOf(55, uniqueId('rl')), { writeKey: key }), 55);
    // 20 - 55 = -35 tokens: one more event needs 3.6 s.
    expectRateLimited(await t.ingest('/v1/track', { userId: 'u', event: 'E' }, { writeKey: key }), 4);
  });

  it('refuses an unknown key with 401 before charging anything', async () => {
    const buckets = t.engine.admission.rateLimiter.size;
    const res = await t.ingest('/v1/batch', batchOf(100, uniqueId('rl')), { writeKey: 'wk_unknown_key_for_rate_limit' });
    expectError(res, { status: 401, code: 'invalid_credentials', message: /unknown or revoked/ });
    expect(t.engine.admission.rateLimiter.size, 'no bucket for a key that does not exist').to.equal(buckets);
  });
});
