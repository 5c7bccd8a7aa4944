import fc from 'fast-check';
import { expect } from 'chai';
import type { InputField } from '../../destinations/actions-core.ts';
import { webhookPlugin } from '../../destinations/builtin/webhook/webhook-destination.ts';
import { formApiPlugin } from '../../destinations/builtin/form-api/form-api-destination.ts';
import { checkDirectives } from '../../mappings/check-directives.ts';
import { mapEvent } from '../../mappings/map-event.ts';
import { withActionDefaults } from '../../mappings/mapping-defaults.ts';
import { MAPPING_PROBLEM_CODES } from '../../mappings/mapping-problem.ts';
import { SEND_EVENT_ROOTS } from '../../mappings/send-event.ts';
import { validateMapping } from '../../mappings/validate-mapping.ts';
import { asReceived } from './arbitraries.ts';
import { mapping, mappingValue, sendEvent } from './mapping-arbitraries.ts';
import { checkProperty } from './property-harness.ts';

/** The fields of the built-in plugins' actions: what send-step mappings are checked against. */
const ACTIONS: Array<{ name: string; fields: Record<string, InputField> }> = [
  { name: 'webhook send', fields: webhookPlugin.definition.actions['send']!.fields },
  { name: 'form-api submit', fields: formApiPlugin.definition.actions['submit']!.fields },
];
const action = fc.constantFrom(...ACTIONS);
const scope = { roots: SEND_EVENT_ROOTS, contextKeys: ['checkout_started', 'sms_replied - yes'] };
const CODES = Object.keys(MAPPING_PROBLEM_CODES);

/**
 * Whether a `@path` or `@template` takes a directive as its argument (a dynamic path): whether that
 * yields a string depends on the event, so only such mappings may validate and still fail on one.
 */
function hasDynamicStringArgument(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasDynamicStringArgument);
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  if (['@path', '@template'].some((name) => Object.hasOwn(record, name) && typeof record[name] === 'object')) return true;
  return Object.values(record).some(hasDynamicStringArgument);
}

describe('property: send-step mappings', function () {
  this.timeout(60_000);

  it('validates any mapping without throwing, each problem with a known code at a path under the mapping', async () => {
    const property = fc.property(action, mapping, fc.constantFrom('/steps/2/mapping', 'steps[2].mapping'), ({ fields }, generated, basePath) => {
      const problems = validateMapping(fields, asReceived(generated) as Record<string, unknown>, { basePath, scope });
      for (const p of problems) {
        expect(CODES).to.include(p.code);
        expect(p.path.startsWith(basePath), p.path).to.equal(true);
        expect(p.message).to.be.a('string').and.not.equal('');
      }
    });
    await checkProperty('mappings: validateMapping never throws', property, { seed: 6101, numRuns: 3000 });
  });

  it('checks directives in any value without throwing', async () => {
    const property = fc.property(mappingValue, (generated) => {
      const problems = checkDirectives(asReceived(generated), '/mapping/x', scope);
      for (const p of problems) expect(['invalid_directive', 'unknown_path']).to.include(p.code);
    });
    await checkProperty('mappings: checkDirectives never throws', property, { seed: 6102, numRuns: 3000 });
  });

  it('applies any mapping to any event: a payload, or problems with known codes (never a throw)', async () => {
    const property = fc.property(action, mapping, sendEvent, ({ fields }, generatedMapping, generatedEvent) => {
      const result = mapEvent(fields, asReceived(generatedMapping) as Record<string, unknown>, asReceived(generatedEvent) as Record<string, unknown>);
      if (result.ok) {
        expect(result.payload).to.be.an('object');
        expect(() => JSON.stringify(result.payload)).not.to.throw();
      } else {
        expect(result.problems).to.not.be.empty;
        for (const p of result.problems) expect(['transform_failed', 'required_value_missing', 'value_invalid']).to.include(p.code);
      }
    });
    await checkProperty('mappings: mapEvent never throws', property, { seed: 6103, numRuns: 2000 });
  });

  it('applies a mapping that validated to any event without a transform failure (unless it has a dynamic path)', async () => {
    let validated = 0;
    const property = fc.property(action, mapping, fc.array(sendEvent, { minLength: 1, maxLength: 3 }), ({ fields }, generatedMapping, events) => {
      const m = withActionDefaults(fields, asReceived(generatedMapping) as Record<string, unknown>);
      if (validateMapping(fields, m, { basePath: '/mapping', scope }).length > 0 || hasDynamicStringArgument(m)) return;
      validated += 1;
      for (const event of events) {
        const result = mapEvent(fields, m, asReceived(event) as Record<string, unknown>, { basePath: '/mapping' });
        const failures = result.ok ? [] : result.problems.filter((p) => p.code === 'transform_failed');
        expect(failures, `${JSON.stringify(m)} on ${JSON.stringify(event)}`).to.deep.equal([]);
      }
    });
    await checkProperty('mappings: validated mappings apply', property, { seed: 6104, numRuns: 3000 });
    expect(validated, 'mappings that validated').to.be.greaterThan(200);
  });

  it('copies field defaults without overriding what the mapping sets', async () => {
    const property = fc.property(action, mapping, ({ fields }, generated) => {
      const m = asReceived(generated) as Record<string, unknown>;
      const withDefaults = withActionDefaults(fields, m);
      for (const key of Object.keys(m)) expect(withDefaults[key]).to.deep.equal(m[key]);
    });
    await checkProperty('mappings: defaults', property, { seed: 6105, numRuns: 1000 });
  });
});
