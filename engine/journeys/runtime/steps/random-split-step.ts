import { createHash } from 'node:crypto';
import type { RandomSplitStep } from '../../definition/journey-definition.ts';
import { record, type Run } from '../run.ts';

/** A stable number in [0, 100) for a profile at a step: the same branch on every entry. */
export function stickyRoll(profileId: string, journeyId: string, stepId: string): number {
  const digest = createHash('sha256').update(`${journeyId}\u0000${stepId}\u0000${profileId}`).digest();
  return (digest.readUInt32BE(0) / 0x1_0000_0000) * 100;
}

/** Picks a branch by percentage. */
export function enterRandomSplit(run: Run, step: RandomSplitStep): string {
  const roll = step.sticky ? stickyRoll(run.env.stickyKey ?? run.instance.profileId, run.env.journeyId, step.id) : run.env.random() * 100;
  let upTo = 0;
  for (const branch of step.branches) {
    upTo += branch.percent;
    if (roll < upTo) {
      record(run, 'branch_chosen', { reason: `branch '${branch.id}' (${branch.percent}%${step.sticky ? ', sticky' : ''})`, data: { branch: branch.id } });
      return branch.next;
    }
  }
  // Rounding can leave the roll just above the last bound: it belongs to the last branch.
  const last = step.branches[step.branches.length - 1]!;
  record(run, 'branch_chosen', { reason: `branch '${last.id}' (${last.percent}%)`, data: { branch: last.id } });
  return last.next;
}
