/**
 * Journey documents for the property suites: the examples of examples/journeys/ mutated by up to
 * six random edits (steps dropped, duplicated or retyped, dangling or cyclic `next`s, weird ids,
 * huge numbers, bad durations, random conditions, odd sends and targets, any node replaced or
 * removed), and defect injections whose problem is known in advance.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { adversarialJson, adversarialKey, adversarialNumber, adversarialScalar, adversarialString, conditionList, conditionPath, objectFromEntries } from './arbitraries.ts';
import { mapping } from './mapping-arbitraries.ts';

/** A journey document as JSON. */
export type JsonObject = Record<string, unknown>;

const examplesDir = new URL('../../examples/journeys/', import.meta.url);

/** The example journeys, each valid: the starting points of every mutation. */
export const EXAMPLE_JOURNEYS: readonly JsonObject[] = readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, examplesDir), 'utf8')) as JsonObject);

/** Stand-in a test replaces with the id of a real destination of its space. */
export const DESTINATION_PLACEHOLDER = '~~destination~~';
/** Stand-in a test replaces with the id of a real, deployed function of its space. */
export const FUNCTION_PLACEHOLDER = '~~function~~';

const STEP_TYPES = ['delay', 'hold_until', 'data_split', 'random_split', 'send', 'exit'];

/** Every node of a document: where it is (pointer segments), its parent and its key. */
interface Node {
  path: Array<string | number>;
  parent: JsonObject | unknown[];
  key: string | number;
}

function nodesOf(value: unknown, path: Array<string | number> = [], out: Node[] = []): Node[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => { out.push({ path: [...path, i], parent: value, key: i }); nodesOf(item, [...path, i], out); });
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) { out.push({ path: [...path, key], parent: value as JsonObject, key }); nodesOf(item, [...path, key], out); }
  }
  return out;
}

