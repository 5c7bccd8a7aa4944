/**
 * The engine-wide figures /metrics reads from the journey counters: instances by state and
 * deliveries retrying, after the cart scenario (one active, two completed, one exited).
 */
import { expect } from 'chai';
import { useCartScenario } from '../observability/cart-scenario.ts';
import { scrape } from './scrape.ts';

describe('metrics: instances by state', function () {
  this.timeout(60_000);
  const fixture = useCartScenario('sqlite');

  it('counts instances active now and ended since the start, by state', async () => {
    const { t } = fixture();
    const metrics = await scrape(t.url);
    expect(metrics.types.get('journey_engine_instances')).to.equal('gauge');
    expect(metrics.value('journey_engine_instances', { state: 'active' })).to.equal(1);
    expect(metrics.value('journey_engine_instances', { state: 'completed' })).to.equal(2);
    expect(metrics.value('journey_engine_instances', { state: 'exited' })).to.equal(1);
    expect(metrics.value('journey_engine_deliveries_retrying')).to.equal(0);
  });

  it('moves as instances end', async () => {
    const { t, scenario } = fixture();
    await t.ingest('/v1/track', { userId: scenario.users.late, event: 'Unsubscribed' });
    await t.settle();
    const metrics = await scrape(t.url);
    expect(metrics.value('journey_engine_instances', { state: 'active' })).to.equal(0);
    expect(metrics.value('journey_engine_instances', { state: 'exited' })).to.equal(2);
  });
});
