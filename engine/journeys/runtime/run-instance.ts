import type { Step } from '../definition/journey-definition.ts';
import type { EventRecord } from '../../store/event-store.ts';
import type { InstanceRecord, OutboxEntry } from '../../store/instance-store.ts';
import { beginRun, endInstance, MAX_TRANSITIONS_PER_RUN, record, type Run, type RunEnv } from './run.ts';
import { enterDelay } from './steps/delay-step.ts';
import { enterHoldUntil, matchBranch, takeBranch } from './steps/hold-until-step.ts';
import { enterDataSplit } from './steps/data-split-step.ts';
import { enterRandomSplit } from './steps/random-split-step.ts';
import { recordSend } from './steps/send-step.ts';
import { applyGoals, applyJourneyRules } from './journey-rules.ts';

/** What moves an instance: its creation, its timer, an event routed to it, or an archive. */
export type RunInput =
  | { kind: 'start' }
  | { kind: 'timer' }
  /** `late`: the event became visible after a newer one of the profile was applied (see EventProcessor). */
  | { kind: 'event'; event: EventRecord; late?: boolean }
  /** A goal event for an instance that has ended: it may still convert within the goal's window. */
  | { kind: 'goal'; event: EventRecord }
  /** The journey or its version was archived: the instance exits wherever it is. */
  | { kind: 'exit'; reason: string; /** What the exit counts under in the journey's figures (default `archived`). */ cause?: string };

/** The instance after a run and the effects to materialize (activities, deliveries). */
export interface RunResult {
  instance: InstanceRecord;
  effects: OutboxEntry[];
  /** False when the input changed nothing (nothing to write). */
  changed: boolean;
}

/**
 * Advances one instance: a pure function of (instance, input, environment). It executes steps
 * until the instance waits or ends, and returns the new instance with its effects; applying them
 * is the caller's job (journey-runtime.ts).
 */
export function runInstance(instance: InstanceRecord, input: RunInput, env: RunEnv): RunResult {
  const run = beginRun(instance, env);
  if (input.kind === 'goal') {
    if (instance.status === 'active') return unchanged(instance);
    applyGoals(run, input.event, true);
    // Nothing reached (an earlier conversion, another identifier, the window closed): no write.
    return run.effects.length === 0 ? unchanged(instance) : changedBy(run, instance);
  }
  if (instance.status !== 'active') return unchanged(instance);
  switch (input.kind) {
    case 'start':
      record(run, 'entered', { stepId: null, eventId: instance.triggerEventId, reason: `entered on ${env.definition.entry.event}` });
      goTo(run, env.definition.start, null);
      break;
    case 'timer': {
      const wait = run.instance.wait;
      if (!wait || run.instance.wakeAt === null || run.instance.wakeAt > env.now) return unchanged(instance);
      const step = run.steps.get(run.instance.stepId ?? '');
      if (!step) return unchanged(instance);
      run.instance.wait = null;
      run.instance.wakeAt = null;
      if (wait.kind === 'delay' && step.type === 'delay') {
        record(run, 'delay_over', { reason: 'delay over', data: { waitedUntil: new Date(wait.until).toISOString() } });
        goTo(run, step.next, step.id);
      } else if (wait.kind === 'hold' && step.type === 'hold_until') {
        record(run, 'timed_out', { reason: `no matching event by ${new Date(wait.until).toISOString()}` });
        goTo(run, step.timeout.next, step.id);
      }
      break;
    }
    case 'event': {
      const { event } = input;
      // An id at or below the last one applied is a replay after a crash, unless it arrived late.
      if (!input.late && run.instance.lastEventId !== null && event.id <= run.instance.lastEventId) return unchanged(instance);
      if (run.instance.lastEventId === null || event.id > run.instance.lastEventId) run.instance.lastEventId = event.id;
      applyJourneyRules(run, event);
      if (run.instance.status === 'active') matchHold(run, event);
      break;
    }
    case 'exit':
      endInstance(run, 'exited', input.reason, input.cause ?? 'archived');
      break;
    default: {
      const never: never = input;
      throw new Error(`unknown input ${JSON.stringify(never)}`);
    }
  }
  return changedBy(run, instance);
}

