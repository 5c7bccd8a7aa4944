import type { EventRecord } from '../../store/event-store.ts';
import { addDuration } from '../definition/duration.ts';
import { matcherFor } from '../../conditions/cached-matcher.ts';
import { readPath } from '../../conditions/read-path.ts';
import { endInstance, identifierOf, record, type Run } from './run.ts';
import { recordSend } from './steps/send-step.ts';

/**
 * Journey-level rules an event can trigger wherever the instance is: conversion goals (within
 * their window from entry) and exit rules (even mid-delay), each matched on the identifier.
 */
export function applyJourneyRules(run: Run, event: EventRecord): void {
  const session = sessionOf(run, event);
  if (goals(run, event, false, session) === 'exited') return;

  for (const rule of run.env.definition.exitRules ?? []) {
    if (rule.event !== event.name) continue;
    const { identifier, otherInstance } = session();
    if (otherInstance && rule.matchIdentifier !== false) {
      record(run, 'event_ignored', { eventId: event.id, reason: `exit rule '${rule.id}': identifier ${identifier} is not this instance's` });
      continue;
    }
    if (!matcherFor(rule.conditions)(event.message)) {
      record(run, 'event_ignored', { eventId: event.id, reason: `exit rule '${rule.id}': conditions not met` });
      continue;
    }
    if (rule.send) recordSend(run, rule.send, `exit:${rule.id}`);
    endInstance(run, 'exited', `exit rule '${rule.id}' (${event.name})`, `rule:${rule.id}`, event.id);
    return;
  }
}

/**
 * Conversion goals an event reaches (within their window from entry, on the instance's
 * identifier). `ended`: the instance has completed or exited, and converts all the same while the
 * window is open (a purchase an hour after the nudge is what the goal is there to count); an event
 * that reaches none of an ended instance's goals is not recorded on it (it is not the instance's
 * business any more). Answers 'exited' when a goal ended the instance.
 */
export function applyGoals(run: Run, event: EventRecord, ended: boolean): 'exited' | null {
  return goals(run, event, ended, sessionOf(run, event));
}

type Session = () => { identifier: string | undefined; otherInstance: boolean };

/** The event's identifier value and whether it names another session than the instance's: read once, and only when a rule asks. */
function sessionOf(run: Run, event: EventRecord): Session {
  let known: ReturnType<Session> | null = null;
  return () => {
    if (known === null) {
      const identifier = identifierOf(event, run.env.identifierPath, readPath);
      known = { identifier, otherInstance: identifier !== undefined && identifier !== run.instance.identifier };
    }
    return known;
  };
}

function goals(run: Run, event: EventRecord, ended: boolean, session: Session): 'exited' | null {
  const ignore = (reason: string) => { if (!ended) record(run, 'event_ignored', { eventId: event.id, reason }); };
  for (const goal of run.env.definition.goals ?? []) {
    if (goal.event !== event.name || Object.hasOwn(run.instance.conversions, goal.id)) continue;
    const { identifier, otherInstance } = session();
    if (otherInstance) {
      ignore(`goal '${goal.id}': identifier ${identifier} is not this instance's`);
      continue;
    }
    const windowEnd = addDuration(Date.parse(run.instance.enteredAt), goal.within);
    if (Date.parse(event.receivedAt) > windowEnd) {
      ignore(`goal '${goal.id}': its window closed at ${new Date(windowEnd).toISOString()}`);
      continue;
    }
    if (!matcherFor(goal.conditions)(event.message)) {
      ignore(`goal '${goal.id}': conditions not met`);
      continue;
    }
    // `first`: the journey's "converted" figure counts instances, its per-goal figures count goals.
    const first = Object.keys(run.instance.conversions).length === 0;
    run.instance.conversions[goal.id] = run.nowIso;
    record(run, 'converted', {
      eventId: event.id, reason: `goal '${goal.id}' reached by ${event.name}${ended ? ` after the instance ${run.instance.status}` : ''}`,
      data: { goal: goal.id, first },
    });
    if (goal.exitOnConversion && !ended) {
      endInstance(run, 'exited', `converted on goal '${goal.id}'`, `goal:${goal.id}`, event.id);
      return 'exited';
    }
  }
  return null;
}
