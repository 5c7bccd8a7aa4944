/*
 * Defensive readers for semantic checks. Semantic checks run even when the schema found problems
 * (so that one report lists everything), so they read the document as unknown JSON and skip the
 * parts whose shape is wrong: the schema has already reported those.
 */

/** A JSON object read from an unknown value. */
export type JsonObject = Record<string, unknown>;

/** The value as a JSON object, or undefined if it is not one. */
export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** The value as a string, or undefined if it is not one. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value as a finite number, or undefined if it is not one. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The object elements of an array with their JSON pointers (`${base}/${index}`); none if it is not an array. */
export function objectsAt(value: unknown, base: string): Array<{ item: JsonObject; at: string; index: number }> {
  if (!Array.isArray(value)) return [];
  const out: Array<{ item: JsonObject; at: string; index: number }> = [];
  value.forEach((element: unknown, index) => {
    const item = asObject(element);
    if (item !== undefined) out.push({ item, at: `${base}/${index}`, index });
  });
  return out;
}

/** The length of an array, or 0 if it is not one. */
export function lengthOf(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/** The send specs of a document: send steps and exit-rule sends, with their pointers. */
export function sendSpecsOf(doc: JsonObject): Array<{ spec: JsonObject; at: string }> {
  const fromSteps = objectsAt(doc['steps'], '/steps')
    .filter(({ item }) => item['type'] === 'send')
    .map(({ item, at }) => ({ spec: item, at }));
  const fromExitRules = objectsAt(doc['exitRules'], '/exitRules').flatMap(({ item, at }) => {
    const spec = asObject(item['send']);
    return spec === undefined ? [] : [{ spec, at: `${at}/send` }];
  });
  return [...fromSteps, ...fromExitRules];
}