function set(node: Node, value: unknown): void {
  if (Array.isArray(node.parent)) node.parent[node.key as number] = value;
  else Object.defineProperty(node.parent, node.key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pick<T>(items: readonly T[], n: number): T | undefined {
  return items.length === 0 ? undefined : items[n % items.length];
}

function stepsOf(doc: JsonObject): JsonObject[] {
  return Array.isArray(doc['steps']) ? (doc['steps'] as unknown[]).filter(isObject) : [];
}

function sendsOf(doc: JsonObject): JsonObject[] {
  const rules = Array.isArray(doc['exitRules']) ? (doc['exitRules'] as unknown[]) : [];
  const fromRules = rules.flatMap((r) => (isObject(r) && isObject(r['send']) ? [r['send']] : []));
  return [...stepsOf(doc).filter((s) => s['type'] === 'send'), ...fromRules];
}

const KEYED = (keys: readonly string[]) => (doc: JsonObject) => nodesOf(doc).filter((n) => keys.includes(String(n.key)));

const duration = fc.oneof(
  fc.constantFrom('PT1H', 'P1D', 'PT0S', 'PT0.5S', '-PT1H', 'P3Y', 'P2Y', 'P730D', 'PT1S', 'P', 'PT', 'P1.5D', 'PT999999999H', 'P1DT', '1h', 'pt1h', 'P-1D', ''),
  adversarialScalar,
);

const target = fc.oneof(
  fc.constant(null),
  fc.record({ type: fc.constant('destination'), destinationId: fc.oneof(fc.constant(DESTINATION_PLACEHOLDER), adversarialScalar), action: fc.oneof(fc.constantFrom('send', 'nope', 'toString', '__proto__', 'constructor'), adversarialScalar) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('function'), functionId: fc.oneof(fc.constant(FUNCTION_PLACEHOLDER), adversarialScalar) }, { requiredKeys: ['type'] }),
  adversarialJson({ maxDepth: 1 }),
);

/** One random edit of a document; `n` and `m` choose where. */
type Edit = (doc: JsonObject, n: number, m: number) => void;

/**
 * An edit that puts a generated value into the document. The value is copied first: fast-check
 * reuses generated values while shrinking, and later edits change the document in place.
 */
function edit<T>(values: fc.Arbitrary<T>, apply: (doc: JsonObject, value: T, n: number, m: number) => void): fc.Arbitrary<Edit> {
  return values.map((value) => (doc, n, m) => apply(doc, structuredClone(value), n, m));
}

const edits: Array<fc.Arbitrary<Edit>> = [
  fc.constant<Edit>((doc, n) => { const steps = doc['steps']; if (Array.isArray(steps) && steps.length > 0) steps.splice(n % steps.length, 1); }),
  fc.constant<Edit>((doc, n) => { const steps = doc['steps']; if (Array.isArray(steps) && steps.length > 0) steps.push(structuredClone(steps[n % steps.length])); }),
  edit(fc.oneof(fc.constantFrom(...STEP_TYPES), adversarialScalar), (doc, type, n) => { const step = pick(stepsOf(doc), n); if (step) step['type'] = type; }),
  edit(fc.oneof(fc.constantFrom('nowhere', ''), adversarialScalar), (doc, to, n, m) => {
    const node = pick(KEYED(['next', 'start'])(doc), n);
    const ids = stepsOf(doc).map((s) => s['id']);
    if (node) set(node, m % 3 === 0 ? to : pick(ids, m) ?? to); // another step (often an earlier one: a cycle), itself, or nowhere
  }),
  edit(fc.oneof(adversarialString, fc.constantFrom('a'.repeat(65), '', 'ok-id', 'has space', 'ü')), (doc, id, n) => { const step = pick(stepsOf(doc), n); if (step) step['id'] = id; }),
  edit(adversarialNumber, (doc, value, n, m) => {
    const node = pick(KEYED(['percent', 'maxLoops', 'maxContextBytes', 'maxActiveInstancesPerProfile'])(doc), n);
    if (node) set(node, value);
    else doc['settings'] = objectFromEntries([[pick(['maxContextBytes', 'maxActiveInstancesPerProfile'], m)!, value]]);
  }),
  edit(duration, (doc, value, n) => { const node = pick(KEYED(['duration', 'after', 'lookback', 'within', 'offset'])(doc), n); if (node) set(node, value); }),
  edit(conditionList, (doc, list, n) => {
    const node = pick(KEYED(['conditions'])(doc), n);
    if (node) set(node, list);
    else if (isObject(doc['entry'])) doc['entry']['conditions'] = list;
  }),
  edit(adversarialJson({ maxDepth: 2 }), (doc, value, n) => { const node = pick(nodesOf(doc), n); if (node) set(node, value); }),
  fc.constant<Edit>((doc, n) => {
    const node = pick(nodesOf(doc), n);
    if (node && Array.isArray(node.parent)) node.parent.splice(node.key as number, 1);
    else if (node) delete (node.parent as JsonObject)[node.key as string];
  }),
  edit(fc.tuple(adversarialKey, adversarialJson({ maxDepth: 1 })), (doc, [key, value], n) => {
    const objects = [{ path: [], parent: doc, key: '' } as Node, ...nodesOf(doc)].map((node) => (node.path.length === 0 ? doc : (node.parent as JsonObject)[node.key as string]))
      .filter(isObject);
    const target = pick(objects, n);
    if (target) Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }),
  edit(fc.record({ target, mapping, activationKey: fc.oneof(fc.constantFrom('dup-key-1', 'ab', 'x'.repeat(65)), adversarialScalar), payload: adversarialJson({ maxDepth: 2 }), enabled: adversarialScalar }, { requiredKeys: [] }),
    (doc, changes, n) => { const send = pick(sendsOf(doc), n); if (send) Object.assign(send, changes); }),
    
  edit(fc.record({
    whoEnters: fc.oneof(fc.constant({ type: 'performer' }), conditionPath.map((path) => ({ type: 'property', path })), adversarialJson({ maxDepth: 1 })),
    availability: fc.oneof(fc.record({ type: fc.constant('window'), startDate: fc.oneof(fc.constantFrom('2025-01-01', '2025-02-30', '2030-12-31', '9999-12-31', '0000-01-01'), adversarialScalar), endDate: fc.constantFrom('2025-01-01', '2030-12-31', '2024-13-01'), timezone: fc.oneof(fc.constantFrom('Europe/Berlin', 'UTC', '+01:00', 'Mars/Base', 'utc', 'Etc/GMT+14'), adversarialScalar) }), adversarialJson({ maxDepth: 1 })),
    reentry: fc.oneof(fc.constantFrom({ mode: 'once' }, { mode: 'one_active' }), conditionPath.map((identifier) => ({ mode: 'multiple_active', identifier })), adversarialJson({ maxDepth: 1 })),
  }, { requiredKeys: [] }), (doc, changes) => { if (isObject(doc['entry'])) Object.assign(doc['entry'], changes); }),
  edit(fc.oneof(
    fc.record({ type: fc.constant('time_of_day'), time: fc.constantFrom('09:00', '24:00', '9:00', '23:59', ''), weekdays: fc.array(fc.constantFrom('mon', 'tue', 'sun', 'funday'), { maxLength: 4 }), timezone: fc.constantFrom('Europe/Berlin', 'Nowhere/City', '') }),
    fc.record({ type: fc.constant('property'), path: conditionPath, offset: duration }),
  ), (doc, wait, n) => { const step = pick(stepsOf(doc).filter((s) => s['type'] === 'delay'), n); if (step) step['wait'] = wait; }),
  edit(adversarialNumber, (doc, maxLoops, n) => {
    const step = pick(stepsOf(doc).filter((s) => s['type'] === 'hold_until'), n);
    if (!step) return;
    step['loop'] = { maxLoops };
    if (Array.isArray(step['branches']) && isObject(step['branches'][0])) step['branches'][0]['next'] = step['id'];
  }),
];

const anyEdit = fc.tuple(fc.oneof(...edits), fc.nat(), fc.nat());

/** A document: an example with up to six edits, or (rarely) any JSON at all. */
export const journeyDocument: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.constantFrom(...EXAMPLE_JOURNEYS), fc.array(anyEdit, { maxLength: 6 })).map(([base, applied]) => {
    const doc = structuredClone(base);
    for (const [apply, n, m] of applied) apply(doc, n, m);
    return doc;
  }) },
  { weight: 1, arbitrary: adversarialJson({ maxDepth: 3 }) },
);

