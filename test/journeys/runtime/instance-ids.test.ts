import { expect } from 'chai';
import { encodeTime } from 'ulid';
import { ManualClock } from '../../../engine/clock.ts';
import { trackNow, useMemoryCore } from '../../support/memory-core.ts';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import { legacyTriggerInstanceId, triggerInstanceId } from '../../../engine/journeys/runtime/profile-entry-checks.ts';
import type { EventRecord } from '../../../engine/store/event-store.ts';
import type { InstanceRecord } from '../../../engine/store/instance-store.ts';
import type { Store } from '../../../engine/store/store.ts';

const HOUR = 3_600_000;
const trial: JourneyDefinition = {
  name: 'Trial', entry: { event: 'trial_started' }, start: 'later',
  steps: [
    { id: 'later', type: 'delay', wait: { type: 'duration', duration: 'PT1H' }, next: 'done' },
    { id: 'done', type: 'exit' },
  ],
};


describe('journey instance ids', () => {
  it('start with the trigger event id\'s time, so instances entered later sort after (ordered index writes)', () => {
    // Event ids as ingest makes them (ULIDs), 5 ms apart: newEventId reads the real clock, not a test clock.
    const first = { id: `${encodeTime(1_700_000_000_000, 10)}${'Z'.repeat(16)}` };
    const second = { id: `${encodeTime(1_700_000_000_005, 10)}${'0'.repeat(16)}` };
    const a = triggerInstanceId('j1', 'prf_z', first.id);
    const b = triggerInstanceId('j1', 'prf_a', second.id);
    expect(a).to.match(/^ins_[0-9A-HJKMNP-TV-Z]{10}[0-9a-f]{16}$/);
    expect(a.slice(4, 14)).to.equal(first.id.slice(0, 10));
    expect(a < b, `${a} sorts before ${b}`).to.equal(true);
    // Deterministic: processing the same trigger again finds the same instance.
    expect(triggerInstanceId('j1', 'prf_z', first.id)).to.equal(a);
    expect(triggerInstanceId('j2', 'prf_z', first.id)).to.not.equal(a);
  });

  it('keep a hash-only shape for an event id that is not a ULID', () => {
    expect(triggerInstanceId('j1', 'prf_1', 'imported-42')).to.match(/^ins_[0-9a-f]{26}$/);
  });

  describe('after an upgrade', () => {
    const clock = new ManualClock();
    /** Instance ids the runtime looked up, in order. */
    let looked: string[] = [];
    beforeEach(() => {
      looked = [];
    });
    // The real store, with the instance reads recorded.
    const watched = (real: Store): Store => {
      const instances = new Proxy(real.instances, {
        get(target, key) {
          if (key === 'get') return (spaceId: string, id: string) => { looked.push(id); return target.get(spaceId, id); };
          const value: unknown = Reflect.get(target, key);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { ...real, instances };
    };
    const mc = useMemoryCore({ clock, journey: trial, wrap: watched });

    /** A trigger of u1 received at `at` (ingest stamps arrivals; an older engine's are older than the take-over). */
    function triggerReceivedAt(at: number): EventRecord {
      const event = trackNow(clock, 'trial_started');
      const iso = new Date(at).toISOString();
      return { ...event, receivedAt: iso, timestamp: iso, message: { ...event.message, receivedAt: iso, timestamp: iso } };
    }

    /** Enters u1 through a trigger received now and lets its instance finish: the profile exists, nothing is active. */
    async function enteredAndFinished(): Promise<InstanceRecord> {
      const first = trackNow(clock, 'trial_started');
      await mc.store.events.append([first], { dedupeWindowMs: HOUR, now: clock.now() });
      mc.core.processor.start();
      await mc.core.processor.idle();
      const [entered] = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
      expect(entered!.id).to.equal(triggerInstanceId('j1', entered!.profileId, first.id));
      clock.advance(2 * HOUR);
      expect(await mc.core.runtime.fireDue(10)).to.equal(1);
      return entered!;
    }

    it('a trigger stored before this process took over, which an older engine entered under the hash-only id, is not entered twice', async () => {
      // The core published the journey, then took over processing (memoryCore): a trigger received
      // just after the publication was stored before the take-over.
      const published = await mc.store.journeys.getVersion('s1', 'j1', 1);
      const entered = await enteredAndFinished();
      // An engine before time-ordered ids stored this trigger's instance under its hash-only id,
      // then stopped before marking the event processed.
      const second = triggerReceivedAt(Date.parse(published!.publishedAt) + 1);
      const legacyId = legacyTriggerInstanceId('j1', entered.profileId, second.id);
      expect(await mc.store.instances.insert({ ...entered, id: legacyId, triggerEventId: second.id, lastEventId: second.id, outbox: [] })).to.equal('ok');
      await mc.store.events.append([second], { dedupeWindowMs: HOUR, now: clock.now() });
      mc.core.processor.wake();
      await mc.core.processor.idle();

      // Without the lookup the re-entry rule (one active instance) would refuse it and record it as ignored.
      const all = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
      expect(all.map((i) => i.id).sort()).to.deep.equal([entered.id, legacyId].sort());
      expect(await mc.store.activities.list('s1', 'j1', { type: 'trigger_ignored', limit: 10 })).to.deep.equal([]);
    });

    it('a trigger received after the take-over is entered without looking for a hash-only id (one read fewer per entry)', async () => {
      const entered = await enteredAndFinished();
      const second = trackNow(clock, 'trial_started');
      looked = [];
      await mc.store.events.append([second], { dedupeWindowMs: HOUR, now: clock.now() });
      mc.core.processor.wake();
      await mc.core.processor.idle();

      const newId = triggerInstanceId('j1', entered.profileId, second.id);
      expect(looked).to.include(newId);
      expect(looked).to.not.include(legacyTriggerInstanceId('j1', entered.profileId, second.id));
      const all = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
      expect(all.map((i) => i.id).sort()).to.deep.equal([entered.id, newId].sort());
    });
  });
});
