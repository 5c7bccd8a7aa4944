import type { JourneyDefinition } from './journey-definition.ts';

/** Context key under which a matched hold-until event is kept. */
export function contextAlias(event: string, branchId: string): string {
  return `${event} - ${branchId}`;
}

/** Every key the journey context of this document can hold: the entry event and each hold-until branch's alias. */
export function contextKeysOf(doc: JourneyDefinition): string[] {
  const keys = typeof doc.entry?.event === 'string' ? [doc.entry.event] : [];
  for (const step of Array.isArray(doc.steps) ? doc.steps : []) {
    if (step?.type !== 'hold_until' || !Array.isArray(step.branches)) continue;
    for (const branch of step.branches) if (branch && typeof branch.event === 'string') keys.push(contextAlias(branch.event, branch.id));
  }
  return keys;
}
