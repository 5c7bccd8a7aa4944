import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { expectAccepted, storedEvents, storedWithMessageId, uniqueId, type StoredMessage } from './ingest-helpers.ts';

/** Posts one message and returns it as stored, with the request's time bounds. */
async function ingestOne(t: TestEngine, endpoint: string, body: Record<string, unknown>): Promise<{ stored: StoredMessage; before: number; after: number }> {
  const messageId = (body['messageId'] as string | undefined) ?? uniqueId('mid');
  const before = Date.now();
  expectAccepted(await t.ingest(endpoint, { messageId, ...body }), 1);
  const after = Date.now();
  const found = await storedWithMessageId(t, messageId);
  expect(found, `one stored event with messageId ${messageId}`).to.have.length(1);
  return { stored: found[0]!, before, after };
}

function expectReceivedBetween(stored: StoredMessage, before: number, after: number): void {
  expect(stored['receivedAt']).to.be.a('string').and.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const at = Date.parse(stored['receivedAt']);
  expect(at).to.be.within(before, after);
}

describe('ingest endpoints: each Segment call is accepted and stored normalized', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine(); });
  after(async () => { await t.close(); });

  it('track stores event, properties, messageId and a receivedAt stamp', async () => {
    const { stored, before, after } = await ingestOne(t, '/v1/track', {
      userId: 'u-track', event: 'Order Completed', properties: { order_id: 1001, total: 42.5, items: [{ sku: 'a' }] },
    });
    expect(stored).to.include({ type: 'track', userId: 'u-track', event: 'Order Completed' });
    expect(stored['properties']).to.deep.equal({ order_id: 1001, total: 42.5, items: [{ sku: 'a' }] });
    expectReceivedBetween(stored, before, after);
    expect(stored['timestamp'], 'no timestamp sent: the event happened when received').to.equal(stored['receivedAt']);
  });

  it('identify turns a numeric userId into a string and keeps traits', async () => {
    const { stored } = await ingestOne(t, '/v1/identify', { userId: 4242, traits: { email: 'a@example.com', plan: 'pro' } });
    expect(stored['type']).to.equal('identify');
    expect(stored['userId']).to.equal('4242');
    expect(stored['traits']).to.deep.equal({ email: 'a@example.com', plan: 'pro' });
    const byUser = await storedEvents(t, { query: 'userId=4242' });
    expect(byUser.map((e) => e['type'])).to.deep.equal(['identify']);
  });

  it('identify with only an anonymousId (numeric) stores it as a string', async () => {
    const { stored } = await ingestOne(t, '/v1/identify', { anonymousId: 77, traits: { seen: true } });
    expect(stored['anonymousId']).to.equal('77');
    expect(stored).to.not.have.property('userId');
  });

  it('page stores name, category and properties', async () => {
    const { stored } = await ingestOne(t, '/v1/page', {
      anonymousId: 'anon-page', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' },
    });
    expect(stored).to.include({ type: 'page', anonymousId: 'anon-page', name: 'Pricing', category: 'Docs' });
    expect(stored['properties']).to.deep.equal({ path: '/pricing' });
    const byName = await storedEvents(t, { query: 'type=page&event=Pricing' });
    expect(byName, 'page name is indexed as the event name').to.have.length(1);
  });

  it('screen stores name and properties', async () => {
    const { stored } = await ingestOne(t, '/v1/screen', { userId: 'u-screen', name: 'Home', properties: { variant: 'b' } });
    expect(stored).to.include({ type: 'screen', userId: 'u-screen', name: 'Home' });
    expect(stored['properties']).to.deep.equal({ variant: 'b' });
  });

  it('group stores groupId (numbers become strings) and traits', async () => {
    const { stored } = await ingestOne(t, '/v1/group', { userId: 'u-group', groupId: 9001, traits: { name: 'Initech' } });
    expect(stored).to.include({ type: 'group', userId: 'u-group', groupId: '9001' });
    expect(stored['traits']).to.deep.equal({ name: 'Initech' });
  });

  it('alias stores previousId and userId', async () => {
    const { stored } = await ingestOne(t, '/v1/alias', { previousId: 'anon-alias', userId: 'u-alias' });
    expect(stored).to.include({ type: 'alias', previousId: 'anon-alias', userId: 'u-alias' });
  });

  it('generates a distinct messageId when the client sends none', async () => {
    const userId = uniqueId('no-mid');
    expectAccepted(await t.ingest('/v1/track', { userId, event: 'A' }), 1);
    expectAccepted(await t.ingest('/v1/track', { userId, event: 'A' }), 1);
    const stored = await storedEvents(t, { query: `userId=${userId}` });
    expect(stored).to.have.length(2);
    const ids = stored.map((e) => e['messageId']);
    for (const id of ids) expect(id).to.be.a('string').with.length.greaterThan(0);
    expect(ids[0], 'two messages without messageId are two events, not duplicates').to.not.equal(ids[1]);
  });

  it('keeps a client timestamp as the same instant, in UTC', async () => {
    const { stored } = await ingestOne(t, '/v1/track', { userId: 'u-ts', event: 'T', timestamp: '2024-05-01T14:00:00+02:00' });
    expect(stored['timestamp']).to.equal('2024-05-01T12:00:00.000Z');
  });

  it('prefers timestamp over originalTimestamp and sentAt', async () => {
    const { stored } = await ingestOne(t, '/v1/track', {
      userId: 'u-ts2', event: 'T', timestamp: '2023-01-02T03:04:05.678Z',
      originalTimestamp: '2020-01-01T00:00:00Z', sentAt: '2020-01-01T00:00:05Z',
    });
    expect(stored['timestamp']).to.equal('2023-01-02T03:04:05.678Z');
  });

  it('corrects clock skew: timestamp = receivedAt - (sentAt - originalTimestamp)', async () => {
    // The client's clock is years off; only the 5 s between "happened" and "sent" is trusted.
    const { stored } = await ingestOne(t, '/v1/track', {
      userId: 'u-skew', event: 'T', originalTimestamp: '2001-01-01T00:00:00.000Z', sentAt: '2001-01-01T00:00:05.000Z',
    });
    expect(Date.parse(stored['timestamp'])).to.equal(Date.parse(stored['receivedAt']) - 5000);
  });

  it('uses originalTimestamp as is when sentAt is absent', async () => {
    const { stored } = await ingestOne(t, '/v1/track', { userId: 'u-orig', event: 'T', originalTimestamp: '2022-06-01T10:00:00Z' });
    expect(stored['timestamp']).to.equal('2022-06-01T10:00:00.000Z');
  });

  it('reads a timestamp without a zone as UTC', async () => {
    const { stored } = await ingestOne(t, '/v1/track', { userId: 'u-nozone', event: 'T', timestamp: '2024-02-03T04:05:06' });
    expect(stored['timestamp']).to.equal('2024-02-03T04:05:06.000Z');
  });

  it('stores every date-time spelling it accepts (found by the property suite: these answered 500 or were read in the server\'s zone)', async () => {
    const spellings: Array<[string, string]> = [
      ['2024-05-01T12:00:00+05', '2024-05-01T07:00:00.000Z'],
      ['2024-05-01T12:00:00-0530', '2024-05-01T17:30:00.000Z'],
      ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
      ['2024-05-01 12:00:00', '2024-05-01T12:00:00.000Z'],
      ['2024-05-01t12:00:00.123456789z', '2024-05-01T12:00:00.123Z'],
      ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ];
    for (const [timestamp, expected] of spellings) {
      const { stored } = await ingestOne(t, '/v1/track', { userId: 'u-spelling', event: 'T', timestamp });
      expect(stored['timestamp'], timestamp).to.equal(expected);
    }
    const leap = await ingestOne(t, '/v1/track', { userId: 'u-spelling', event: 'T', originalTimestamp: '2016-12-31T23:59:60Z', sentAt: '2016-12-31T23:59:60Z' });
    expectReceivedBetween(leap.stored, leap.before, leap.after);
    expect(leap.stored['timestamp']).to.equal(leap.stored['receivedAt']);
  });

  it('accepts a writeKey in the body of a single call and does not store it', async () => {
    const messageId = uniqueId('body-key');
    const res = await t.ingest('/v1/track', { writeKey: t.writeKey, messageId, userId: 'u-bodykey', event: 'K' }, { writeKey: null });
    expectAccepted(res, 1);
    const [stored] = await storedWithMessageId(t, messageId);
    expect(stored).to.not.have.property('writeKey');
    expect(JSON.stringify(stored)).to.not.include(t.writeKey);
  });

  for (const endpoint of ['/v1/batch', '/v1/import']) {
    it(`${endpoint} stores every message type with its own normalization`, async () => {
      const tag = uniqueId(endpoint.slice(4));
      const batch = [
        { type: 'track', messageId: `${tag}-t`, userId: 12, event: 'Clicked', properties: { n: 1 } },
        { type: 'identify', messageId: `${tag}-i`, userId: 'u-b', traits: { a: 1 } },
        { type: 'page', messageId: `${tag}-p`, anonymousId: 'anon-b', name: 'Home' },
        { type: 'screen', messageId: `${tag}-s`, userId: 'u-b', name: 'Main' },
        { type: 'group', messageId: `${tag}-g`, userId: 'u-b', groupId: 'g-1' },
        { type: 'alias', messageId: `${tag}-a`, userId: 'u-b', previousId: 'anon-b' },
      ];
      const before = Date.now();
      expectAccepted(await t.ingest(endpoint, { batch }), 6);
      const after = Date.now();
      const stored = (await storedEvents(t)).filter((e) => String(e['messageId']).startsWith(tag));
      expect(stored.map((e) => e['type']), 'all six, newest first').to.deep.equal(['alias', 'group', 'screen', 'page', 'identify', 'track']);
      for (const e of stored) expectReceivedBetween(e, before, after);
      expect(stored.find((e) => e['type'] === 'track')).to.include({ userId: '12', event: 'Clicked' });
    });
  }

  it('merges the batch context and integrations into each message (the message wins on conflicts)', async () => {
    const tag = uniqueId('ctx');
    const res = await t.ingest('/v1/batch', {
      context: { library: { name: 'lib', version: '1.0' }, locale: 'en-US' },
      integrations: { All: false, Webhooks: true },
      batch: [
        { type: 'track', messageId: `${tag}-1`, userId: 'u-ctx', event: 'A' },
        { type: 'track', messageId: `${tag}-2`, userId: 'u-ctx', event: 'B', context: { locale: 'fr-FR', ip: '10.0.0.1' }, integrations: { Webhooks: false } },
      ],
    });
    expectAccepted(res, 2);
    const [first] = await storedWithMessageId(t, `${tag}-1`);
    const [second] = await storedWithMessageId(t, `${tag}-2`);
    expect(first!['context']).to.deep.equal({ library: { name: 'lib', version: '1.0' }, locale: 'en-US' });
    expect(first!['integrations']).to.deep.equal({ All: false, Webhooks: true });
    expect(second!['context']).to.deep.equal({ library: { name: 'lib', version: '1.0' }, locale: 'fr-FR', ip: '10.0.0.1' });
    expect(second!['integrations']).to.deep.equal({ All: false, Webhooks: false });
  });

  it('corrects skew with the batch sentAt when a message has none', async () => {
    const messageId = uniqueId('batch-skew');
    const res = await t.ingest('/v1/batch', {
      sentAt: '1999-12-31T23:59:50.000Z',
      batch: [{ type: 'track', messageId, userId: 'u-bskew', event: 'S', originalTimestamp: '1999-12-31T23:59:40.000Z' }],
    });
    expectAccepted(res, 1);
    const [stored] = await storedWithMessageId(t, messageId);
    expect(Date.parse(stored!['timestamp'])).to.equal(Date.parse(stored!['receivedAt']) - 10_000);
  });

  it('accepts a batch whose only credential is writeKey in the body, and strips it', async () => {
    const tag = uniqueId('batch-key');
    const res = await t.ingest('/v1/batch', {
      writeKey: t.writeKey,
      batch: [
        { type: 'track', messageId: `${tag}-1`, userId: 'u-bk', event: 'A' },
        { type: 'identify', messageId: `${tag}-2`, userId: 'u-bk', writeKey: t.writeKey },
      ],
    }, { writeKey: null });
    expectAccepted(res, 2);
    const stored = (await storedEvents(t)).filter((e) => String(e['messageId']).startsWith(tag));
    expect(stored).to.have.length(2);
    for (const e of stored) {
      expect(e).to.not.have.property('writeKey');
      expect(JSON.stringify(e)).to.not.include(t.writeKey);
    }
  });

  it('answers text/plain bodies (sendBeacon) like JSON', async () => {
    const messageId = uniqueId('beacon');
    const res = await t.ingest('/v1/track', { messageId, userId: 'u-beacon', event: 'Beacon' }, { headers: { 'content-type': 'text/plain;charset=UTF-8' } });
    expectAccepted(res, 1);
    expect(await storedWithMessageId(t, messageId)).to.have.length(1);
  });
});
