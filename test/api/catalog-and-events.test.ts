import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';

interface CatalogEvent { name: string; propertyKeys: string[]; firstSeenAt: string; lastSeenAt: string }

describe('api: event catalog and event log', () => {
  let t: TestEngine;
  let other: { writeKey: string; adminToken: string };
  before(async () => {
    t = await startTestEngine();
    const res = await t.api('POST', '/api/v1/spaces', { name: 'Other' }, { token: t.operatorToken });
    other = { writeKey: res.body.writeKey.secret, adminToken: res.body.adminToken.secret };
  });
  after(async () => { await t.close(); });

  async function send(endpoint: string, body: unknown, writeKey = t.writeKey): Promise<void> {
    const res = await t.ingest(endpoint, body, { writeKey });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  }

  async function catalog(token = t.adminToken): Promise<CatalogEvent[]> {
    const res = await t.api('GET', '/api/v1/catalog/events', undefined, { token });
    expect(res.status).to.equal(200);
    return res.body.events;
  }

  describe('catalog', () => {
    before(async () => {
      await send('/v1/track', {
        userId: 'cat-1', event: 'Order Completed',
        properties: { orderId: 'o1', total: 10, shipping: { address: { city: 'Oslo', zip: '0150' }, method: 'post' }, items: [{ sku: 'a' }] },
      });
      await send('/v1/batch', {
        batch: [
          { type: 'identify', userId: 'cat-1', traits: { plan: 'pro' } },
          { type: 'page', userId: 'cat-1', name: 'Checkout', properties: { path: '/checkout' } },
          { type: 'screen', userId: 'cat-1', name: 'Home' },
          { type: 'group', userId: 'cat-1', groupId: 'g1' },
          { type: 'track', userId: 'cat-1', event: 'Signed Up' },
        ],
      });
      await send('/v1/track', { userId: 'cat-other', event: 'Other Space Event', properties: { x: 1 } }, other.writeKey);
      await t.settle();
    });

    it('lists track event names with their property keys, nested ones as dot paths', async () => {
      const events = await catalog();
      expect(events.map((e) => e.name)).to.have.members(['Order Completed', 'Signed Up']);
      const order = events.find((e) => e.name === 'Order Completed')!;
      expect(order.propertyKeys).to.have.members([
        'orderId', 'total', 'shipping', 'shipping.address', 'shipping.address.city', 'shipping.address.zip', 'shipping.method', 'items',
      ]);
      expect(events.find((e) => e.name === 'Signed Up')!.propertyKeys).to.deep.equal([]);
      expect(order).not.to.have.property('spaceId');
    });

    it('leaves identify, page, screen and group out of the catalog', async () => {
      const names = (await catalog()).map((e) => e.name);
      for (const name of ['Checkout', 'Home', 'identify', 'group']) expect(names).not.to.include(name);
      expect((await t.api('GET', '/api/v1/catalog/events/Checkout')).status).to.equal(404);
    });

    it('unions property keys of later sightings and widens last seen, keeping first seen', async () => {
      const before = (await t.api('GET', '/api/v1/catalog/events/Order%20Completed')).body.event as CatalogEvent;
      expect(before.firstSeenAt <= before.lastSeenAt).to.equal(true);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await send('/v1/track', { userId: 'cat-2', event: 'Order Completed', properties: { coupon: 'SPRING', total: 12 } });
      await t.settle();
      const res = await t.api('GET', '/api/v1/catalog/events/Order%20Completed');
      expect(res.status).to.equal(200);
      const after = res.body.event as CatalogEvent;
      expect(after.name).to.equal('Order Completed');
      expect(after.propertyKeys).to.have.members([...before.propertyKeys, 'coupon']);
      expect(after.firstSeenAt).to.equal(before.firstSeenAt);
      expect(after.lastSeenAt > before.lastSeenAt, `${after.lastSeenAt} > ${before.lastSeenAt}`).to.equal(true);
    });

    it('keeps each space\'s catalog to itself', async () => {
      expect((await catalog()).map((e) => e.name)).not.to.include('Other Space Event');
      expect((await t.api('GET', '/api/v1/catalog/events/Other%20Space%20Event')).status).to.equal(404);
      const theirs = await catalog(other.adminToken);
      expect(theirs.map((e) => e.name)).to.deep.equal(['Other Space Event']);
      expect(theirs[0]!.propertyKeys).to.deep.equal(['x']);
    });

    it('answers 404 not_found for an unknown event name', async () => {
      const res = await t.api('GET', '/api/v1/catalog/events/Never%20Happened');
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal('not_found');
    });
  });

  describe('event log', () => {
    before(async () => {
      await send('/v1/batch', {
        batch: [
          ...Array.from({ length: 7 }, (_, n) => ({ type: 'track', userId: 'log-user', event: 'Log Step', properties: { n } })),
          { type: 'identify', userId: 'log-user', traits: { plan: 'pro' } },
          { type: 'track', anonymousId: 'log-anon', event: 'Anonymous Step' },
          { type: 'page', anonymousId: 'log-anon', name: 'Landing' },
        ],
      });
      await send('/v1/track', { userId: 'log-user', event: 'Hidden Elsewhere' }, other.writeKey);
    });

    async function log(query: string, token = t.adminToken) {
      const res = await t.api('GET', `/api/v1/events${query}`, undefined, { token });
      expect(res.status, `${query}: ${JSON.stringify(res.body)}`).to.equal(200);
      return res.body as { events: Array<Record<string, any>>; nextCursor: string | null };
    }

    it('filters by userId, newest first, with the stored message', async () => {
      const { events, nextCursor } = await log('?userId=log-user');
      expect(events).to.have.length(8);
      expect(nextCursor).to.equal(null);
      expect(events[0]).to.include({ type: 'identify', userId: 'log-user' });
      expect(events.slice(1).map((e) => e['properties'].n)).to.deep.equal([6, 5, 4, 3, 2, 1, 0]);
      for (const e of events) {
        expect(e['messageId']).to.be.a('string');
        expect(e['receivedAt']).to.be.a('string');
      }
    });

    it('filters by anonymousId, type and event name, and combines filters', async () => {
      expect((await log('?anonymousId=log-anon')).events.map((e) => e['type'])).to.deep.equal(['page', 'track']);
      const identifies = (await log('?type=identify&userId=log-user')).events;
      expect(identifies).to.have.length(1);
      expect(identifies[0]!['traits']).to.deep.equal({ plan: 'pro' });
      const named = (await log('?event=Anonymous%20Step')).events;
      expect(named.map((e) => e['anonymousId'])).to.deep.equal(['log-anon']);
      expect((await log('?type=page&anonymousId=log-anon')).events.map((e) => e['name'])).to.deep.equal(['Landing']);
      expect((await log('?userId=log-anon')).events).to.deep.equal([]);
      expect((await log('?event=Log%20Step&type=identify')).events).to.deep.equal([]);
    });

    it('pages with nextCursor until the end, each event once', async () => {
      const pages: number[][] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?event=Log%20Step&limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
        const page = await log(query);
        pages.push(page.events.map((e) => e['properties'].n));
        cursor = page.nextCursor;
      } while (cursor !== null && pages.length < 10);
      expect(pages).to.deep.equal([[6, 5, 4], [3, 2, 1], [0]]);
      const exact = await log('?event=Log%20Step&limit=7');
      expect(exact.events).to.have.length(7);
      expect(exact.nextCursor, 'a page that ends exactly at the last event has no next page').to.equal(null);
    });

    it('shows a space only its own events', async () => {
      expect((await log('?event=Hidden%20Elsewhere')).events).to.deep.equal([]);
      const theirs = await log('?userId=log-user', other.adminToken);
      expect(theirs.events.map((e) => e['event'])).to.deep.equal(['Hidden Elsewhere']);
    });

    it('rejects bad parameters with 400 invalid_request and where', async () => {
      const cases: Array<[string, string]> = [
        ['?limit=0', '?limit'], ['?limit=abc', '?limit'], ['?limit=1001', '?limit'], ['?limit=-1', '?limit'],
        ['?type=bogus', '?type'], ['?type=batch', '?type'], ['?userId=', '?userId'], ['?userId=a&userId=b', '?userId'],
        ['?cursor=not%20a%20cursor!', '?cursor'],
      ];
      for (const [query, path] of cases) {
        const res = await t.api('GET', `/api/v1/events${query}`);
        expect(res.status, query).to.equal(400);
        expect(res.body.error, query).to.include({ code: 'invalid_request', path });
      }
    });
  });
});
