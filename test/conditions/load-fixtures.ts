import { readdirSync, readFileSync } from 'node:fs';

const FIXTURES = new URL('../fixtures/conditions/', import.meta.url);

/** One evaluation case: the conditions, a subject, and whether it matches. */
export interface EvaluateCase {
  name: string;
  subject: unknown;
  conditions: unknown[];
  expected: boolean;
}

/** One validation case: conditions and every problem (path and code) they must produce. */
export interface InvalidCase {
  name: string;
  basePath?: string;
  conditions: unknown;
  expected: { path: string; code: string }[];
  /** Whether the JSON Schema alone rejects it too (default true); path syntax and bound order are beyond a schema. */
  schemaDetects?: boolean;
}

/** Every fixture file in a folder, as [file name, cases]. */
export function loadFixtures<T>(folder: 'evaluate' | 'invalid'): [string, T[]][] {
  const dir = new URL(`${folder}/`, FIXTURES);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => [file, JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as T[]]);
}
