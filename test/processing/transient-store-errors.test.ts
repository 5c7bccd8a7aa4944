/**
 * A store that fails for a moment (a lock held too long, a MongoDB failover) must not cost an
 * event: the processor retries the round from the log instead of skipping the event as poison.
 * An event that fails for a reason of its own is still skipped, so it cannot stall the log.
 */
import { expect } from 'chai';
import { ManualClock } from '../../engine/clock.ts';
import { useMemoryCore } from '../support/memory-core.ts';
import type { EventRecord } from '../../engine/store/event-store.ts';
import type { ProfileRecord, ProfileStore } from '../../engine/store/profile-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { newEventId } from '../../engine/ingest/normalize-message.ts';

const HOUR = 3_600_000;

function identify(clock: ManualClock, userId: string, traits: Record<string, unknown>): EventRecord {
  const id = newEventId();
  const at = new Date(clock.now()).toISOString();
  return {
    id, spaceId: 's1', messageId: id, type: 'identify', name: null, userId, anonymousId: null, timestamp: at, receivedAt: at,
    message: { type: 'identify', userId, messageId: id, timestamp: at, receivedAt: at, traits },
  };
}

/** An error as better-sqlite3 throws it. */
function sqliteError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('processing through store failures', () => {
  const clock = new ManualClock();
  /** Errors the next profile inserts throw, by user id of the profile (consumed one by one). */
  let failures: Map<string, Error[]>;
  beforeEach(() => {
    failures = new Map();
  });
  // The real store, with profile inserts failing on demand.
  const withFaults = (real: Store): Store => {
    const profiles: ProfileStore = {
      get: (spaceId, id) => real.profiles.get(spaceId, id),
      findOwner: (spaceId, kind, value) => real.profiles.findOwner(spaceId, kind, value),
      liveProfileId: (spaceId, kind, value) => real.profiles.liveProfileId(spaceId, kind, value),
      findByEmail: (spaceId, email) => real.profiles.findByEmail(spaceId, email),
      insert: async (profile: ProfileRecord) => {
        const error = failures.get(profile.userId ?? '')?.shift();
        if (error) throw error;
        return real.profiles.insert(profile);
      },
      update: (profile, expectedVersion) => real.profiles.update(profile, expectedVersion),
      list: (spaceId, options) => real.profiles.list(spaceId, options),
    };
    return { ...real, profiles };
  };
  const mc = useMemoryCore({ clock, wrap: withFaults, start: true });

  async function process(events: EventRecord[]): Promise<void> {
    await mc.store.events.append(events, { dedupeWindowMs: HOUR, now: clock.now() });
    mc.core.processor.wake();
    await mc.core.processor.idle();
  }

  it('a locked database: the round is retried and every event applied, in order', async () => {
    failures.set('busy-user', [sqliteError('SQLITE_BUSY', 'database is locked')]);
    await process([
      identify(clock, 'busy-user', { plan: 'free', source: 'ads' }), identify(clock, 'busy-user', { plan: 'pro' }), identify(clock, 'calm-user', { plan: 'team' }),
    ]);
    expect(failures.get('busy-user'), 'the failure happened').to.deep.equal([]);
    const busy = (await mc.store.profiles.findOwner('s1', 'userId', 'busy-user'))!;
    expect(busy.traits, 'both events, the later last').to.deep.equal({ plan: 'pro', source: 'ads' });
    const calm = (await mc.store.profiles.findOwner('s1', 'userId', 'calm-user'))!;
    expect(calm.traits).to.deep.equal({ plan: 'team' });
    expect(calm.version, 'the other profile of the round was applied once').to.equal(1);
  });

  it('an event failing for a reason of its own is skipped (logged), and the log goes on', async () => {
    failures.set('poison-user', [new Error('not a store condition')]);
    await process([identify(clock, 'poison-user', { plan: 'free' }), identify(clock, 'next-user', { plan: 'pro' })]);
    expect(await mc.store.profiles.findOwner('s1', 'userId', 'poison-user'), 'the poison event was skipped').to.equal(null);
    expect((await mc.store.profiles.findOwner('s1', 'userId', 'next-user'))!.traits).to.deep.equal({ plan: 'pro' });
    expect(await mc.store.events.pending(10), 'nothing left pending').to.deep.equal([]);
  });
});
