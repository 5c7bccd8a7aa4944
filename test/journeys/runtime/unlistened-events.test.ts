/**
 * Events that no journey version listens to skip the read of the profile's active instances
 * (LiveJourneys.listensTo), and events a hold, an exit rule or a goal listens to still reach them.
 */
import { expect } from 'chai';
import { ManualClock } from '../../../engine/clock.ts';
import { processNow, trackNow, useMemoryCore, withMethod } from '../../support/memory-core.ts';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import type { Store } from '../../../engine/store/store.ts';

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
