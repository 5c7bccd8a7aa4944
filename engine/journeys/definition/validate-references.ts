import type { JourneyDefinition } from './journey-definition.ts';
import { journeyProblem, type JourneyProblem } from './journey-problem.ts';
import { asObject } from './read-document.ts';

/** What publishing asks of the space: is an event in its catalog, does an audience exist. */
export interface JourneyReferenceLookups {
  eventInCatalog(name: string): Promise<boolean>;
  audienceExists(id: string): Promise<boolean>;
}

/**
 * The publish-time checks against the space (the document may have other problems: whatever
 * cannot be read is skipped, validateJourney reports it): the entry
 * event is in the event catalog, and every audience it names (entry filter, data split branches)
 * exists. Each distinct audience is looked up once; every place naming a missing one is reported.
 */
export async function validateJourneyReferences(doc: JourneyDefinition, lookups: JourneyReferenceLookups): Promise<JourneyProblem[]> {
  const audiences: Array<{ id: string; at: string }> = [];
  const root = (asObject(doc) ?? {}) as Partial<JourneyDefinition>;
  const entry = (asObject(root.entry) ?? {}) as Partial<JourneyDefinition['entry']>;
  if (typeof entry.audienceId === 'string') audiences.push({ id: entry.audienceId, at: '/entry/audienceId' });
  (Array.isArray(root.steps) ? root.steps : []).forEach((step, i) => {
    if (step?.type !== 'data_split' || !Array.isArray(step.branches)) return;
    step.branches.forEach((branch, j) => {
      (Array.isArray(branch?.audiences) ? branch.audiences : []).forEach((test, k) => {
        if (typeof test?.audienceId === 'string') audiences.push({ id: test.audienceId, at: `/steps/${i}/branches/${j}/audiences/${k}/audienceId` });
      });
    });
  });
  const distinct = [...new Set(audiences.map((a) => a.id))];
  const [eventKnown, ...exists] = await Promise.all([
    typeof entry.event === 'string' ? lookups.eventInCatalog(entry.event) : Promise.resolve(true),
    ...distinct.map((id) => lookups.audienceExists(id)),
  ]);
  const missing = new Set(distinct.filter((_, i) => exists[i] !== true));
  const problems: JourneyProblem[] = [];
  if (eventKnown !== true) {
    problems.push(
      journeyProblem('journey_event_not_in_catalog', '/entry/event', `entry event '${entry.event}' is not in the space's event catalog`, 'send it to the engine at least once, or check its spelling'),
    );
  }
  for (const { id, at } of audiences) {
    if (missing.has(id)) problems.push(journeyProblem('journey_unknown_audience', at, `audience '${id}' does not exist in this space`));
  }
  return problems;
}
