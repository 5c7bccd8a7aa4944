/** Journey figures read counter keys back, including an exit rule's send (its step id holds a colon). */
import { expect } from 'chai';
import { journeyStats } from '../../engine/observability/journey-stats.ts';

describe('journey figures from counter keys', () => {
  it('reads step keys from their end, so an exit rule\'s sends (step exit:<rule>) are shown', () => {
    const stats = journeyStats('j', {
      flows: { 'step:exit:cancelled:sends': 7, 'step:wait:branch:paid': 2, 'step:wait:reached': 3, 'step:exit:cancelled:sends_skipped': 1 },
      gauges: { 'step:wait:waiting': 1 },
    }, null, null);
    expect(stats.steps['exit:cancelled']).to.deep.include({ sends: 7, sendsSkipped: 1 });
    expect(stats.steps['wait']).to.deep.equal({ reached: 3, waiting: 1, branches: { paid: 2 }, sends: 0, sendsSkipped: 0 });
  });
});