/** A defect whose problem is known: the document gets it, and validation must report `code` at `path`. */
export interface InjectedDefect {
  code: string;
  path: string;
}

/**
 * Injects one defect with a known problem into `doc` at a place chosen by `n`, away from the
 * defects already injected; answers the expected problem, or none when there is no such place.
 */
type Injector = (doc: JsonObject, n: number, earlier: readonly InjectedDefect[]) => InjectedDefect | undefined;

const pointer = (path: ReadonlyArray<string | number>) => path.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/** A step of unknown type is judged by the schema alone, so it goes last, on a step holding no other defect. */
const unknownStepType: Injector = (doc, n, earlier) => {
  const steps = doc['steps'] as JsonObject[];
  const i = steps.map((_, k) => (n + k) % steps.length).find((k) => !earlier.some((d) => d.path.startsWith(`/steps/${k}/`)));
  if (i === undefined) return undefined;
  steps[i]!['type'] = 'teleport';
  return { code: 'journey_schema', path: `/steps/${i}/type` };
};

const injectors: Injector[] = [
  (doc, n) => {
    const node = pick(KEYED(['duration', 'after', 'within'])(doc), n);
    if (!node) return undefined;
    set(node, 'P1.5D');
    return { code: 'journey_invalid_duration', path: pointer(node.path) };
  },
  (doc, n) => {
    const node = pick(nodesOf(doc).filter((x) => x.key === 'next'), n);
    if (!node) return undefined;
    set(node, `nowhere-${n}`);
    return { code: 'journey_unknown_step', path: pointer(node.path) };
  },
  unknownStepType,
  (doc) => {
    const entry = doc['entry'] as JsonObject;
    entry['conditions'] = [...((entry['conditions'] as unknown[] | undefined) ?? []), { path: 'a[', operator: 'equals', value: 1 }];
    return { code: 'condition_invalid_path', path: `/entry/conditions/${(entry['conditions'] as unknown[]).length - 1}/path` };
  },
  (doc, n) => {
    const steps = doc['steps'] as JsonObject[];
    const i = n % steps.length;
    steps[i]!['surprise'] = true;
    return { code: 'journey_schema', path: `/steps/${i}/surprise` };
  },
  (doc) => {
    (doc['entry'] as JsonObject)['availability'] = { type: 'window', startDate: '2025-02-30', endDate: '2025-03-01', timezone: 'Europe/Berlin' };
    return { code: 'journey_invalid_date', path: '/entry/availability/startDate' };
  },
];

/** An example with one to four defects injected (each at its own place), and the problems they must cause. */
export const documentWithDefects: fc.Arbitrary<{ doc: JsonObject; expected: InjectedDefect[] }> = fc.tuple(
  fc.constantFrom(...EXAMPLE_JOURNEYS), fc.uniqueArray(fc.nat({ max: injectors.length - 1 }), { minLength: 1, maxLength: 4 }), fc.nat(),
).map(([base, chosen, n]) => {
  const doc = structuredClone(base) as JsonObject;
  const expected: InjectedDefect[] = [];
  const last = (i: number) => Number(injectors[i] === unknownStepType);
  for (const i of [...chosen].sort((a, b) => last(a) - last(b))) {
    const defect = injectors[i]!(doc, n, expected);
    if (defect) expected.push(defect);
  }
  return { doc, expected };
});
