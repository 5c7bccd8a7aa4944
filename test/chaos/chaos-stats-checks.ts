/**
 * Invariant 5: a journey's figures (`GET /api/v1/journeys/{id}/stats`, counters kept in the same
 * writes as the records) agree with the records themselves: entered = instances, completed and
 * exited (by cause) = the instances' end records, converted, ignored triggers (by check) and
 * ignored events, per step reached, branches and sends, and deliveries sent/failed = the
 * deliveries delivered/failed; with everything drained, nothing is active, waiting or retrying.
 */
import type { JourneyStats, StepStats } from '../../engine/observability/journey-stats.ts';
import { dataText, type JourneyIndex } from './chaos-journey-index.ts';
import type { Violations } from './chaos-violations.ts';

/** A journey's figures as its records and deliveries say they must be. */
function expectedStats(index: JourneyIndex): Omit<JourneyStats, 'journeyId' | 'from' | 'to' | 'conversions'> {
  const { instances, activity, deliveries } = index.facts;
  const stats = {
    entered: 0, active: instances.filter((i) => i.status === 'active').length, completed: 0, exited: 0,
    exitedBy: {} as Record<string, number>, converted: instances.filter((i) => Object.keys(i.conversions).length > 0).length,
    triggersIgnored: 0, triggersIgnoredBy: {} as Record<string, number>, eventsIgnored: 0, steps: {} as Record<string, StepStats>,
    deliveries: {
      sent: deliveries.filter((d) => d.status === 'delivered').length,
      failed: deliveries.filter((d) => d.status === 'failed').length,
      retrying: deliveries.filter((d) => d.status === 'retrying').length,
    },
  };
  const step = (id: string) => (stats.steps[id] ??= { reached: 0, waiting: 0, branches: {}, sends: 0, sendsSkipped: 0 });
  const bump = (map: Record<string, number>, key: string) => { map[key] = (map[key] ?? 0) + 1; };
  for (const a of activity) {
    const branch = dataText(a, 'branch');
    switch (a.type) {
      case 'entered': stats.entered++; break;
      case 'completed': stats.completed++; break;
      case 'exited': stats.exited++; bump(stats.exitedBy, dataText(a, 'cause') ?? '?'); break;
      case 'trigger_ignored': stats.triggersIgnored++; bump(stats.triggersIgnoredBy, dataText(a, 'check') ?? '?'); break;
      case 'event_ignored': stats.eventsIgnored++; break;
      case 'step_reached': if (a.stepId) step(a.stepId).reached++; break;
      case 'send_recorded': if (a.stepId) step(a.stepId).sends++; break;
      case 'send_skipped': if (a.stepId) step(a.stepId).sendsSkipped++; break;
      case 'timed_out': if (a.stepId) bump(step(a.stepId).branches, 'timeout'); break;
      case 'event_matched': case 'branch_chosen': if (a.stepId && branch) bump(step(a.stepId).branches, branch); break;
      default: break;
    }
  }
  for (const i of instances) if (i.status === 'active' && i.currentStep && i.waiting) step(i.currentStep).waiting++;
  return stats;
}

/** Checks one journey's figures against its records. */
export function checkStats(index: JourneyIndex, v: Violations): void {
  const journey = index.facts.key;
  const actual = index.facts.stats;
  const expected = expectedStats(index);
  const compare = (what: string, got: number | undefined, want: number) => {
    if ((got ?? 0) !== want) v.add('stats.mismatch', `${journey}: ${what} is ${got ?? 0} in the figures, ${want} in the records`);
  };
  compare('entered', actual.entered, expected.entered);
  compare('entered (instances listed)', actual.entered, index.facts.instances.length);
  compare('active', actual.active, expected.active);
  compare('completed', actual.completed, expected.completed);
  compare('exited', actual.exited, expected.exited);
  compare('converted', actual.converted, expected.converted);
  compare('triggersIgnored', actual.triggersIgnored, expected.triggersIgnored);
  compare('eventsIgnored', actual.eventsIgnored, expected.eventsIgnored);
  compare('deliveries.sent', actual.deliveries.sent, expected.deliveries.sent);
  compare('deliveries.failed', actual.deliveries.failed, expected.deliveries.failed);
  compare('deliveries.retrying', actual.deliveries.retrying, expected.deliveries.retrying);
  for (const cause of keysOf(actual.exitedBy, expected.exitedBy)) compare(`exitedBy.${cause}`, actual.exitedBy[cause], expected.exitedBy[cause] ?? 0);
  for (const check of keysOf(actual.triggersIgnoredBy, expected.triggersIgnoredBy)) compare(`triggersIgnoredBy.${check}`, actual.triggersIgnoredBy[check], expected.triggersIgnoredBy[check] ?? 0);
  // Exit-rule sends count under the pseudo step `exit:<rule>` (its own entry in `steps`).
  for (const id of keysOf(actual.steps, expected.steps)) {
    const got = actual.steps[id];
    const want = expected.steps[id] ?? { reached: 0, waiting: 0, branches: {}, sends: 0, sendsSkipped: 0 };
    compare(`steps.${id}.reached`, got?.reached, want.reached);
    compare(`steps.${id}.waiting`, got?.waiting, want.waiting);
    compare(`steps.${id}.sends`, got?.sends, want.sends);
    compare(`steps.${id}.sendsSkipped`, got?.sendsSkipped, want.sendsSkipped);
    for (const branch of keysOf(got?.branches ?? {}, want.branches)) compare(`steps.${id}.branches.${branch}`, got?.branches[branch], want.branches[branch] ?? 0);
  }
}

function keysOf(...maps: Array<Record<string, unknown>>): string[] {
  return [...new Set(maps.flatMap((m) => Object.keys(m)))];
}
