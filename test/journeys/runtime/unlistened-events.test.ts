/**
 * Events that no journey version listens to skip the read of the profile's active instances
 * (LiveJourneys.listensTo), and events a hold, an exit rule or a goal listens to still reach them.
 */
import { expect } from 'chai';
import { ManualClock } from '../../../engine/clock.ts';
import { processNow, trackNow, useMemoryCore, withMethod } from '../../support/memory-core.ts';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import type { Store } from '../../../engine/store/store.ts';
import { LiveJourneys } from '../../../engine/journeys/runtime/live-journeys.ts';
import { withDefaults } from '../../../engine/journeys/definition/journey-defaults.ts';

/** go → hold until reply (or an hour) → exit; leaves on cancel; converts on bought. */
const waitsForReply: JourneyDefinition = {
  name: 'Waits for a reply', entry: { event: 'go' }, start: 'hold',
  steps: [
    { id: 'hold', type: 'hold_until', branches: [{ id: 'replied', event: 'reply', next: 'done' }], timeout: { after: 'PT1H', next: 'done' } },
    { id: 'done', type: 'exit' },
  ],
  exitRules: [{ id: 'cancelled', event: 'cancel' }],
  goals: [{ id: 'bought', event: 'bought', within: 'P1D' }],
};

describe("events nothing listens to do not read the profile's active instances", () => {
  const clock = new ManualClock();
  /** Calls of instances.activeRefsForProfiles on the real store (counted, not changed). */
  let lookups = 0;
  const counting = (real: Store): Store => ({
    ...real,
    instances: withMethod(real.instances, 'activeRefsForProfiles', (original) => (spaceId, profileIds) => {
      lookups++;
      return original(spaceId, profileIds);
    }),
  });
  const mc = useMemoryCore({ clock, journey: waitsForReply, wrap: counting });

  const track = (name: string) => processNow(mc, clock, [trackNow(clock, name)]);

  async function theInstance() {
    const [instance] = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
    return instance!;
  }

  it('skips the read for an unlistened event and leaves the waiting instance as it was', async () => {
    await track('go');
    const waiting = await theInstance();
    expect(waiting.status).to.equal('active');
    lookups = 0;
    await track('page_viewed');
    expect(lookups, 'reads of active instances').to.equal(0);
    expect(await theInstance()).to.deep.equal(waiting);
  });

  for (const [name, status] of [['reply', 'completed'], ['cancel', 'exited']] as const) {
    it(`still reads them for an event the journey listens to (${name}), and the instance moves on`, async () => {
      await track('go');
      lookups = 0;
      await track(name);
      expect(lookups, 'reads of active instances').to.equal(1);
      expect((await theInstance()).status).to.equal(status);
    });
  }

  it('still reads them for a goal event, which converts the waiting instance', async () => {
    await track('go');
    lookups = 0;
    await track('bought');
    expect(lookups, 'reads of active instances').to.equal(1);
    expect(Object.keys((await theInstance()).conversions)).to.deep.equal(['bought']);
  });
});

describe('events nothing listens to nor starts on are skipped without a lock or a promise (LiveJourneys.quietFor)', () => {
  const clock = new ManualClock();
  const mc = useMemoryCore({ clock, journey: waitsForReply });
  const event = (name: string) => trackNow(clock, name);
  /** The profile of user u1 after a first event (`go` enters it into j1). */
  const profile = async (first = 'go') => {
    await processNow(mc, clock, [trackNow(clock, first)]);
    return (await mc.store.profiles.findOwner('s1', 'userId', 'u1'))!;
  };

  it('answers quiet only while the loaded versions are fresh, and never for a listened or entry event', async () => {
    const live = new LiveJourneys(mc.store.journeys);
    expect(live.quietFor('s1', 'page_viewed'), 'nothing loaded yet').to.equal(false);
    await live.listensTo('s1', 'page_viewed');
    expect(live.quietFor('s1', 'page_viewed')).to.equal(true);
    expect(live.quietFor('s2', 'reply'), 'another space').to.equal(true);
    for (const name of ['go', 'reply', 'cancel', 'bought']) expect(live.quietFor('s1', name), name).to.equal(false);
    live.invalidate();
    expect(live.quietFor('s1', 'page_viewed'), 'invalidated').to.equal(false);
  });

  it('handleEvent answers null for a quiet event, and a promise that does the work otherwise', async () => {
    const p = await profile();
    const runtime = mc.core.runtime;
    await runtime.orderingKeys(event('page_viewed'));
    expect(runtime.handleEvent(event('page_viewed'), p)).to.equal(null);
    expect(runtime.orderingKeys(event('page_viewed'))).to.deep.equal([]);
    const reply = runtime.handleEvent(event('reply'), p);
    expect(reply).to.be.an.instanceOf(Promise);
    await reply;
    const [instance] = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
    expect(instance!.status, 'the reply moved the instance on').to.equal('completed');
  });

  it('a journey published meanwhile is seen once the view reloads: the event is no longer quiet', async () => {
    const p = await profile('page_viewed');
    const runtime = mc.core.runtime;
    await runtime.orderingKeys(event('page_viewed'));
    expect(runtime.handleEvent(event('page_viewed'), p)).to.equal(null);
    const journey = (await mc.store.journeys.get('s1', 'j1'))!;
    await mc.store.journeys.putVersion({
      spaceId: 's1', journeyId: 'j1', version: 2, state: 'live', publishedAt: new Date(clock.now()).toISOString(),
      definition: withDefaults({ ...waitsForReply, entry: { event: 'page_viewed' } }),
    });
    await mc.store.journeys.update({ ...journey, liveVersion: 2, rev: journey.rev + 1 }, journey.rev);
    mc.core.invalidateJourneys();
    const handled = runtime.handleEvent(event('page_viewed'), p);
    expect(handled, 'not quiet once reloaded').to.be.an.instanceOf(Promise);
    await handled;
    const entered = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
    expect(entered.map((i) => i.version)).to.include(2);
  });
});
