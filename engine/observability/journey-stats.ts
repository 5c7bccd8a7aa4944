import type { JourneyDefinition } from '../journeys/definition/journey-definition.ts';
import { HOUR_MS, type HourRange, type JourneyCounts } from '../store/journey-counters.ts';
import type { TimeRange } from './time-range.ts';

/** One step's figures: flows over the range, `waiting` now. */
export interface StepStats {
  reached: number;
  waiting: number;
  branches: Record<string, number>;
  sends: number;
  sendsSkipped: number;
}

/** A journey's figures, as `GET /api/v1/journeys/{id}/stats` answers them. */
export interface JourneyStats {
  journeyId: string;
  /** The hour-aligned range the flows cover (null: since the journey began / up to now). */
  from: string | null;
  to: string | null;
  entered: number;
  /** Now, whatever the range (as are `waiting` and `deliveries.retrying`). */
  active: number;
  completed: number;
  exited: number;
  /** Exits by cause: `rule:<id>`, `goal:<id>`, `archived`, `step_limit`, `missing_step`. */
  exitedBy: Record<string, number>;
  /** Instances that reached at least one goal. */
  converted: number;
  conversions: Record<string, { converted: number; rate: number | null }>;
  triggersIgnored: number;
  triggersIgnoredBy: Record<string, number>;
  eventsIgnored: number;
  steps: Record<string, StepStats>;
  deliveries: { sent: number; failed: number; retrying: number };
}

/** The hour buckets a time range covers: from rounded down, to rounded up, to whole hours (null: all time). */
export function hourRangeOf(range: TimeRange, now: number): HourRange | null {
  if (range.from === null && range.to === null) return null;
  return {
    fromHour: range.from === null ? Number.MIN_SAFE_INTEGER : Math.floor(range.from / HOUR_MS),
    toHour: Math.ceil((range.to ?? now + 1) / HOUR_MS),
  };
}

/**
 * A step counter key: `step:<step>:<what>` or `step:<step>:branch:<branch>`, the step written by
 * stepSegment (an exit rule's `exit:<rule>` as `exit/<rule>`). Keys written before that held the
 * colon (`step:exit:<rule>:sends`) are still read.
 */
function stepKey(key: string): { stepId: string; what: string; branch?: string } | null {
  const parts = key.slice('step:'.length).split(':');
  const stepId = (parts[0] ?? '').replaceAll('/', ':');
  if (stepId === '') return null;
  if (parts.length === 2) return { stepId, what: parts[1]! };
  if (parts.length === 3 && parts[1] === 'branch') return { stepId, what: 'branch', branch: parts[2]! };
  if (parts.length === 3 && parts[0] === 'exit') return { stepId: `exit:${parts[1]!}`, what: parts[2]! };
  return null;
}

/** Shapes a journey's counters into its figures; steps and goals of `definition` are listed even at zero. */
export function journeyStats(journeyId: string, counts: JourneyCounts, range: HourRange | null, definition: JourneyDefinition | null): JourneyStats {
  const { flows, gauges } = counts;
  const flow = (key: string) => flows[key] ?? 0;
  const stats: JourneyStats = {
    journeyId,
    from: range && range.fromHour !== Number.MIN_SAFE_INTEGER ? new Date(range.fromHour * HOUR_MS).toISOString() : null,
    to: range ? new Date(range.toHour * HOUR_MS).toISOString() : null,
    entered: flow('entered'),
    active: gauges['active'] ?? 0,
    completed: flow('completed'),
    exited: flow('exited'),
    exitedBy: {},
    converted: flow('converted'),
    conversions: {},
    triggersIgnored: flow('triggers_ignored'),
    triggersIgnoredBy: {},
    eventsIgnored: flow('events_ignored'),
    steps: {},
    deliveries: { sent: flow('deliveries:sent'), failed: flow('deliveries:failed'), retrying: gauges['deliveries:retrying'] ?? 0 },
  };
  const step = (id: string): StepStats => (stats.steps[id] ??= { reached: 0, waiting: 0, branches: {}, sends: 0, sendsSkipped: 0 });
  const goal = (id: string) => (stats.conversions[id] ??= { converted: 0, rate: null });
  for (const s of definition?.steps ?? []) step(s.id);
  for (const g of definition?.goals ?? []) goal(g.id);
  for (const [key, n] of Object.entries(flows)) {
    const [kind, id] = key.split(':');
    if (kind === 'exited' && id !== undefined) stats.exitedBy[key.slice('exited:'.length)] = n;
    else if (kind === 'converted' && id !== undefined) goal(id).converted = n;
    else if (kind === 'triggers_ignored' && id !== undefined) stats.triggersIgnoredBy[id] = n;
    else if (kind === 'step') {
      const parsed = stepKey(key);
      if (!parsed) continue;
      if (parsed.what === 'reached') step(parsed.stepId).reached = n;
      else if (parsed.what === 'sends') step(parsed.stepId).sends = n;
      else if (parsed.what === 'sends_skipped') step(parsed.stepId).sendsSkipped = n;
      else if (parsed.what === 'branch' && parsed.branch !== undefined) step(parsed.stepId).branches[parsed.branch] = n;
    }
  }
  for (const [key, n] of Object.entries(gauges)) {
    const parsed = key.startsWith('step:') ? stepKey(key) : null;
    if (parsed?.what === 'waiting') step(parsed.stepId).waiting = n;
  }
  for (const g of Object.values(stats.conversions)) {
    g.rate = stats.entered > 0 ? Math.round((g.converted / stats.entered) * 10_000) / 10_000 : null;
  }
  return stats;
}
