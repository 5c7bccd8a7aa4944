import { expect } from 'chai';
import { requireFromHere, type DestinationDefinition, type InputField } from '../../destinations/actions-core.ts';
import { applyMapping, mapEvent } from '../../mappings/map-event.ts';
import { withActionDefaults } from '../../mappings/mapping-defaults.ts';
import type { SendEvent } from '../../mappings/send-event.ts';
import { emailActionFields } from './fixtures.ts';

/** The send event of the README's worked example: a cart nudge after checkout_started. */
function nudgeEvent(checkoutProperties: Record<string, unknown>, traits: Record<string, unknown> = { first_name: 'Ada', email: 'ada@example.com' }): SendEvent {
  return {
    type: 'track', event: 'cart_nudge', messageId: 'idem-1', timestamp: '2024-05-01T10:05:00.000Z', userId: 'u-42', anonymousId: null,
    properties: { journey_context: { checkout_started: { type: 'track', event: 'checkout_started', userId: 'u-42', properties: checkoutProperties } } },
    context: {
      traits,
      journey: { id: 'j-1', name: 'Abandoned checkout', version: 3, instance_id: 'i-9', step_id: 'nudge', activation_key: 'cart_nudge_1', identifier: '1001', idempotency_key: 'idem-1' },
    },
  };
}

const CHECKOUT = '$.properties.journey_context.checkout_started.properties';
const readmeMapping = {
  email: { '@if': { exists: { '@path': `${CHECKOUT}.email` }, then: { '@path': `${CHECKOUT}.email` }, else: { '@path': '$.context.traits.email' } } },
  subject: { '@template': '{{context.traits.first_name}}, your order {{properties.journey_context.checkout_started.properties.order_id}} is waiting' },
  order_total: { '@path': `${CHECKOUT}.total` },
  properties: { activation_key: { '@path': '$.context.journey.activation_key' }, journey: { '@path': '$.context.journey.name' } },
};

describe('mapEvent', () => {
  it("maps the README's worked example: checkout email, a templated subject, journey fields", () => {
    const result = mapEvent(emailActionFields, readmeMapping, nudgeEvent({ email: 'buyer@example.com', order_id: '1001', total: 42.5 }));
    expect(result).to.deep.equal({
      ok: true,
      payload: {
        email: 'buyer@example.com',
        subject: 'Ada, your order 1001 is waiting',
        order_total: 42.5,
        properties: { activation_key: 'cart_nudge_1', journey: 'Abandoned checkout' },
      },
    });
  });

  it('falls back to the profile email when the checkout event had none (@if else)', () => {
    const result = mapEvent(emailActionFields, readmeMapping, nudgeEvent({ order_id: '1001' }));
    expect(result.ok && result.payload.email).to.equal('ada@example.com');
  });

  it('reports a required field that resolves to nothing, at its path', () => {
    const result = mapEvent(emailActionFields, readmeMapping, nudgeEvent({ order_id: '1001' }, { first_name: 'Ada' }), { basePath: 'steps[2].mapping' });
    expect(result).to.deep.include({ ok: false });
    expect(!result.ok && result.problems.map((p) => [p.path, p.code])).to.deep.equal([['steps[2].mapping.email', 'required_value_missing']]);
  });

  it('treats an empty string like a missing value, as actions-core does before validating', () => {
    const result = mapEvent(emailActionFields, { email: { '@path': `${CHECKOUT}.email` }, subject: { '@template': '{{context.traits.nickname}}' } }, nudgeEvent({ email: 'a@example.com' }));
    expect(!result.ok && result.problems.map((p) => [p.path, p.code])).to.deep.equal([['mapping.subject', 'required_value_missing']]);
  });

  it('reports values of the wrong type or format with the field path, nested ones too', () => {
    const mapping = { ...readmeMapping, quantity: { '@path': `${CHECKOUT}.quantity` }, priority: 'urgent', items: { '@arrayPath': [`${CHECKOUT}.products`, { qty: { '@path': 'quantity' } }] } };
    const result = mapEvent(emailActionFields, mapping, nudgeEvent({ email: 'not-an-email', quantity: 'two', products: [{ quantity: 1 }] }));
    expect(!result.ok && result.problems.map((p) => [p.path, p.code])).to.have.deep.members([
      ['mapping.email', 'value_invalid'], ['mapping.quantity', 'value_invalid'], ['mapping.priority', 'value_invalid'], ['mapping.items[0].id', 'required_value_missing'],
    ]);
  });

  it('returns the payload as perform would get it: coerced types, lists, unknown keys dropped', () => {
    const result = mapEvent(emailActionFields, { ...readmeMapping, quantity: { '@path': `${CHECKOUT}.quantity` }, tags: 'nudge' }, nudgeEvent({ email: 'a@example.com', quantity: '3', order_id: 1 }));
    expect(result.ok && result.payload).to.deep.include({ quantity: 3, tags: ['nudge'] });
  });

  it('names the field whose directive fails on this event', () => {
    const mapping = { ...readmeMapping, first_name: { '@flatten': { value: { '@path': '$.context.traits' } } } };
    const result = mapEvent(emailActionFields, mapping, nudgeEvent({ email: 'a@example.com' }));
    expect(!result.ok && result.problems.map((p) => [p.path, p.code])).to.deep.equal([['mapping.first_name', 'transform_failed']]);
    expect(!result.ok && result.problems[0]?.message).to.include('separator');
  });

  it('runs the catalog webhook action with its defaults: data is the whole send event', () => {
    const webhook = (requireFromHere('@segment/action-destinations/dist/destinations/webhook') as { default: DestinationDefinition<unknown> }).default;
    const fields = (webhook.actions.send?.fields ?? {}) as Record<string, InputField>;
    const event = nudgeEvent({ email: 'a@example.com' });
    const result = mapEvent(fields, withActionDefaults(fields, { url: 'https://hooks.example.com/nudge' }), event);
    expect(result).to.deep.equal({
      ok: true,
      payload: { url: 'https://hooks.example.com/nudge', method: 'POST', batch_size: 0, data: JSON.parse(JSON.stringify(event)), batch_keys: ['url', 'method', 'headers'] },
    });
  });
});

describe('applyMapping (destination functions: no field schema)', () => {
  it('answers what the mapping makes of the event, unchecked', () => {
    const result = applyMapping({ who: { '@path': '$.context.traits.first_name' }, n: 3 }, nudgeEvent({}));
    expect(result).to.deep.equal({ ok: true, payload: { who: 'Ada', n: 3 } });
  });

  it('answers transform_failed for each failing field instead of throwing (found by the property suite: a preview of a function send answered 500)', () => {
    const mapping = { url: { url: { '@transform': {} } }, ok: 'x', bad: { '@merge': { direction: '<' } } };
    const result = applyMapping(mapping, nudgeEvent({}), { basePath: '/mapping' });
    expect(!result.ok && result.problems.map((p) => [p.path, p.code])).to.deep.equal([['/mapping/url', 'transform_failed'], ['/mapping/bad', 'transform_failed']]);
  });
});
