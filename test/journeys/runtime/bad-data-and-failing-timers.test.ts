/**
 * A property delay whose date is no usable date does not wait (recorded); a timer whose run fails
 * for a reason of its own exits its instance with the reason instead of staying due (the timer
 * loop would otherwise run it again at once, for ever); an entry failing in one journey does not
 * keep the event from the others.
 */
import { expect } from 'chai';
import { ManualClock } from '../../../engine/clock.ts';
import { processNow, trackNow, useMemoryCore, withMethod } from '../../support/memory-core.ts';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import type { EventRecord } from '../../../engine/store/event-store.ts';
import type { Store } from '../../../engine/store/store.ts';
import type { InstanceRecord } from '../../../engine/store/instance-store.ts';
import { withDefaults } from '../../../engine/journeys/definition/journey-defaults.ts';

const HOUR = 3_600_000;

/** go → wait 1 s → wait until the date in the trigger's `when` → exit. */
const untilWhen: JourneyDefinition = {
  name: 'Until when', entry: { event: 'go' }, start: 'pause',
  steps: [
    { id: 'pause', type: 'delay', wait: { type: 'duration', duration: 'PT1S' }, next: 'until' },
    { id: 'until', type: 'delay', wait: { type: 'property', path: 'context.go.properties.when' }, next: 'done' },
    { id: 'done', type: 'exit' },
  ],
};

function goWhen(clock: ManualClock, when: unknown): EventRecord {
  const event = trackNow(clock, 'go');
  return { ...event, message: { ...event.message, properties: { when } } };
}

describe('bad dates and failing timers', () => {
  const clock = new ManualClock();
  /** While true, reading a profile fails (a bug, not the store's: not transient). */
  let profilesFail = 0;
  const failing = (real: Store): Store => ({
    ...real,
    profiles: withMethod(real.profiles, 'get', (original) => (spaceId, id) => {
      if (profilesFail > 0) { profilesFail--; return Promise.reject(new Error('profile document is corrupt')); }
      return original(spaceId, id);
    }),
  });
  const mc = useMemoryCore({ clock, journey: untilWhen, wrap: failing });
  beforeEach(() => {
    profilesFail = 0;
  });

  const enter = (when: unknown) => processNow(mc, clock, [goWhen(clock, when)]);

  async function onlyInstance() {
    const [instance, ...more] = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
    expect(more).to.deep.equal([]);
    return instance!;
  }

  for (const [label, when, reason] of [
    ['a number past any date (1e300)', 1e300, "not waiting: the date at 'context.go.properties.when' is more than 2 years ahead"],
    ['a date more than 2 years ahead', '2090-01-01T00:00:00Z', "not waiting: the date at 'context.go.properties.when' is more than 2 years ahead"],
    ['a number before any date (-1e300)', -1e300, "not waiting: the date at 'context.go.properties.when' is already past"],
  ] as const) {
    it(`a property delay on ${label} does not wait, says why, and the instance goes on`, async () => {
      await enter(when);
      clock.advance(2000);
      expect(await mc.core.runtime.fireDue(10)).to.equal(1);
      const instance = await onlyInstance();
      expect(instance.status).to.equal('completed');
      const waiting = await mc.store.activities.list('s1', 'j1', { type: 'waiting', limit: 10 });
      expect(waiting.map((a) => a.reason)).to.include(reason);
      // Nothing is left due.
      expect(await mc.core.runtime.fireDue(10)).to.equal(0);
    });
  }

  it('a timer whose run fails exits its instance with the reason (counted as engine_error) instead of staying due', async () => {
    await enter('2020-01-01T00:00:00Z');
    clock.advance(2000);
    profilesFail = 1;
    expect(await mc.core.runtime.fireDue(10)).to.equal(1);
    const instance = await onlyInstance();
    expect(instance.status).to.equal('exited');
    expect(instance.endReason).to.equal('the engine could not run its timer: profile document is corrupt');
    expect(instance.wakeAt).to.equal(null);
    expect(await mc.core.runtime.fireDue(10)).to.equal(0);
    const exited = await mc.store.activities.list('s1', 'j1', { type: 'exited', limit: 10 });
    expect(exited.map((a) => a.data?.['cause'])).to.deep.equal(['engine_error']);
  });

  it('when not even the exit runs, the timer is put off by a minute instead of running again at once', async () => {
    await enter('2020-01-01T00:00:00Z');
    clock.advance(2000);
    profilesFail = 2;
    const before = clock.now();
    expect(await mc.core.runtime.fireDue(10)).to.equal(1);
    const instance = await onlyInstance();
    expect(instance.status).to.equal('active');
    expect(instance.wakeAt).to.be.at.least(before + 60_000);
    expect(await mc.core.runtime.fireDue(10)).to.equal(0);

    // A minute later it runs again, and this time it works.
    clock.advance(61_000);
    expect(await mc.core.runtime.fireDue(10)).to.equal(1);
    expect((await onlyInstance()).status).to.equal('completed');
  });
});

describe('an entry that fails in one journey', () => {
  const clock = new ManualClock();
  /** The journey whose instance inserts fail (a bug, not the store's: not transient). */
  let failing: string | null = null;
  const failingInserts = (real: Store): Store => ({
    ...real,
    instances: withMethod(real.instances, 'insert', (original) => (i) => (i.journeyId === failing ? Promise.reject(new Error(`cannot write ${failing}`)) : original(i))),
  });
  const mc = useMemoryCore({ clock, journey: untilWhen, wrap: failingInserts });

  // Both ways round, so that the failing journey is tried first in one of them.
  for (const [fails, enters] of [['j1', 'j2'], ['j2', 'j1']] as const) {
    it(`does not keep the event from the other journeys on it (${fails} fails, ${enters} enters)`, async () => {
      // A second journey on the same event, published like j1.
      const at = new Date(clock.now() - 1000).toISOString();
      const other: JourneyDefinition = { ...untilWhen, name: 'Other' };
      await mc.store.journeys.insert({
        id: 'j2', spaceId: 's1', name: other.name, description: null, status: 'published', draft: null, draftVersion: null,
        liveVersion: 1, createdAt: at, updatedAt: at, rev: 1,
      });
      await mc.store.journeys.putVersion({ spaceId: 's1', journeyId: 'j2', version: 1, definition: withDefaults(other), state: 'live', publishedAt: at });
      mc.core.invalidateJourneys();
      failing = fails;

      await mc.store.events.append([goWhen(clock, '2020-01-01T00:00:00Z')], { dedupeWindowMs: HOUR, now: clock.now() });
      mc.core.processor.start();
      await mc.core.processor.idle();
      expect(await mc.store.instances.listByJourney('s1', fails, { after: null, limit: 10 })).to.deep.equal([]);
      expect(await mc.store.instances.listByJourney('s1', enters, { after: null, limit: 10 })).to.have.length(1);
    });
  }
});
