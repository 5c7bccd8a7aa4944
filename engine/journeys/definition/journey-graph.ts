import { asObject, asString, objectsAt, type JsonObject } from './read-document.ts';

/** How a step leads to the next: its `next`, a branch, a hold-until timeout, or a data split's "everyone else". */
export type EdgeKind = 'next' | 'branch' | 'timeout' | 'otherwise';

/** One arrow of the journey graph, with the JSON pointer of the `next` that draws it. */
export interface StepEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  at: string;
}

const STEP_TYPES = new Set(['delay', 'hold_until', 'data_split', 'random_split', 'send', 'exit']);

/**
 * The arrows leaving a step (at `at`, e.g. `/steps/3`): `next`, `branches[].next`, `timeout.next`
 * and `otherwise.next` as its type has them. A step of unknown type (a schema problem) keeps
 * whichever are present, so the steps after it do not look unreachable too.
 */
export function stepEdges(step: JsonObject, at: string): StepEdge[] {
  const from = asString(step['id']);
  if (from === undefined) return [];
  const type = step['type'];
  const known = typeof type === 'string' && STEP_TYPES.has(type);
  const has = (...types: string[]): boolean => !known || types.includes(type);
  const edges: StepEdge[] = [];
  const add = (to: unknown, kind: EdgeKind, where: string): void => {
    if (typeof to === 'string') edges.push({ from, to, kind, at: where });
  };
  if (has('delay', 'send')) add(step['next'], 'next', `${at}/next`);
  if (has('hold_until', 'data_split', 'random_split')) {
    for (const { item, at: branchAt } of objectsAt(step['branches'], `${at}/branches`)) add(item['next'], 'branch', `${branchAt}/next`);
  }
  if (has('hold_until')) add(asObject(step['timeout'])?.['next'], 'timeout', `${at}/timeout/next`);
  if (has('data_split')) add(asObject(step['otherwise'])?.['next'], 'otherwise', `${at}/otherwise/next`);
  return edges;
}

/**
 * Whether an edge may close a loop: a branch of a hold_until step with `loop` (a return to the
 * step is counted and bounded by maxLoops, and the step waits each time). Its timeout is the way
 * out once the loops are used up, so the timeout must not lead back.
 */
export function isBoundedLoopEdge(step: JsonObject, edge: StepEdge): boolean {
  return step['type'] === 'hold_until' && asObject(step['loop']) !== undefined && edge.kind === 'branch';
}

/** The step ids reachable from `start` by following `edges` (including `start`). */
export function reachableFrom(start: string, edges: readonly StepEdge[]): Set<string> {
  const out = new Map<string, string[]>();
  for (const edge of edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge.to]);
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const to of out.get(queue.shift()!) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/** A cycle: the step ids on it in order (the first is repeated at the end) and the edge that closes it. */
export interface Cycle {
  stepIds: string[];
  closingEdge: StepEdge;
}

/**
 * The cycles a depth-first walk finds over `edges`, one per edge that leads back to a step still
 * on the walk's path (every cycle of the graph contains at least one such edge). Roots are taken
 * in `order` so the result is deterministic.
 */
export function findCycles(order: readonly string[], edges: readonly StepEdge[]): Cycle[] {
  const out = new Map<string, StepEdge[]>();
  for (const edge of edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge]);
  const state = new Map<string, 'active' | 'done'>();
  const cycles: Cycle[] = [];
  for (const root of order) {
    if (state.has(root)) continue;
    // Iterative DFS: each frame is a step and the index of its next outgoing edge to explore.
    const path: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    state.set(root, 'active');
    while (path.length > 0) {
      const frame = path[path.length - 1]!;
      const edge = (out.get(frame.id) ?? [])[frame.next];
      if (edge === undefined) {
        state.set(frame.id, 'done');
        path.pop();
        continue;
      }
      frame.next += 1;
      const seen = state.get(edge.to);
      if (seen === 'active') {
        const from = path.findIndex((f) => f.id === edge.to);
        cycles.push({ stepIds: [...path.slice(from).map((f) => f.id), edge.to], closingEdge: edge });
      } else if (seen === undefined && out.has(edge.to)) {
        state.set(edge.to, 'active');
        path.push({ id: edge.to, next: 0 });
      }
    }
  }
  return cycles;
}
