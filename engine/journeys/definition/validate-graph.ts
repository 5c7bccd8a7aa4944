import { findCycles, isBoundedLoopEdge, reachableFrom, stepEdges, type StepEdge } from './journey-graph.ts';
import { journeyProblem, type JourneyProblem } from './journey-problem.ts';
import { asString, objectsAt, sendSpecsOf, type JsonObject } from './read-document.ts';

/** Ids used twice: step ids, branch ids within a step, exit rule ids, goal ids and activation keys. */
export function duplicateIdProblems(doc: JsonObject): JourneyProblem[] {
  const steps = objectsAt(doc['steps'], '/steps');
  const problems = duplicates('step id', steps.map(({ item, at }) => ({ value: item['id'], at: `${at}/id` })));
  for (const { item, at } of steps) {
    const branches = objectsAt(item['branches'], `${at}/branches`);
    problems.push(...duplicates(`branch id in ${at}`, branches.map((b) => ({ value: b.item['id'], at: `${b.at}/id` }))));
  }
  const exitRules = objectsAt(doc['exitRules'], '/exitRules');
  problems.push(...duplicates('exit rule id', exitRules.map(({ item, at }) => ({ value: item['id'], at: `${at}/id` }))));
  const goals = objectsAt(doc['goals'], '/goals');
  problems.push(...duplicates('goal id', goals.map(({ item, at }) => ({ value: item['id'], at: `${at}/id` }))));
  const keys = sendSpecsOf(doc).map(({ spec, at }) => ({ value: spec['activationKey'], at: `${at}/activationKey` }));
  problems.push(...duplicates('activation key', keys));
  return problems;
}

function duplicates(what: string, entries: Array<{ value: unknown; at: string }>): JourneyProblem[] {
  const first = new Map<string, string>();
  const problems: JourneyProblem[] = [];
  for (const { value, at } of entries) {
    if (typeof value !== 'string') continue;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, at);
    else problems.push(journeyProblem('journey_duplicate_id', at, `${what} '${value}' is already used`, `first used at ${earlier}`));
  }
  return problems;
}

/**
 * The graph rules: `start` and every `next` name a step, every step is reachable from `start`,
 * and no cycle avoids the branches of a hold_until step with `loop` (see isBoundedLoopEdge).
 */
export function graphProblems(doc: JsonObject): JourneyProblem[] {
  const steps = objectsAt(doc['steps'], '/steps');
  const byId = new Map<string, { step: JsonObject; at: string }>();
  const duplicated = new Set<string>();
  for (const { item, at } of steps) {
    const id = asString(item['id']);
    if (id === undefined) continue;
    if (byId.has(id)) duplicated.add(at);
    else byId.set(id, { step: item, at });
  }
  const problems: JourneyProblem[] = [];
  const start = asString(doc['start']);
  if (start !== undefined && !byId.has(start)) {
    problems.push(journeyProblem('journey_unknown_step', '/start', `start names no step: '${start}'`, knownIds(byId)));
  }
  const edges: StepEdge[] = [];
  for (const { item, at } of steps) {
    for (const edge of stepEdges(item, at)) {
      // A step whose id is taken (reported above) is not part of the graph, but its links are still checked.
      if (byId.has(edge.to)) {
        if (!duplicated.has(at)) edges.push(edge);
      } else problems.push(journeyProblem('journey_unknown_step', edge.at, `next names no step: '${edge.to}'`, knownIds(byId)));
    }
  }
  if (start !== undefined && byId.has(start)) {
    const reached = reachableFrom(start, edges);
    for (const [id, { at }] of byId) {
      if (!reached.has(id)) problems.push(journeyProblem('journey_unreachable_step', at, `step '${id}' cannot be reached from start '${start}'`));
    }
  }
  const unbounded = edges.filter((edge) => !isBoundedLoopEdge(byId.get(edge.from)!.step, edge));
  for (const { stepIds, closingEdge } of findCycles([...byId.keys()], unbounded)) {
    problems.push(
      journeyProblem(
        'journey_cycle',
        closingEdge.at,
        `steps ${stepIds.join(' → ')} form a cycle`,
        'a path may lead back to a step only through a branch of a hold_until step with loop: { maxLoops }',
      ),
    );
  }
  return problems;
}

function knownIds(byId: Map<string, unknown>): string {
  const ids = [...byId.keys()];
  if (ids.length === 0) return 'there are no steps';
  return `steps are ${ids.slice(0, 20).map((id) => `'${id}'`).join(', ')}${ids.length > 20 ? ', …' : ''}`;
}
