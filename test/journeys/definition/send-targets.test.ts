import { expect } from 'chai';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import { validateSendTargets, withSendDefaults, type DestinationActions, type FunctionState } from '../../../engine/journeys/send-targets.ts';
import { webhookPlugin } from '../../../destinations/builtin/webhook/webhook-destination.ts';

const webhookActions = Object.fromEntries(Object.entries(webhookPlugin.definition.actions).map(([slug, a]) => [slug, a.fields]));

/** One destination, `dst_1`, with the built-in webhook's actions. */
const lookup: DestinationActions = async (id) => (id === 'dst_1' ? { name: 'Hooks', actions: webhookActions } : null);
/** Functions: `fn_live` is deployed, `fn_draft` is not. */
const functions: FunctionState = async (id) => (id === 'fn_live' ? 'deployed' : id === 'fn_draft' ? 'not_deployed' : null);

function journeyWith(sends: Array<Record<string, unknown>>): JourneyDefinition {
  return {
    name: 'Sends', entry: { event: 'checkout_started' }, start: 's0',
    steps: [
      ...sends.map((send, i) => ({ id: `s${i}`, type: 'send', eventName: 'Nudge', next: i + 1 < sends.length ? `s${i + 1}` : 'done', ...send })),
      { id: 'hold', type: 'hold_until', branches: [{ id: 'bought', event: 'purchase_completed', next: 'done' }], timeout: { after: 'PT1H', next: 'done' } },
      { id: 'done', type: 'exit' },
    ],
  } as unknown as JourneyDefinition;
}

describe('journeys: send targets', () => {
  it('accepts a send to a known destination action whose mapping fills every required field', async () => {
    const doc = journeyWith([{ target: { type: 'destination', destinationId: 'dst_1', action: 'send' }, mapping: { url: 'https://example.com/hook' } }]);
    expect(await validateSendTargets(doc, lookup, functions)).to.deep.equal([]);
  });

  it('needs nothing of a send without a target (recorded only)', async () => {
    expect(await validateSendTargets(journeyWith([{ target: null }]), lookup, functions)).to.deep.equal([]);
  });

  it('reports an unknown destination or action, an unknown or undeployed function and a bad directive, each at its path', async () => {
    const doc = journeyWith([
      { target: { type: 'destination', destinationId: 'dst_nope', action: 'send' } },
      { target: { type: 'destination', destinationId: 'dst_1', action: 'post' } },
      { target: { type: 'function', functionId: 'fn_1' } },
      { target: { type: 'function', functionId: 'fn_draft' } },
      { target: { type: 'function', functionId: 'fn_live' }, mapping: { email: { '@path': '$.context.traits.email' }, bad: { '@nope': 1 } } },
    ]);
    const problems = await validateSendTargets(doc, lookup, functions);
    expect(problems.map((p) => `${p.code} ${p.path}`)).to.deep.equal([
      'journey_unknown_destination /steps/0/target/destinationId',
      'journey_unknown_action /steps/1/target/action',
      'journey_unknown_function /steps/2/target/functionId',
      'journey_function_not_deployed /steps/3/target/functionId',
      'invalid_directive /steps/4/mapping/bad',
    ]);
    expect(problems[1]!.message).to.contain("has no action 'post'").and.to.contain('its actions: send');
  });

  it('reports every mapping problem with the step and field: unmapped required field, unknown field, bad path, unknown context name', async () => {
    const doc = journeyWith([{
      target: { type: 'destination', destinationId: 'dst_1', action: 'send' },
      mapping: {
        colour: 'blue',
        data: { '@path': '$.traits.email' },
        headers: { '@path': '$.properties.journey_context.checkout_finished.properties' },
      },
    }]);
    const found = (await validateSendTargets(doc, lookup, functions)).map((p) => `${p.code} ${p.path}`);
    expect(found).to.include('required_field_unmapped /steps/0/mapping/url');
    expect(found).to.include('unknown_field /steps/0/mapping/colour');
    expect(found.some((p) => p.startsWith('unknown_path /steps/0/mapping/data'))).to.equal(true);
    expect(found.some((p) => p.startsWith('unknown_path /steps/0/mapping/headers'))).to.equal(true);
  });

  it('accepts paths into the hold-until alias of the journey context', async () => {
    const doc = journeyWith([{
      target: { type: 'destination', destinationId: 'dst_1', action: 'send' },
      mapping: { url: 'https://example.com', data: { '@path': '$.properties.journey_context.purchase_completed - bought.properties' } },
    }]);
    expect(await validateSendTargets(doc, lookup, functions)).to.deep.equal([]);
  });

  it("copies the action's field defaults into the stored mapping, keeping what the author set", async () => {
    const doc = journeyWith([{ target: { type: 'destination', destinationId: 'dst_1', action: 'send' }, mapping: { url: 'https://example.com', method: 'PUT' } }]);
    const filled = await withSendDefaults(doc, lookup);
    const mapping = (filled.steps[0] as unknown as { mapping: Record<string, unknown> }).mapping;
    expect(mapping['method']).to.equal('PUT');
    expect(mapping['url']).to.equal('https://example.com');
    expect(mapping['data']).to.deep.equal({ '@path': '$.' });
    expect(mapping['idempotency_key']).to.deep.equal({ '@path': '$.messageId' });
    expect((doc.steps[0] as unknown as { mapping: Record<string, unknown> }).mapping, 'the input is not changed').to.deep.equal({ url: 'https://example.com', method: 'PUT' });
  });
});
