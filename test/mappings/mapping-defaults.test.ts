import { expect } from 'chai';
import { requireFromHere, type DestinationDefinition, type InputField } from '../../destinations/actions-core.ts';
import { withActionDefaults } from '../../mappings/mapping-defaults.ts';
import { validateMapping } from '../../mappings/validate-mapping.ts';
import { emailActionFields } from './fixtures.ts';

const webhook = (requireFromHere('@segment/action-destinations/dist/destinations/webhook') as { default: DestinationDefinition<unknown> }).default;
const webhookSend = (webhook.actions.send?.fields ?? {}) as Record<string, InputField>;

describe('withActionDefaults', () => {
  it("copies the catalog webhook's defaults into a mapping that only sets the URL", () => {
    const mapping = withActionDefaults(webhookSend, { url: 'https://hooks.example.com/nudge' });
    expect(mapping).to.deep.equal({
      url: 'https://hooks.example.com/nudge',
      method: 'POST',
      batch_size: 0,
      data: { '@path': '$.' },
      batch_keys: ['url', 'method', 'headers'],
    });
    expect(validateMapping(webhookSend, mapping, { basePath: 'steps[0].mapping' })).to.deep.equal([]);
  });

  it('never overrides a key the author set, even to null', () => {
    const mapping = withActionDefaults(webhookSend, { url: 'https://x.example', method: 'PUT', data: null });
    expect(mapping.method).to.equal('PUT');
    expect(mapping.data).to.equal(null);
  });

  it('copies defaults by value, so editing the stored mapping cannot change the plugin', () => {
    const mapping = withActionDefaults(webhookSend, {});
    (mapping.batch_keys as string[]).push('x');
    expect(webhookSend.batch_keys?.default).to.deep.equal(['url', 'method', 'headers']);
  });

  it('turns "required but unmapped" into mapped when the field has a default', () => {
    const fields: Record<string, InputField> = { ...emailActionFields, subject: { ...emailActionFields.subject!, default: undefined } };
    expect(validateMapping(fields, { email: 'a@example.com' }, { basePath: 'm' }).map((p) => p.path)).to.deep.equal(['m.subject']);
    expect(withActionDefaults(emailActionFields, { email: 'a@example.com' })).to.deep.equal({ email: 'a@example.com', subject: 'We saved your cart' });
  });

  it('returns a new object and leaves the input alone', () => {
    const input = { url: 'https://x.example' };
    expect(withActionDefaults(webhookSend, input)).to.not.equal(input);
    expect(input).to.deep.equal({ url: 'https://x.example' });
  });
});
