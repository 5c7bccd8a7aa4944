import { readdirSync, readFileSync } from 'node:fs';

/** An invalid document and every problem (path and code) it must produce. */
export interface InvalidJourneyCase {
  name: string;
  document: unknown;
  problems: { path: string; code: string }[];
}

const FIXTURES = new URL('../../fixtures/journeys/', import.meta.url);
const EXAMPLES = new URL('../../../examples/journeys/', import.meta.url);

function readJsonFiles<T>(dir: URL): [string, T][] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => [file, JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as T]);
}

/** Documents that must have no problem: test/fixtures/journeys/valid and every example in examples/journeys. */
export function validJourneyDocuments(): [string, unknown][] {
  return [
    ...readJsonFiles<unknown>(new URL('valid/', FIXTURES)).map(([file, doc]): [string, unknown] => [`valid/${file}`, doc]),
    ...readJsonFiles<unknown>(EXAMPLES).map(([file, doc]): [string, unknown] => [`examples/journeys/${file}`, doc]),
  ];
}

/** Every case of test/fixtures/journeys/invalid, one per file. */
export function invalidJourneyCases(): [string, InvalidJourneyCase][] {
  return readJsonFiles<InvalidJourneyCase>(new URL('invalid/', FIXTURES));
}
