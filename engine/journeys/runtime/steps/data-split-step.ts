import type { DataSplitStep } from '../../definition/journey-definition.ts';
import { matcherFor } from '../../../conditions/cached-matcher.ts';
import { record, type Run } from '../run.ts';

/** Picks the first data-split branch whose conditions and audience tests hold, else "everyone else". */
export function enterDataSplit(run: Run, step: DataSplitStep): string {
  const subject = { traits: run.env.profile.traits, context: run.instance.context };
  for (const branch of step.branches) {
    const conditionsHold = matcherFor(branch.conditions)(subject);
    const audiencesHold = (branch.audiences ?? []).every((a) => run.env.audienceIds.has(a.audienceId) === a.member);
    if (conditionsHold && audiencesHold) {
      record(run, 'branch_chosen', { reason: `branch '${branch.id}': its conditions hold`, data: { branch: branch.id } });
      return branch.next;
    }
  }
  record(run, 'branch_chosen', { reason: 'everyone else: no branch matched', data: { branch: 'otherwise' } });
  return step.otherwise.next;
}
