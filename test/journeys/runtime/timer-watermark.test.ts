import { expect } from 'chai';
import { ManualClock } from '../../../engine/clock.ts';
import { trackNow, useMemoryCore } from '../../support/memory-core.ts';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';

const HOUR = 3_600_000;
const cart: JourneyDefinition = {
  name: 'Cart', entry: { event: 'checkout_started' }, start: 'wait',
  steps: [
    { id: 'wait', type: 'hold_until', branches: [{ id: 'bought', event: 'purchase_completed', next: 'done' }], timeout: { after: 'PT1H', next: 'nudge' } },
    { id: 'nudge', type: 'send', eventName: 'Nudge', activationKey: 'nudge-key-1', next: 'done' },
    { id: 'done', type: 'exit' },
  ],
};


describe('journey timers wait for the backlog of events that arrived before their deadline', () => {
  const clock = new ManualClock();
  const mc = useMemoryCore({ clock, journey: cart });

  it('does not time out a hold while a matching event that arrived in time is still unprocessed', async () => {
    await mc.store.events.append([trackNow(clock, 'checkout_started')], { dedupeWindowMs: HOUR, now: clock.now() });
    mc.core.processor.start();
    await mc.core.processor.idle();
    const [waiting] = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
    expect(waiting!.stepId).to.equal('wait');

    await mc.core.processor.stop();
    clock.advance(30 * 60_000);
    await mc.store.events.append([trackNow(clock, 'purchase_completed')], { dedupeWindowMs: HOUR, now: clock.now() });
    clock.advance(2 * HOUR);
    expect(await mc.core.runtime.fireDue(100), 'the hold must not time out before the purchase is processed').to.equal(0);

    mc.core.processor.start();
    await mc.core.processor.idle();
    const [ended] = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
    expect(ended!.status).to.equal('completed');
    expect(ended!.context).to.have.property('purchase_completed - bought');
    expect(await mc.store.deliveries.listByJourney('s1', 'j1', { limit: 10 })).to.deep.equal([]);
  });

  it('times the hold out when the only backlog event arrived after the deadline', async () => {
    await mc.store.events.append([trackNow(clock, 'checkout_started')], { dedupeWindowMs: HOUR, now: clock.now() });
    mc.core.processor.start();
    await mc.core.processor.idle();
    await mc.core.processor.stop();
    clock.advance(2 * HOUR);
    await mc.store.events.append([trackNow(clock, 'purchase_completed')], { dedupeWindowMs: HOUR, now: clock.now() });
    expect(await mc.core.runtime.fireDue(100)).to.equal(1);
    mc.core.processor.start();
    await mc.core.processor.idle();
    const deliveries = await mc.store.deliveries.listByJourney('s1', 'j1', { limit: 10 });
    expect(deliveries.map((d) => d.eventName)).to.deep.equal(['Nudge']);
  });
});
