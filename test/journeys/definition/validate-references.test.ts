import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import { validateJourneyReferences, type JourneyReferenceLookups } from '../../../engine/journeys/definition/validate-references.ts';

const everything = JSON.parse(
  readFileSync(new URL('../../fixtures/journeys/valid/everything.json', import.meta.url), 'utf8'),
) as JourneyDefinition;

/** Lookups answering from fixed sets, counting the questions asked. */
function fakeLookups(events: string[], audiences: string[]): JourneyReferenceLookups & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async eventInCatalog(name) {
      asked.push(`event ${name}`);
      return events.includes(name);
    },
    async audienceExists(id) {
      asked.push(`audience ${id}`);
      return audiences.includes(id);
    },
  };
}

describe('journeys: validateJourneyReferences', () => {
  it('finds nothing when the entry event is in the catalog and every audience exists', async () => {
    const lookups = fakeLookups(['Order Completed'], ['aud_customers', 'aud_vip', 'aud_churned']);
    expect(await validateJourneyReferences(everything, lookups)).to.deep.equal([]);
  });

  it('reports an entry event missing from the catalog at /entry/event', async () => {
    const problems = await validateJourneyReferences(everything, fakeLookups(['Order Placed'], ['aud_customers', 'aud_vip', 'aud_churned']));
    expect(problems).to.deep.equal([
      {
        path: '/entry/event',
        code: 'journey_event_not_in_catalog',
        message: "entry event 'Order Completed' is not in the space's event catalog at /entry/event; send it to the engine at least once, or check its spelling",
      },
    ]);
  });

  it('reports every place naming a missing audience, asking about each audience once', async () => {
    const doc = structuredClone(everything);
    const split = doc.steps[0];
    if (split?.type !== 'data_split') throw new Error('fixture changed: steps[0] is no longer a data split');
    split.branches[1]!.audiences!.push({ audienceId: 'aud_vip', member: true });
    const lookups = fakeLookups(['Order Completed'], ['aud_churned']);
    const problems = await validateJourneyReferences(doc, lookups);
    expect(problems.map(({ path, code }) => ({ path, code }))).to.deep.equal([
      { path: '/entry/audienceId', code: 'journey_unknown_audience' },
      { path: '/steps/0/branches/0/audiences/0/audienceId', code: 'journey_unknown_audience' },
      { path: '/steps/0/branches/1/audiences/1/audienceId', code: 'journey_unknown_audience' },
    ]);
    expect(problems[0]?.message).to.equal("audience 'aud_customers' does not exist in this space at /entry/audienceId");
    expect(lookups.asked.sort()).to.deep.equal(['audience aud_churned', 'audience aud_customers', 'audience aud_vip', 'event Order Completed']);
  });

  it('asks about no audience when the journey names none', async () => {
    const lookups = fakeLookups([], []);
    const doc: JourneyDefinition = { name: 'J', entry: { event: 'E', audienceId: null }, start: 'x', steps: [{ id: 'x', type: 'exit' }] };
    const problems = await validateJourneyReferences(doc, lookups);
    expect(problems.map((p) => p.code)).to.deep.equal(['journey_event_not_in_catalog']);
    expect(lookups.asked).to.deep.equal(['event E']);
  });

  it('reads a document that is not an object as one naming nothing (found by the property suite: null threw)', async () => {
    for (const doc of [null, 'journey', 42, [], { entry: null, steps: 'x' }]) {
      const lookups = fakeLookups([], []);
      expect(await validateJourneyReferences(doc as unknown as JourneyDefinition, lookups), JSON.stringify(doc)).to.deep.equal([]);
      expect(lookups.asked).to.deep.equal([]);
    }
  });
});
