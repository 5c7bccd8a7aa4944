/** The counter changes behind journey figures: merging a commit's changes, hour buckets and step keys. */
import { expect } from 'chai';
import { counterKeys, hourOf, HOUR_MS, mergeCounterChanges, type CounterChange } from '../../engine/store/journey-counters.ts';

const change = (over: Partial<CounterChange>): CounterChange => ({ spaceId: 's1', journeyId: 'j1', key: 'entered', delta: 1, hour: 10, ...over });

describe('journey counters', () => {
  it('merges changes to the same space, journey, hour and key, in first-seen order, and drops the ones that cancel out', () => {
    const changes = [
      change({}),
      change({ key: 'active', hour: null }),
      change({ journeyId: 'j2' }),
      change({ hour: 11 }),
      change({ spaceId: 's2' }),
      change({ delta: 2 }),
      change({ key: 'active', hour: null, delta: -1 }),
      // A gauge and a flow of the same key are different counters.
      change({ key: 'entered', hour: null, delta: 5 }),
      change({ journeyId: 'j2', delta: 3 }),
    ];
    const before = structuredClone(changes);
    expect(mergeCounterChanges(changes)).to.deep.equal([
      change({ delta: 3 }),
      change({ journeyId: 'j2', delta: 4 }),
      change({ hour: 11 }),
      change({ spaceId: 's2' }),
      change({ key: 'entered', hour: null, delta: 5 }),
    ]);
    expect(changes, 'the changes given are left as they were').to.deep.equal(before);
  });

  it('answers the hour bucket of each instant, whatever came before it', () => {
    const a = '2025-03-01T12:59:59.999Z';
    const b = '2025-03-01T13:00:00.000Z';
    const hours = [a, a, b, a, b, b].map(hourOf);
    const [ha, hb] = [Math.floor(Date.parse(a) / HOUR_MS), Math.floor(Date.parse(b) / HOUR_MS)];
    expect(hours).to.deep.equal([ha, ha, hb, ha, hb, hb]);
    expect(hb - ha).to.equal(1);
  });

  it('builds each step key the same, an exit rule\'s colon written as a slash, beyond the keys it keeps', () => {
    expect(counterKeys.stepReached('wait')).to.equal('step:wait:reached');
    expect(counterKeys.stepReached('wait')).to.equal('step:wait:reached');
    expect(counterKeys.stepSends('exit:cancelled')).to.equal('step:exit/cancelled:sends');
    expect(counterKeys.stepSendsSkipped('notify')).to.equal('step:notify:sends_skipped');
    expect(counterKeys.stepWaiting('hold')).to.equal('step:hold:waiting');
    for (let i = 0; i < 10_050; i++) expect(counterKeys.stepReached(`s${i}`)).to.equal(`step:s${i}:reached`);
    expect(counterKeys.stepReached('wait')).to.equal('step:wait:reached');
  });
});
