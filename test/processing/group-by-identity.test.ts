import { expect } from 'chai';
import { groupByIdentity } from '../../engine/processing/group-by-identity.ts';
import type { EventRecord } from '../../engine/store/event-store.ts';

function event(id: string, spaceId = 's1'): EventRecord {
  return {
    id, spaceId, messageId: id, type: 'track', name: 'E', userId: null, anonymousId: null,
    timestamp: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:00.000Z', message: {},
  };
}

describe('groupByIdentity: which events may run in parallel', () => {
  it('puts events sharing a key in one group, in their original order', () => {
    const events = [event('1'), event('2'), event('3')];
    const keys = [['u:a'], ['u:b'], ['u:a']];
    const groups = groupByIdentity(events, (_e, i) => keys[i]!);
    expect(groups.map((g) => g.map((e) => e.id))).to.deep.equal([['1', '3'], ['2']]);
  });

  it('joins groups transitively through an event that carries two keys (identify with both ids)', () => {
    const events = [event('1'), event('2'), event('3'), event('4')];
    const keys = [['a:anon'], ['u:user'], ['u:user', 'a:anon'], ['u:other']];
    const groups = groupByIdentity(events, (_e, i) => keys[i]!);
    expect(groups.map((g) => g.map((e) => e.id))).to.deep.equal([['1', '2', '3'], ['4']]);
  });

  it('never joins the same identity of two different spaces', () => {
    const events = [event('1', 's1'), event('2', 's2')];
    const groups = groupByIdentity(events, () => ['u:same']);
    expect(groups).to.have.length(2);
  });
});
