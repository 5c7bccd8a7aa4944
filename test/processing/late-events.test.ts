/**
 * Events that become visible late. Event ids are assigned at ingest, so with several engine
 * processes ingesting (or a slow commit) an event can be stored after a newer event of the same
 * profile was already applied. It must still be applied once — to the profile and to the
 * profile's instances — and not be taken for a replay because its id is older.
 */
import { expect } from 'chai';
import { ManualClock } from '../../engine/clock.ts';
import { useMemoryCore } from '../support/memory-core.ts';
import type { JourneyDefinition } from '../../engine/journeys/definition/journey-definition.ts';
import type { EventRecord, MessageType } from '../../engine/store/event-store.ts';
import { newEventId } from '../../engine/ingest/normalize-message.ts';

const HOUR = 3_600_000;
const cart: JourneyDefinition = {
  name: 'Cart', entry: { event: 'checkout_started' }, start: 'wait',
  steps: [
    { id: 'wait', type: 'hold_until', branches: [{ id: 'bought', event: 'purchase_completed', next: 'done' }], timeout: { after: 'PT1H', next: 'done' } },
    { id: 'done', type: 'exit' },
  ],
  // A goal that does not end the instance: its event is routed to the instance and advances its last event.
  goals: [{ id: 'coupon', event: 'coupon_viewed', within: 'P1D' }],
};

function message(clock: ManualClock, id: string, type: MessageType, name: string | null, extra: Record<string, unknown> = {}): EventRecord {
  const at = new Date(clock.now()).toISOString();
  return {
    id, spaceId: 's1', messageId: id, type, name, userId: 'u1', anonymousId: null, timestamp: at, receivedAt: at,
    message: { type, ...(name ? { event: name } : {}), userId: 'u1', messageId: id, timestamp: at, receivedAt: at, properties: {}, ...extra },
  };
}

describe('events that become visible after newer events of their profile were applied', () => {
  const clock = new ManualClock();
  const mc = useMemoryCore({ clock, journey: cart, start: true });

  async function append(event: EventRecord): Promise<void> {
    await mc.store.events.append([event], { dedupeWindowMs: HOUR, now: clock.now() });
    mc.core.processor.wake();
    await mc.core.processor.idle();
  }


  it('applies a late identify to the profile (traits), keeping the newest event as its last', async () => {
    const olderId = newEventId();
    const newerId = newEventId();
    await append(message(clock, newerId, 'track', 'page_viewed'));
    await append(message(clock, olderId, 'identify', null, { traits: { plan: 'pro' } }));
    const profileId = (await mc.store.profiles.findOwner('s1', 'userId', 'u1'))!.id;
    const profile = (await mc.store.profiles.get('s1', profileId))!;
    expect(profile.traits).to.deep.equal({ plan: 'pro' });
    expect(profile.lastEventId, 'the newest applied').to.equal(newerId);
  });

  it('a late entry event starts its instance; a late hold-until event still completes the hold', async () => {
    await append(message(clock, newEventId(), 'track', 'checkout_started'));
    const [waiting] = await mc.store.instances.listByJourney('s1', 'j1', { after: null, limit: 10 });
    expect(waiting!.stepId).to.equal('wait');

    // The purchase gets its id first but is stored after a newer goal event was applied to the instance.
    const purchaseId = newEventId();
    const couponId = newEventId();
    await append(message(clock, couponId, 'track', 'coupon_viewed'));
    const converted = (await mc.store.instances.get('s1', waiting!.id))!;
    expect(converted.conversions).to.have.property('coupon');
    expect(converted.lastEventId).to.equal(couponId);

    await append(message(clock, purchaseId, 'track', 'purchase_completed'));
    const ended = (await mc.store.instances.get('s1', waiting!.id))!;
    expect(ended.status, 'the late purchase was applied, not taken for a replay').to.equal('completed');
    expect(ended.context).to.have.property('purchase_completed - bought');
    expect(ended.lastEventId, 'the newest applied').to.equal(couponId);
    const profileId = (await mc.store.profiles.findOwner('s1', 'userId', 'u1'))!.id;
    const profile = (await mc.store.profiles.get('s1', profileId))!;
    expect(profile.recentEvents.map((e) => e.id)).to.include(purchaseId);
  });
});
