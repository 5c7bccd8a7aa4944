/**
 * The engine's short-lived caches (destinations, audience rules, credentials) never keep a read that
 * started before a change: a change made while a read is in flight is seen by the next use, not
 * after the cache's time to live.
 */
import { expect } from 'chai';
import { openSqliteStorage } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { Store } from '../../engine/store/store.ts';
import type { DeliveryRecord } from '../../engine/store/delivery-store.ts';
import type { DestinationRecord } from '../../engine/store/destination-store.ts';
import type { ProfileRecord } from '../../engine/store/profile-store.ts';
import { ManualClock } from '../../engine/clock.ts';
import { createLogger } from '../../engine/logger.ts';
import { DeliveryTargets } from '../../engine/delivery/delivery-targets.ts';
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import { builtinPlugins } from '../../destinations/builtin/builtin-plugins.ts';
import { DEFAULT_DELIVERY_OPTIONS } from '../../engine/destination-instances/destination-input.ts';
import { AudienceService } from '../../engine/audiences/audience-service.ts';
import { ProfileFinder } from '../../engine/profiles/profile-finder.ts';
import { CredentialService } from '../../engine/spaces/credential-service.ts';
import { withMethod } from '../support/memory-core.ts';

/**
 * `part` with its method `key` wrapped: the first call reads, then waits until `open()` before it
 * answers (a read in flight); `calls()` counts the calls.
 */
function holdFirstCall<T extends object, K extends keyof T>(part: T, key: K): { part: T; open: () => void; calls: () => number } {
  let open!: () => void;
  const held = new Promise<void>((resolve) => { open = resolve; });
  let calls = 0;
  const wrapped = withMethod(part, key, (original) => (async (...args: unknown[]) => {
    const result: unknown = await (original as (...a: unknown[]) => Promise<unknown>)(...args);
    if (++calls === 1) await held;
    return result;
  }) as T[K]);
  return { part: wrapped, open, calls: () => calls };
}

describe('caches and a change made while a read is in flight', () => {
  let store: Store;
  const clock = new ManualClock();
  const at = new Date(clock.now()).toISOString();

  beforeEach(() => { store = openSqliteStorage({ dataDir: ':memory:' }).store; });
  afterEach(async () => { await store.close(); });

  it('a destination disabled while it is being read is refused by the next resolve', async () => {
    const destination: DestinationRecord = {
      id: 'dst_1', spaceId: 's1', name: 'Hook', plugin: 'webhook', settings: {}, enabled: true,
      delivery: DEFAULT_DELIVERY_OPTIONS, createdAt: at, updatedAt: at, version: 1,
    };
    await store.destinations.insert(destination);
    const { part: destinations, open, calls: reads } = holdFirstCall(store.destinations, 'get');
    const targets = new DeliveryTargets({ store: { ...store, destinations }, registry: new PluginRegistry({ builtins: builtinPlugins, catalog: false }), clock });
    const d = {
      spaceId: 's1', target: { type: 'destination', destinationId: 'dst_1', action: 'send' },
    } as unknown as DeliveryRecord;
    const first = targets.resolve(d);
    expect(await store.destinations.update({ ...destination, enabled: false, version: 2 }, 1)).to.equal('ok');
    targets.invalidate();
    open();
    expect(await first, 'the resolve that read before the change').to.have.property('target');
    expect(await targets.resolve(d)).to.deep.equal({ failed: "destination 'Hook' is disabled" });
    expect(reads()).to.equal(2);
  });

  it('an audience created while the rules are being read is evaluated for the next profile', async () => {
    const { part: audiences, open } = holdFirstCall(store.audiences, 'list');
    const service = new AudienceService(audiences, new ProfileFinder(store.profiles), createLogger('error', true));
    const profile = (id: string): ProfileRecord => ({
      id, spaceId: 's1', userId: id, userIds: [id], anonymousIds: [], email: null, traits: { plan: 'pro' },
      firstSeenAt: at, lastSeenAt: at, mergedInto: null, mergedFrom: [], recentEvents: [], lastEventId: null, version: 1, createdAt: at, updatedAt: at,
    });
    const first = service.evaluateProfile(profile('p1'));
    // Created and backfilled over no profiles: only the evaluation of later changes can make p2 a member.
    const pro = await service.create('s1', { name: 'Pro', description: null, rule: [{ path: 'plan', operator: 'equals', value: 'pro' }] });
    open();
    await first;
    await service.evaluateProfile(profile('p2'));
    expect((await store.audiences.membershipsOfProfile('s1', 'p2')).map((m) => [m.audienceId, m.byRule])).to.deep.equal([[pro.id, true]]);
  });
});

describe('credential cache and a revoke made while a lookup is in flight', () => {
  it('a write key revoked while it is being looked up is refused by the next request', async () => {
    const store = openSqliteStorage({ dataDir: ':memory:' }).store;
    try {
      const { part: spaces, open, calls: lookups } = holdFirstCall(store.spaces, 'findCredentialByHash');
      const credentials = new CredentialService(spaces);
      const { space, writeKey } = await credentials.createSpace('Revoked meanwhile');
      const first = credentials.authenticate(writeKey.secret, 'write_key');
      await credentials.revoke(space.id, writeKey.id);
      open();
      expect(await first, 'the lookup that read before the revoke').to.not.equal(null);
      expect(await credentials.authenticate(writeKey.secret, 'write_key')).to.equal(null);
      expect(lookups()).to.equal(2);
    } finally {
      await store.close();
    }
  });
});
