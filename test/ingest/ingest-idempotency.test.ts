import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { expectAccepted, storedEvents, storedWithMessageId, uniqueId } from './ingest-helpers.ts';

describe('ingest idempotency: a messageId is stored once within the dedupe window', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  it('acknowledges a repeated messageId as a duplicate and keeps the first version', async () => {
    const messageId = uniqueId('twice');
    expectAccepted(await t.ingest('/v1/track', { messageId, userId: 'u-twice', event: 'Order Completed', properties: { v: 1 } }), 1, 0);
    expectAccepted(await t.ingest('/v1/track', { messageId, userId: 'u-twice', event: 'Order Completed', properties: { v: 2 } }), 0, 1);
    const stored = await storedWithMessageId(t, messageId);
    expect(stored).to.have.length(1);
    expect(stored[0]!['properties']).to.deep.equal({ v: 1 });
  });

  it('dedupes across endpoints: the same messageId via /v1/batch after /v1/track', async () => {
    const messageId = uniqueId('cross');
    expectAccepted(await t.ingest('/v1/track', { messageId, userId: 'u-cross', event: 'A' }), 1);
    expectAccepted(await t.ingest('/v1/batch', { batch: [{ type: 'track', messageId, userId: 'u-cross', event: 'A' }] }), 0, 1);
    expectAccepted(await t.ingest('/v1/import', { batch: [{ type: 'identify', messageId, userId: 'u-cross' }] }), 0, 1);
    expect(await storedWithMessageId(t, messageId)).to.have.length(1);
  });

  it('stores a messageId repeated within one batch once, counting the repeat', async () => {
    const tag = uniqueId('in-batch');
    const batch = [
      { type: 'track', messageId: `${tag}-a`, userId: 'u-ib', event: 'First' },
      { type: 'track', messageId: `${tag}-b`, userId: 'u-ib', event: 'Other' },
      { type: 'track', messageId: `${tag}-a`, userId: 'u-ib', event: 'Repeat' },
    ];
    expectAccepted(await t.ingest('/v1/batch', { batch }), 2, 1);
    const a = await storedWithMessageId(t, `${tag}-a`);
    expect(a.map((e) => e['event']), 'the first occurrence wins').to.deep.equal(['First']);
    expect(await storedWithMessageId(t, `${tag}-b`)).to.have.length(1);
    expectAccepted(await t.ingest('/v1/batch', { batch }), 0, 3);
  });

  it('dedupes 200 separate requests for one stored messageId: all 200, not most', async () => {
    const messageId = uniqueId('storm');
    const body = { messageId, userId: 'u-storm', event: 'Storm' };
    expectAccepted(await t.ingest('/v1/track', body), 1);
    const answers = await Promise.all(Array.from({ length: 200 }, () => t.ingest('/v1/track', body)));
    for (const res of answers) expectAccepted(res, 0, 1);
    expect(await storedWithMessageId(t, messageId)).to.have.length(1);
  });

  it('stores exactly one of 200 concurrent first deliveries of a new messageId', async () => {
    const messageId = uniqueId('race');
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      t.ingest('/v1/track', { messageId, userId: 'u-race', event: 'Race', properties: { attempt: i } })));
    for (const res of answers) expect(res.status).to.equal(200);
    expect(answers.reduce((n, res) => n + (res.body.stored as number), 0)).to.equal(1);
    expect(answers.reduce((n, res) => n + (res.body.duplicates as number), 0)).to.equal(199);
    expect(await storedWithMessageId(t, messageId)).to.have.length(1);
  });

  it('does not process a duplicate again (the profile counts one event)', async () => {
    const userId = uniqueId('u-proc');
    const messageId = uniqueId('proc');
    for (let i = 0; i < 3; i += 1) await t.ingest('/v1/identify', { messageId, userId, traits: { n: i } });
    await t.settle();
    const lookup = await t.api('GET', `/api/v1/profiles/lookup?userId=${userId}`);
    expect(lookup.status).to.equal(200);
    expect(lookup.body.profile.traits, 'traits of the first (stored) identify only').to.include({ n: 0 });
    expect(await storedEvents(t, { query: `userId=${userId}` })).to.have.length(1);
  });

  it('scopes messageIds to their space', async () => {
    const created = await t.api('POST', '/api/v1/spaces', { name: uniqueId('dedupe-space') }, { token: t.operatorToken });
    const messageId = uniqueId('per-space');
    expectAccepted(await t.ingest('/v1/track', { messageId, userId: 'u-s', event: 'E' }), 1);
    expectAccepted(await t.ingest('/v1/track', { messageId, userId: 'u-s', event: 'E' }, { writeKey: created.body.writeKey.secret }), 1);
    expect(await storedWithMessageId(t, messageId, created.body.adminToken.secret)).to.have.length(1);
    expect(await storedWithMessageId(t, messageId)).to.have.length(1);
  });
});

describe('ingest idempotency: after the dedupe window', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine({ dedupeWindowMs: 50 }); });
  after(async () => { await t.close(); });

  it('accepts the same messageId again once the window has passed', async () => {
    const messageId = uniqueId('window');
    const body = { messageId, userId: 'u-window', event: 'Again' };
    expectAccepted(await t.ingest('/v1/track', body), 1, 0);
    expectAccepted(await t.ingest('/v1/track', body), 0, 1);
    await sleep(100);
    expectAccepted(await t.ingest('/v1/track', body), 1, 0);
    expectAccepted(await t.ingest('/v1/track', body), 0, 1);
    expect(await storedWithMessageId(t, messageId)).to.have.length(2);
  });

  it('still dedupes a repeat within one batch even with a tiny window', async () => {
    const messageId = uniqueId('window-batch');
    const item = { type: 'track', messageId, userId: 'u-wb', event: 'E' };
    expectAccepted(await t.ingest('/v1/batch', { batch: [item, item] }), 1, 1);
  });
});
