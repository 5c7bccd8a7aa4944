/**
 * One journey's records arranged for the checks: each instance with its trigger event and its
 * activity, and for every event the instances it started and the triggers it had ignored.
 */
import type { ActivityRecord, ActivityType } from '../../engine/store/activity-store.ts';
import type { InstanceView, JourneyFacts, StoredEvent } from './chaos-facts.ts';

/** One instance, its trigger event and what it did (oldest first). */
export interface InstanceStory {
  instance: InstanceView;
  /** The event of its `entered` record, when that record and event exist. */
  trigger: StoredEvent | null;
  activity: ActivityRecord[];
}

/** A journey's instances and triggers, indexed. */
export interface JourneyIndex {
  facts: JourneyFacts;
  stories: Map<string, InstanceStory>;
  /** Instances whose `entered` record names this event id. */
  enteredBy: Map<string, InstanceStory[]>;
  /** `trigger_ignored` records by event id. */
  ignoredBy: Map<string, ActivityRecord[]>;
  /** Activity records of instances the instance list does not have. */
  orphans: ActivityRecord[];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Indexes a journey's facts against the event log. */
export function indexJourney(facts: JourneyFacts, eventsById: ReadonlyMap<string, StoredEvent>): JourneyIndex {
  const stories = new Map<string, InstanceStory>();
  for (const instance of facts.instances) stories.set(instance.id, { instance, trigger: null, activity: [] });
  const index: JourneyIndex = { facts, stories, enteredBy: new Map(), ignoredBy: new Map(), orphans: [] };
  for (const a of facts.activity) {
    if (a.instanceId === null) {
      if (a.type === 'trigger_ignored' && a.eventId !== null) push(index.ignoredBy, a.eventId, a);
      continue;
    }
    const story = stories.get(a.instanceId);
    if (!story) {
      index.orphans.push(a);
      continue;
    }
    story.activity.push(a);
    if (a.type === 'entered' && a.eventId !== null) {
      story.trigger ??= eventsById.get(a.eventId) ?? null;
      push(index.enteredBy, a.eventId, story);
    }
  }
  return index;
}

/** The story's records of a type (at a step, when given). */
export function recordsOf(story: InstanceStory, type: ActivityType, stepId?: string): ActivityRecord[] {
  return story.activity.filter((a) => a.type === type && (stepId === undefined || a.stepId === stepId));
}

/** A record's `data[key]` as a string, or null. */
export function dataText(a: ActivityRecord, key: string): string | null {
  const value = a.data?.[key];
  return typeof value === 'string' ? value : null;
}

/** A short description of an instance for violation messages. */
export function describe(story: InstanceStory): string {
  const i = story.instance;
  const path = story.activity.map((a) => `${a.type}${a.stepId ? `@${a.stepId}` : ''}${a.data?.['branch'] ? `(${String(a.data['branch'])})` : ''}`).join(' > ');
  return `instance ${i.id} (${i.status}${i.identifier ? `, ${i.identifier}` : ''}, trigger ${story.trigger?.messageId ?? '?'}): ${path}`;
}
