import { expect } from 'chai';
import { openSqliteStorage } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../engine/store/store.ts';
import type { DeliveryRecord, DeliveryStore } from '../../engine/store/delivery-store.ts';
import { ManualClock } from '../../engine/clock.ts';
import { createLogger } from '../../engine/logger.ts';
import { DeliveryDispatcher } from '../../engine/delivery/delivery-dispatcher.ts';
import { DeliveryTargets } from '../../engine/delivery/delivery-targets.ts';
import { DELIVERY_HANDOFF_LEASE_MS } from '../../engine/delivery/delivery-lease.ts';
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import { createOutboundGuard } from '../../destinations/outbound-guard.ts';
import { builtinPlugins } from '../../destinations/builtin/builtin-plugins.ts';
import { DEFAULT_DELIVERY_OPTIONS } from '../../engine/destination-instances/destination-input.ts';
import { startSink, type Sink } from './helpers.ts';

// The sink listens on 127.0.0.1, which the default outbound policy refuses.
const LOCAL_SINKS_ALLOWED = createOutboundGuard({ allowPrivateNetwork: true });

describe('delivery dispatcher: more hand-offs than it may hold', () => {
  let store: Store;
  let sink: Sink;
  const clock = new ManualClock();

  beforeEach(async () => {
    store = openSqliteStorage({ dataDir: ':memory:' }).store;
    sink = await startSink(() => ({ status: 200, body: { ok: true }, delayMs: 5 }));
    const at = new Date(clock.now()).toISOString();
    await store.destinations.insert({
      id: 'dst_1', spaceId: 's1', name: 'Sink', plugin: 'webhook', settings: {}, enabled: true,
      delivery: { ...DEFAULT_DELIVERY_OPTIONS, concurrency: 2 }, createdAt: at, updatedAt: at, version: 1,
    });
  });

  afterEach(async () => {
    await sink.close();
    await store.close();
  });

  function delivery(i: number): DeliveryRecord {
    const at = new Date(clock.now()).toISOString();
    return {
      id: `d${String(i).padStart(3, '0')}`, spaceId: 's1', journeyId: 'j1', version: 1, instanceId: `i${i}`, profileId: 'p1', stepId: 'send',
      idempotencyKey: `i${i}:send:0`, activationKey: 'k', eventName: 'Nudge', target: { type: 'destination', destinationId: 'dst_1', action: 'send' },
      payload: { type: 'track', event: 'Nudge', messageId: `i${i}:send:0` }, mapping: { url: `${sink.url}/hook`, method: 'POST', data: { '@path': '$.' }, idempotency_key: { '@path': '$.messageId' } },
      status: 'pending', nextAttemptAt: clock.now() + DELIVERY_HANDOFF_LEASE_MS, attempts: 0, windowAttempts: 0, attemptLog: [],
      firstAttemptAt: null, reason: null, deliveredAt: null, createdAt: at, updatedAt: at, rev: 0,
    };
  }

  /** A dispatcher sending through `sendStore` (targets read `targetStore`) to the local sink. */
  function dispatcherOn(sendStore: Store, options: { maxInFlight?: number; targetStore?: Store } = {}): DeliveryDispatcher {
    const targetStore = options.targetStore ?? store;
    return new DeliveryDispatcher({
      store: sendStore, clock, logger: createLogger('error', true), ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      targets: new DeliveryTargets({ store: targetStore, registry: new PluginRegistry({ builtins: builtinPlugins, catalog: false, outbound: LOCAL_SINKS_ALLOWED }), clock }),
    });
  }

  it('keeps the overflow by id and sends all of it in order as room frees, without waiting for the leases to end', async () => {
    const records = Array.from({ length: 12 }, (_, i) => delivery(i));
    for (const d of records) await store.deliveries.insertIfAbsent(d);
    const dispatcher = dispatcherOn(store, { maxInFlight: 3 });
    dispatcher.accept(records);
    expect(dispatcher.held, 'one destination alone holds up to half the bound (here 2 of 3)').to.equal(2);
    await dispatcher.idle();
    expect(sink.requests.map((r) => r.headers['idempotency-key'])).to.have.members(records.map((d) => d.idempotencyKey));
    const stored = await store.deliveries.list('s1', { limit: 100 });
    expect(stored.map((d) => d.status)).to.deep.equal(records.map(() => 'delivered'));
    // Sent in the order handed over (concurrency 2 may swap neighbours, never far ones).
    const order = sink.requests.map((r) => Number(String(r.headers['idempotency-key']).slice(1).split(':')[0]));
    order.forEach((n, position) => expect(Math.abs(n - position)).to.be.at.most(2));
  });

  it('a destination that hangs does not starve another: each holds its share, and room goes to the targets in turn (found by an audit)', async () => {
    // dst_1 hangs (its calls time out after 2 s); dst_2 answers at once.
    const at = new Date(clock.now()).toISOString();
    await store.destinations.insert({
      id: 'dst_2', spaceId: 's1', name: 'Healthy', plugin: 'webhook', settings: {}, enabled: true,
      delivery: { ...DEFAULT_DELIVERY_OPTIONS, concurrency: 2 }, createdAt: at, updatedAt: at, version: 1,
    });
    await store.destinations.update({
      id: 'dst_1', spaceId: 's1', name: 'Sink', plugin: 'webhook', settings: {}, enabled: true,
      delivery: { ...DEFAULT_DELIVERY_OPTIONS, concurrency: 2, timeoutMs: 2_000 }, createdAt: at, updatedAt: at, version: 2,
    }, 1);
    sink.handler = (r) => (r.path === '/hang' ? 'hang' : { status: 200, body: { ok: true } });
    const hanging = Array.from({ length: 40 }, (_, i) => ({ ...delivery(i), mapping: { ...delivery(i).mapping, url: `${sink.url}/hang` } }));
    const healthy = { ...delivery(100), target: { type: 'destination' as const, destinationId: 'dst_2', action: 'send' } };
    for (const d of [...hanging, healthy]) await store.deliveries.insertIfAbsent(d);
    const dispatcher = dispatcherOn(store, { maxInFlight: 8 });
    dispatcher.accept(hanging);
    expect(dispatcher.held, 'the hanging destination holds half the bound, the rest waits by id').to.equal(4);
    dispatcher.accept([healthy]);
    const started = Date.now();
    while (!sink.requests.some((r) => r.path === '/hook') && Date.now() - started < 1_500) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sink.requests.filter((r) => r.path === '/hook'), 'the healthy send went out at once, not after the hanging ones').to.have.length(1);
    expect((await store.deliveries.get('s1', healthy.id))!.status).to.be.oneOf(['pending', 'delivered']);
    await dispatcher.stop();
  });

  it('records an outcome the store first refuses (a lock, a failover) by trying again, so the send is not repeated', async () => {
    const record = delivery(0);
    await store.deliveries.insertIfAbsent(record);
    // The real store, with its first two outcome writes failing as a locked database would.
    let refusals = 2;
    const real = store.deliveries;
    const deliveries: DeliveryStore = {
      insertIfAbsent: (d) => real.insertIfAbsent(d),
      get: (spaceId, id) => real.get(spaceId, id),
      update: async (d, rev) => {
        if (refusals > 0) {
          refusals--;
          throw new Error('SQLITE_BUSY: database is locked');
        }
        return real.update(d, rev);
      },
      claimDue: (now, leaseUntil, limit) => real.claimDue(now, leaseUntil, limit),
      nextDueAt: () => real.nextDueAt(),
      list: (spaceId, query) => real.list(spaceId, query),
      listByInstance: (spaceId, instanceId) => real.listByInstance(spaceId, instanceId),
      listByJourney: (spaceId, journeyId, options) => real.listByJourney(spaceId, journeyId, options),
    };
    const faulty: Store = { ...store, deliveries };
    const dispatcher = dispatcherOn(faulty, { targetStore: faulty });
    dispatcher.accept([record]);
    await dispatcher.idle();
    expect(refusals, 'both refusals happened').to.equal(0);
    expect(sink.requests, 'sent once').to.have.length(1);
    const stored = (await store.deliveries.get('s1', record.id))!;
    expect(stored.status).to.equal('delivered');
    expect(stored.nextAttemptAt, 'no lease left to send it again').to.equal(null);
  });

  it('sends nothing before the store says what led to it is on disk (store.durable(), off-thread WAL sync)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => { release = resolve; });
    let asked = 0;
    // The real store; only durable() is held back until the test releases it.
    const gated: Store = { ...store, durable: async () => { asked++; await gate; return store.durable(); } };
    const d = delivery(1);
    await store.deliveries.insertIfAbsent(d);
    const dispatcher = dispatcherOn(gated);
    dispatcher.accept([d]);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(asked, 'the send asked').to.equal(1);
    expect(sink.requests, 'nothing left while the sync was pending').to.have.length(0);
    release();
    await dispatcher.idle();
    expect(sink.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal([d.idempotencyKey]);
  });

  it('a failed durable() sends nothing and records no attempt: the delivery stays leased and is claimed again', async () => {
    const gated: Store = { ...store, durable: async () => { throw new Error('EIO: fdatasync failed'); } };
    const d = delivery(2);
    await store.deliveries.insertIfAbsent(d);
    const dispatcher = dispatcherOn(gated);
    dispatcher.accept([d]);
    await dispatcher.idle();
    expect(sink.requests).to.have.length(0);
    const [stored] = await store.deliveries.list('s1', { limit: 10 });
    expect(stored, 'untouched: pending, no attempt, still leased').to.deep.include({ status: 'pending', attempts: 0, rev: 0, nextAttemptAt: d.nextAttemptAt });
    expect(dispatcher.held, 'released').to.equal(0);
  });
});