function changedBy(run: Run, instance: InstanceRecord): RunResult {
  run.instance.updatedAt = run.nowIso;
  run.instance.rev = instance.rev + 1;
  run.instance.outbox = run.effects;
  return { instance: run.instance, effects: run.effects, changed: true };
}

function unchanged(instance: InstanceRecord): RunResult {
  return { instance, effects: [], changed: false };
}

/** Offers an event to the hold-until step the instance waits at. */
function matchHold(run: Run, event: EventRecord): void {
  const step = run.steps.get(run.instance.stepId ?? '');
  if (!step || step.type !== 'hold_until' || run.instance.wait?.kind !== 'hold') return;
  const match = matchBranch(run, step, event);
  if (match === null) return;
  // Arrival decides, not processing: an event that came after the deadline leaves the timeout to fire.
  if (Date.parse(event.receivedAt) > run.instance.wait.until) {
    record(run, 'event_ignored', { eventId: event.id, reason: `arrived after the hold timed out at ${new Date(run.instance.wait.until).toISOString()}` });
    return;
  }
  if ('ignored' in match) {
    record(run, 'event_ignored', { eventId: event.id, reason: match.ignored });
    return;
  }
  goTo(run, takeBranch(run, step, match.branch, event, `${event.name}`), step.id);
}

/**
 * Moves to a step and executes steps until the instance waits or ends. Arriving again at a
 * looping hold-until step counts a loop; past its limit the instance leaves by the timeout path.
 */
export function goTo(run: Run, first: string, from: string | null): void {
  // null means "the instance now waits (or has ended)".
  let target: string | null = first;
  let previous = from;
  while (target !== null && run.instance.status === 'active') {
    if (++run.transitions > MAX_TRANSITIONS_PER_RUN) {
      endInstance(run, 'exited', `more than ${MAX_TRANSITIONS_PER_RUN} steps in one run`, 'step_limit');
      return;
    }
    const step = run.steps.get(target);
    if (!step) {
      endInstance(run, 'exited', `step '${target}' does not exist in version ${run.env.version}`, 'missing_step');
      return;
    }
    if (step.type === 'hold_until' && step.loop && previous !== null && Object.hasOwn(run.instance.loops, step.id)) {
      const loops = run.instance.loops[step.id]! + 1;
      run.instance.loops[step.id] = loops;
      run.instance.iteration += 1;
      if (loops > step.loop.maxLoops) {
        record(run, 'looped', { stepId: step.id, reason: `loop limit of ${step.loop.maxLoops} reached: leaving by the timeout path` });
        previous = step.id;
        target = step.timeout.next;
        continue;
      }
      record(run, 'looped', { stepId: step.id, reason: `back to the start of '${step.id}' (loop ${loops} of ${step.loop.maxLoops})` });
    } else if (step.type === 'hold_until' && step.loop && !Object.hasOwn(run.instance.loops, step.id)) {
      run.instance.loops[step.id] = 0;
    }
    run.instance.stepId = step.id;
    record(run, 'step_reached', { stepId: step.id, reason: previous === null ? 'start of the journey' : `from '${previous}'` });
    previous = step.id;
    target = executeStep(run, step);
  }
}

/** Executes one step: the next step's id, or null when the instance waits or ends. */
function executeStep(run: Run, step: Step): string | null {
  switch (step.type) {
    case 'delay':
      return enterDelay(run, step);
    case 'hold_until':
      return enterHoldUntil(run, step);
    case 'data_split':
      return enterDataSplit(run, step);
    case 'random_split':
      return enterRandomSplit(run, step);
    case 'send':
      recordSend(run, step, step.id);
      return step.next;
    case 'exit':
      endInstance(run, 'completed', `reached exit step '${step.id}'`, `exit_step:${step.id}`);
      return null;
    default: {
      const never: never = step;
      throw new Error(`unknown step type ${JSON.stringify(never)}`);
    }
  }
}
