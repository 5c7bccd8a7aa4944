import { journeyProblem, type JourneyProblem } from './journey-problem.ts';
import { asObject } from './read-document.ts';
import { schemaProblems } from './schema-problems.ts';
import { conditionProblems, overlapProblems } from './validate-condition-lists.ts';
import { duplicateIdProblems, graphProblems } from './validate-graph.ts';
import { identifierProblems, limitProblems, pathProblems, percentProblems, sendProblems } from './validate-rules.ts';
import { timingProblems } from './validate-timing.ts';

/**
 * Every problem in a journey document (not just the first), each with a JSON pointer, a stable
 * code (journey-problem.ts) and a message saying what is wrong and where. An empty list means the
 * document may be published, provided its references resolve (validate-references.ts).
 *
 * The JSON Schema checks shape; the semantic checks (graph, timing, identifiers, limits,
 * conditions, branch overlap) run as well, reading defensively, so that one report lists
 * everything. Each part of the document is judged by one of the two, never both.
 */
export function validateJourney(doc: unknown): JourneyProblem[] {
  const root = asObject(doc);
  if (root === undefined) return [journeyProblem('journey_schema', '', 'a journey document must be a JSON object')];
  return [
    ...schemaProblems(root),
    ...duplicateIdProblems(root),
    ...graphProblems(root),
    ...timingProblems(root),
    ...identifierProblems(root),
    ...pathProblems(root),
    ...limitProblems(root),
    ...percentProblems(root),
    ...sendProblems(root),
    ...conditionProblems(root),
    ...overlapProblems(root),
  ];
}
