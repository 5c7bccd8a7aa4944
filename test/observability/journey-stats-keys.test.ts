/** Journey figures read counter keys back, including an exit rule's send (its step id holds a colon). */
import { expect } from 'chai';
import { journeyStats } from '../../engine/observability/journey-stats.ts';
import { activityCounters } from '../../engine/store/journey-counters.ts';

describe('journey figures from counter keys', () => {
  it('reads step keys from their end, so an exit rule\'s sends (step exit:<rule>) are shown', () => {
    const stats = journeyStats('j', {
      flows: { 'step:exit:cancelled:sends': 7, 'step:wait:branch:paid': 2, 'step:wait:reached': 3, 'step:exit:cancelled:sends_skipped': 1 },
      gauges: { 'step:wait:waiting': 1 },
    }, null, null);
    expect(stats.steps['exit:cancelled']).to.deep.include({ sends: 7, sendsSkipped: 1 });
    expect(stats.steps['wait']).to.deep.equal({ reached: 3, waiting: 1, branches: { paid: 2 }, sends: 0, sendsSkipped: 0 });
  });

  it("an exit rule named 'branch' counts its sends under its own step, not as a branch of a step named exit", () => {
    const keys = activityCounters({
      id: 'a1', spaceId: 's', journeyId: 'j', version: 1, instanceId: 'i', profileId: 'p', type: 'send_recorded',
      stepId: 'exit:branch', eventId: null, at: '2025-01-01T00:00:00.000Z', reason: null, data: null,
    }).map((c) => c.key);
    expect(keys).to.deep.equal(['step:exit/branch:sends']);
    const stats = journeyStats('j', {
      flows: { 'step:exit/branch:sends': 3, 'step:exit:branch:sends': 0, 'step:exit:reached': 2, 'step:exit:branch:paid': 1 },
      gauges: {},
    }, null, null);
    expect(stats.steps['exit:branch']).to.deep.include({ sends: 3 });
    // A step really named exit keeps its own figures and branches.
    expect(stats.steps['exit']).to.deep.include({ reached: 2, branches: { paid: 1, sends: 0 } });
  });
});
