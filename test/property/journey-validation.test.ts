import fc from 'fast-check';
import { expect } from 'chai';
import type { JourneyDefinition } from '../../engine/journeys/definition/journey-definition.ts';
import { withDefaults } from '../../engine/journeys/definition/journey-defaults.ts';
import { validateJourney } from '../../engine/journeys/definition/validate-journey.ts';
import { validateJourneyReferences } from '../../engine/journeys/definition/validate-references.ts';
import { asReceived } from './arbitraries.ts';
import { expectWellFormedProblems } from './journey-expectations.ts';
import { documentWithDefects, journeyDocument } from './journey-mutations.ts';
import { checkProperty } from './property-harness.ts';

describe('property: journey validation', function () {
  this.timeout(60_000);

  it('reports problems of any document without throwing, each a known code at a JSON pointer into the document', async () => {
    let valid = 0;
    const property = fc.asyncProperty(journeyDocument, fc.boolean(), async (generated, known) => {
      const doc = asReceived(generated);
      const problems = validateJourney(doc);
      expectWellFormedProblems(doc, problems);
      expect(validateJourney(structuredClone(doc)), 'deterministic').to.deep.equal(problems);
      // The publish-time checks run on invalid documents too.
      const references = await validateJourneyReferences(doc as JourneyDefinition, { eventInCatalog: async () => known, audienceExists: async () => known });
      expectWellFormedProblems(doc, references);
      if (problems.length === 0) valid += 1;
    });
    await checkProperty('journeys: validateJourney never throws', property, { seed: 7101, numRuns: 3000 });
    expect(valid, 'valid documents generated').to.be.greaterThan(200);
  });

  it('writes the defaults of a valid document out without making it invalid, idempotently', async () => {
    const property = fc.property(journeyDocument, (generated) => {
      const doc = asReceived(generated) as JourneyDefinition;
      if (validateJourney(doc).length > 0) return;
      const full = withDefaults(doc);
      expect(validateJourney(full), 'problems after withDefaults').to.deep.equal([]);
      expect(withDefaults(full)).to.deep.equal(full);
    });
    await checkProperty('journeys: withDefaults', property, { seed: 7102, numRuns: 3000 });
  });

  it('reports every injected defect at its path, whatever else is wrong', async () => {
    const property = fc.property(documentWithDefects, ({ doc, expected }) => {
      const problems = validateJourney(asReceived(doc));
      for (const defect of expected) {
        expect(problems.map((p) => ({ code: p.code, path: p.path })), JSON.stringify(problems)).to.deep.include(defect);
      }
    });
    await checkProperty('journeys: injected defects are all reported', property, { seed: 7103, numRuns: 2000 });
  });
});
