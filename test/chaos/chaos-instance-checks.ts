/**
 * Invariants 2 and 3 as every journey must keep them, whatever its steps:
 * - each entry event of the load had exactly one outcome (an instance, or an ignored trigger);
 *   a seed event, sent before publishing, had none;
 * - each instance entered once, from a stored entry event, and has ended (none stuck), with one
 *   end record and nothing after it but conversions (a goal's window can outlast the instance); no
 *   record is duplicated (a replay applied twice);
 * - each wait (`waiting` with an `until`) was closed exactly once — a timer that fired
 *   (`delay_over`, `timed_out`), a matching event, or the instance's exit — and a timer never
 *   fired before its time.
 */
import type { ActivityRecord } from '../../engine/store/activity-store.ts';
import type { StoredEvent } from './chaos-facts.ts';
import { dataText, describe, type InstanceStory, type JourneyIndex } from './chaos-journey-index.ts';
import type { Violations } from './chaos-violations.ts';

/** Figures of one journey's instances and timers for the summary. */
export interface InstanceCounts {
  instances: number;
  /** Timers that fired (delays over, holds timed out). */
  timersFired: number;
  /** Latest firing after the due time, in ms (for information: never a pass/fail threshold). */
  maxTimerLatenessMs: number;
}

const CLOSES_WAIT = new Set(['delay_over', 'timed_out', 'event_matched', 'completed', 'exited']);

/** Checks one journey's instances and their timers. */
export function checkInstances(index: JourneyIndex, entryEvents: readonly StoredEvent[], isSeed: (messageId: string) => boolean, v: Violations): InstanceCounts {
  const journey = index.facts.key;
  const counts: InstanceCounts = { instances: index.stories.size, timersFired: 0, maxTimerLatenessMs: 0 };
  for (const a of index.orphans) v.add('instances.orphan-activity', `${journey}: ${a.type} record ${a.id} names instance ${a.instanceId}, which the instance list does not have`);

  for (const e of entryEvents) {
    const outcomes = (index.enteredBy.get(e.id)?.length ?? 0) + (index.ignoredBy.get(e.id)?.length ?? 0);
    const expected = isSeed(e.messageId) ? 0 : 1;
    if (outcomes !== expected) {
      v.add('entries.outcome', `${journey}: entry event ${e.messageId} (${e.userId}) has ${outcomes} outcomes (instances or ignored triggers), expected ${expected}`);
    }
  }
  const entryIds = new Set(entryEvents.map((e) => e.id));
  for (const [eventId, records] of index.ignoredBy) {
    if (!entryIds.has(eventId)) v.add('entries.unknown-trigger', `${journey}: ${records.length} trigger_ignored record(s) for event ${eventId}, not a stored entry event`);
  }

  for (const story of index.stories.values()) {
    checkLife(journey, story, entryIds, v);
    for (const [i, a] of story.activity.entries()) {
      if (a.type !== 'waiting') continue;
      const until = dataText(a, 'until');
      if (until !== null) checkWait(journey, story, a, Date.parse(until), story.activity.slice(i + 1), counts, v);
    }
  }
  return counts;
}

function checkLife(journey: string, story: InstanceStory, entryIds: ReadonlySet<string>, v: Violations): void {
  const { instance, activity } = story;
  const entered = activity.filter((a) => a.type === 'entered');
  if (entered.length !== 1) v.add('instances.entered', `${journey}: ${entered.length} entered records — ${describe(story)}`);
  if (!story.trigger || !entryIds.has(story.trigger.id)) v.add('instances.trigger', `${journey}: not started by a stored entry event — ${describe(story)}`);
  if (instance.status === 'active') {
    v.add('instances.stuck', `${journey}: still active at '${instance.currentStep}'${instance.waiting ? `, waiting (${instance.waiting.kind}) until ${instance.waiting.until}` : ''} — ${describe(story)}`);
    return;
  }
  const ends = activity.filter((a) => a.type === 'completed' || a.type === 'exited');
  if (ends.length !== 1 || ends[0]!.type !== instance.status) {
    v.add('instances.end', `${journey}: status ${instance.status} with ${ends.length} end records — ${describe(story)}`);
  } else if (activity.slice(activity.indexOf(ends[0]!) + 1).some((a) => a.type !== 'converted')) {
    // Only a conversion may come later: a goal's window from entry can outlast the instance.
    v.add('instances.after-end', `${journey}: records after the instance ended — ${describe(story)}`);
  }
  const seen = new Set<string>();
  for (const a of activity) {
    const key = `${a.type}|${a.stepId}|${a.eventId}|${a.reason}`;
    if (seen.has(key)) v.add('instances.duplicate-activity', `${journey}: ${a.type} at ${a.stepId ?? '-'} recorded twice (${a.reason}) — ${describe(story)}`);
    seen.add(key);
  }
}

/** One wait: closed once, and a timer that closed it fired at or after its time. */
function checkWait(journey: string, story: InstanceStory, waiting: ActivityRecord, until: number, later: ActivityRecord[], counts: InstanceCounts, v: Violations): void {
  const closers = later.filter((a) => a.stepId === waiting.stepId && CLOSES_WAIT.has(a.type)
    && (a.type === 'delay_over' || a.type === 'timed_out' || a.data?.['leftWait'] === true));
  if (closers.length !== 1) {
    v.add('timers.closed-once', `${journey}: the wait at '${waiting.stepId}' until ${new Date(until).toISOString()} was closed ${closers.length} times — ${describe(story)}`);
    return;
  }
  const closer = closers[0]!;
  if (closer.type !== 'delay_over' && closer.type !== 'timed_out') return;
  counts.timersFired++;
  const firedAt = Date.parse(closer.at);
  if (firedAt < until) {
    v.add('timers.early', `${journey}: ${closer.type} at '${closer.stepId}' at ${closer.at}, ${until - firedAt} ms before its time ${new Date(until).toISOString()} — ${describe(story)}`);
  }
  const waitedUntil = dataText(closer, 'waitedUntil');
  if (closer.type === 'delay_over' && (waitedUntil === null || Date.parse(waitedUntil) !== until)) {
    v.add('timers.mismatch', `${journey}: delay_over says it waited until ${waitedUntil}, the wait was until ${new Date(until).toISOString()} — ${describe(story)}`);
  }
  counts.maxTimerLatenessMs = Math.max(counts.maxTimerLatenessMs, firedAt - until);
}
