/**
 * The runtime's cached view of live journey versions (LiveJourneys) never hides a change behind a
 * load that read the store before it.
 */
import { expect } from 'chai';
import { ManualClock } from '../../../engine/clock.ts';
import { useMemoryCore, withMethod } from '../../support/memory-core.ts';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import { LiveJourneys } from '../../../engine/journeys/runtime/live-journeys.ts';
import { withDefaults } from '../../../engine/journeys/definition/journey-defaults.ts';

/** go → hold until reply (or an hour) → exit. */
const waitsForReply: JourneyDefinition = {
  name: 'Waits for a reply', entry: { event: 'go' }, start: 'hold',
  steps: [
    { id: 'hold', type: 'hold_until', branches: [{ id: 'replied', event: 'reply', next: 'done' }], timeout: { after: 'PT1H', next: 'done' } },
    { id: 'done', type: 'exit' },
  ],
};

describe('a change made while the live view is loading is not hidden by that load (LiveJourneys generations)', () => {
  const clock = new ManualClock();
  const mc = useMemoryCore({ clock, journey: waitsForReply });

  it('a read after invalidate() waits for a load that started after it, not for the one in flight', async () => {
    /** Holds the first load's read of the versions until released: the load in flight. */
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let loads = 0;
    const journeys = withMethod(mc.store.journeys, 'listActiveVersions', (original) => async () => {
      loads++;
      const versions = await original();
      if (loads === 1) await held;
      return versions;
    });
    const live = new LiveJourneys(journeys);
    const before = live.entriesFor('s1', 'page_viewed');
    // Published while that load holds what it read before: it starts on page_viewed now.
    const journey = (await mc.store.journeys.get('s1', 'j1'))!;
    await mc.store.journeys.putVersion({
      spaceId: 's1', journeyId: 'j1', version: 2, state: 'live', publishedAt: new Date(clock.now()).toISOString(),
      definition: withDefaults({ ...waitsForReply, entry: { event: 'page_viewed' } }),
    });
    await mc.store.journeys.update({ ...journey, liveVersion: 2, rev: journey.rev + 1 }, journey.rev);
    live.invalidate();
    const after = live.entriesFor('s1', 'page_viewed');
    release();
    expect(await before, 'the read made before the change may see the old view').to.have.length(0);
    expect((await after).map((e) => e.version.record.version), 'the read made after it').to.deep.equal([2]);
    expect(loads).to.equal(2);
    expect(live.quietFor('s1', 'page_viewed'), 'fresh now, and not quiet').to.equal(false);
    expect(live.quietFor('s1', 'go'), 'go no longer starts the live version').to.equal(true);
  });
});
