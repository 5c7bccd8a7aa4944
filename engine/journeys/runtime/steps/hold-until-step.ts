import type { HoldBranch, HoldUntilStep } from '../../definition/journey-definition.ts';
import type { EventRecord } from '../../../store/event-store.ts';
import { addDuration, durationMs } from '../../definition/duration.ts';
import { matcherFor } from '../../../conditions/cached-matcher.ts';
import { readPath } from '../../../conditions/read-path.ts';
import { identifierOf, record, type Run } from '../run.ts';

import { contextAlias } from '../../definition/context-keys.ts';

/** Why an event does or does not satisfy a branch of a hold step for this instance. */
export function matchBranch(run: Run, step: HoldUntilStep, event: EventRecord): { branch: HoldBranch } | { ignored: string } | null {
  const candidates = step.branches.filter((b) => b.event === event.name);
  if (candidates.length === 0) return null;
  const identifier = identifierOf(event, run.env.identifierPath, readPath);
  if (identifier !== undefined && identifier !== run.instance.identifier) {
    return { ignored: `identifier ${identifier} is not this instance's (${run.instance.identifier})` };
  }
  for (const branch of candidates) {
    if (matcherFor(branch.conditions)(event.message)) return { branch };
  }
  return { ignored: `conditions of branch ${candidates.map((b) => `'${b.id}'`).join(', ')} not met` };
}

/**
 * Whether an event received before this instance's trigger is this instance's to take: it arrived
 * after the profile's last instance of the journey ended, and carries this instance's identifier
 * value when the journey has one (a purchase sent just before its checkout by a client that sends
 * out of order). Before that end it belonged to the earlier instance, which may have ended on it.
 */
function ownsEarlierEvent(run: Run, event: EventRecord): boolean {
  const after = run.env.earlierEventsAfter;
  if (after === null || event.receivedAt <= after) return false;
  return run.env.identifierPath === null || identifierOf(event, run.env.identifierPath, readPath) === run.instance.identifier;
}

/** Adds a matched event to the context, truncated to its identity if the context would exceed its limit. */
export function addToContext(run: Run, key: string, event: EventRecord): void {
  const limit = run.env.definition.settings?.maxContextBytes ?? 262_144;
  const size = Buffer.byteLength(JSON.stringify(run.instance.context)) + Buffer.byteLength(JSON.stringify(event.message));
  if (size <= limit) {
    run.instance.context[key] = event.message;
    return;
  }
  const { type, event: name, messageId, timestamp, userId, anonymousId } = event.message;
  run.instance.context[key] = { type, event: name, messageId, timestamp, userId, anonymousId, truncated: true };
  record(run, 'event_matched', { eventId: event.id, reason: `journey context limit of ${limit} bytes reached: '${key}' kept without its properties` });
}

/** Takes a branch: the event joins the context and the instance moves on. */
export function takeBranch(run: Run, step: HoldUntilStep, branch: HoldBranch, event: EventRecord, how: string): string {
  const key = contextAlias(event.name!, branch.id);
  addToContext(run, key, event);
  // A branch taken from the look-back window never waited: the step's waiting figure must not drop.
  const leftWait = run.instance.wait !== null;
  run.instance.consumedEventId = event.id;
  run.instance.wait = null;
  run.instance.wakeAt = null;
  record(run, 'event_matched', {
    stepId: step.id, eventId: event.id, reason: `${how} matched branch '${branch.id}'`,
    data: leftWait ? { branch: branch.id, contextKey: key, leftWait } : { branch: branch.id, contextKey: key },
  });
  return branch.next;
}

/**
 * Enters a hold-until step: an event the profile performed within the look-back that matches a
 * branch is taken at once; otherwise the instance waits until the timeout. An event from before
 * the trigger counts only when it is this instance's (see ownsEarlierEvent).
 */
export function enterHoldUntil(run: Run, step: HoldUntilStep): string | null {
  const { env, instance } = run;
  const lookback = durationMs(step.lookback ?? env.definition.settings?.lookback ?? 'PT5M');
  // From when a late timer was due (see RunEnv.waitsFrom): its look-back and timeout keep their places.
  const from = env.waitsFrom ?? env.now;
  const since = new Date(from - lookback).toISOString();
  for (const event of env.recentEvents) {
    if (event.id === instance.triggerEventId || event.receivedAt < since || event.id <= (instance.consumedEventId ?? '')) continue;
    if (event.id < instance.triggerEventId && !ownsEarlierEvent(run, event)) continue;
    const match = matchBranch(run, step, event);
    if (match && 'branch' in match) return takeBranch(run, step, match.branch, event, 'an event from the look-back window');
  }
  const until = addDuration(from, step.timeout.after);
  instance.wait = { kind: 'hold', since: from, until };
  instance.wakeAt = until;
  record(run, 'waiting', {
    reason: `waiting for ${step.branches.map((b) => b.event).join(' or ')} until ${new Date(until).toISOString()}`,
    data: { until: new Date(until).toISOString(), events: step.branches.map((b) => b.event) },
  });
  return null;
}
