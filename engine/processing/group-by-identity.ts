import type { EventRecord } from '../store/event-store.ts';

/**
 * Splits a run of events into groups that can be processed in parallel: two events that share
 * any key (an identity, or the profile an identity resolves to) land in the same group, in
 * their original order. `keysOf` gives each event's keys.
 */
export function groupByIdentity(events: readonly EventRecord[], keysOf: (event: EventRecord, index: number) => readonly string[]): EventRecord[][] {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root)!;
    let current = key;
    while (current !== root) {
      const next = parent.get(current)!;
      parent.set(current, root);
      current = next;
    }
    return root;
  };
  const eventKeys = events.map((event, i) => {
    // The space id scopes keys: identities of two spaces never meet.
    const keys = keysOf(event, i).map((k) => `${event.spaceId}\u0000${k}`);
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (let j = 1; j < keys.length; j++) {
      const a = find(keys[0]!);
      const b = find(keys[j]!);
      if (a !== b) parent.set(b, a);
    }
    return keys;
  });
  const groups = new Map<string, EventRecord[]>();
  events.forEach((event, i) => {
    const root = find(eventKeys[i]![0]!);
    const group = groups.get(root);
    if (group) group.push(event);
    else groups.set(root, [event]);
  });
  return [...groups.values()];
}
