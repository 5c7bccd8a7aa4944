/**
 * The recent track events a profile remembers, which hold-until steps look back through: bounded
 * in all and per event name, so that a burst of one event cannot push out the others.
 */
import { expect } from 'chai';
import { MAX_RECENT_EVENTS, MAX_RECENT_PER_NAME, absorb, applyEvent, blankProfile } from '../../engine/profiles/apply-event.ts';
import type { EventRecord } from '../../engine/store/event-store.ts';
import type { ProfileRecord } from '../../engine/store/profile-store.ts';

let seq = 0;
/** A track event of `name`, with ids in arrival order. */
function track(name: string): EventRecord {
  seq++;
  const id = `01J${String(seq).padStart(23, '0')}`;
  const at = new Date(1_700_000_000_000 + seq).toISOString();
  return {
    id, spaceId: 's1', messageId: id, type: 'track', name, userId: 'u1', anonymousId: null, timestamp: at, receivedAt: at,
    message: { type: 'track', event: name, userId: 'u1', messageId: id, timestamp: at, receivedAt: at, properties: {} },
  };
}

function afterEvents(profile: ProfileRecord, names: readonly string[]): ProfileRecord {
  return names.reduce((p, name) => applyEvent(p, track(name), { userId: 'u1', anonymousIds: [] }), profile);
}

const names = (p: ProfileRecord) => p.recentEvents.map((e) => e.name);

describe('recent events of a profile', () => {
  it('a burst of one event keeps only its newest per-name share: the event before the burst stays', () => {
    const p = afterEvents(blankProfile('prf_1', 's1', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'),
      ['checkout_started', 'purchase_completed', ...Array<string>(60).fill('page_scrolled')]);
    expect(names(p)).to.deep.equal(['checkout_started', 'purchase_completed', ...Array<string>(MAX_RECENT_PER_NAME).fill('page_scrolled')]);
    // The newest scrolls are the ones kept, in order.
    const ids = p.recentEvents.map((e) => e.id);
    expect(ids).to.deep.equal([...ids].sort());
    expect(ids.at(-1)).to.equal(`01J${String(seq).padStart(23, '0')}`);
  });

  it('never holds more than the overall bound: with many distinct names, the oldest go', () => {
    const many = Array.from({ length: MAX_RECENT_EVENTS + 15 }, (_, i) => `event_${i}`);
    const p = afterEvents(blankProfile('prf_2', 's1', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'), many);
    expect(names(p)).to.deep.equal(many.slice(-MAX_RECENT_EVENTS));
  });

  it('a merge keeps both profiles\' events in id order, within the same bounds', () => {
    const blank = (id: string) => blankProfile(id, 's1', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z');
    const a = afterEvents(blank('prf_a'), ['signed_up', ...Array<string>(8).fill('page_viewed')]);
    const b = afterEvents(blank('prf_b'), ['purchase_completed', ...Array<string>(8).fill('page_viewed')]);
    const merged = absorb(a, [b]);
    expect(merged.recentEvents.filter((e) => e.name === 'page_viewed')).to.have.length(MAX_RECENT_PER_NAME);
    expect(names(merged)).to.include.members(['signed_up', 'purchase_completed']);
    const ids = merged.recentEvents.map((e) => e.id);
    expect(ids).to.deep.equal([...ids].sort());
  });
});
