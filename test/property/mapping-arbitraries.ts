/**
 * Arbitraries for send-step mappings: mapping-kit directives (`@path`, `@template`, `@if`, `@case`,
 * `@replace`, `@arrayPath`, `@json`, `@flatten`, `@merge`, and the rest) with well-formed and
 * broken arguments nested inside each other, and the send events they are applied to.
 */
import fc from 'fast-check';
import { adversarialJson, adversarialKey, adversarialScalar, objectFromEntries, objectOf, smallString } from './arbitraries.ts';

/** Paths as mapping-kit reads them: good ones, ones outside the send event, JSONPath it does not support, broken ones. */
export const mappingPath: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(
    '$.properties.journey_context.checkout_started.properties.total', '$.context.traits.email', 'context.traits.first_name', '$.', '', '$',
    '$.properties.journey_context.checkout_started.properties.items[0].sku', "$.context.traits['first name']", '$.properties..x',
    '$.properties.*', 'traits.email', 'journey_context.x', '$.properties.journey_context.never_captured.properties', '$.__proto__',
    '$.constructor.name', 'properties.journey_context.__proto__', '$.context.journey.activation_key', '$.a.', '$..', '[0]', "$.a['b",
    '$.properties.journey_context.checkout_started.properties.tags', 'sku', '$.price',
  ) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'ab.[]$\'"0_ *?'.split('')), maxLength: 12 }) },
);

/** `@template` strings: placeholders good and broken. */
const template: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('Hi {{context.traits.first_name}}', '{{{properties.journey_context.checkout_started.properties.total}}}', '{{', '{{}}', '}}{{',
    'x {{ $.context.traits.email }} y', '{{__proto__}}', '{{constructor.constructor}}', '{{traits.email}}'),
  smallString,
  fc.tuple(smallString, mappingPath).map(([s, p]) => `${s}{{${p}}}`),
);

/** `@liquid` templates: filters, disabled tags, syntax errors, an oversized one. */
const liquid: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('{{ context.traits.first_name | upcase }}', '{% for x in y %}{% endfor %}', '{% if a %}', '{{ a | nope }}', '{% raw %}',
    '{{ "x" | append: "y" }}', '{% assign x = 1 %}{{x}}', '{% include "x" %}', '{%', '{{ x | date: "%Y" }}', '{{ 1 | divided_by: 0 }}',
    '{{ context.traits | json }}', '{% case x %}{% when 1 %}{% endcase %}'),
  smallString,
  fc.constant('{{x}}'.repeat(250)),
);

/** The fields mappings are keyed by: webhook and form-api fields, and others. */
const fieldKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('url', 'method', 'headers', 'data', 'idempotency_key', 'path', 'email', 'name', 'fields', 'submission_id') },
  { weight: 1, arbitrary: adversarialKey },
);

/** A directive call `{ [name]: arg }`. */
function call(name: string, arg: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return arg.map((a) => objectFromEntries([[name, a]]));
}

/** An options object with any subset of `options`, sometimes with an unknown option too. */
function options(options: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc.tuple(fc.record(options, { requiredKeys: [] }), fc.option(fc.tuple(adversarialKey, adversarialScalar), { freq: 6, nil: undefined }))
    .map(([record, extra]) => objectFromEntries([...Object.entries(record), ...(extra ? [extra] : [])]));
}

/** A mapping value: literals, objects, arrays and directives nested to depth 3, their arguments well-formed or not. */
export const mappingValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; directive: unknown; object: Record<string, unknown>; array: unknown[] }>((tie) => {
  const v = tie('value');
  const stringOr = (s: fc.Arbitrary<string>) => fc.oneof({ weight: 4, arbitrary: s }, { weight: 1, arbitrary: v });
  return {
    value: fc.oneof({ maxDepth: 3, depthSize: 'small' }, adversarialScalar, tie('directive'), tie('object'), tie('array')),
    object: objectOf(fieldKey, v, 3),
    array: fc.array(v, { maxLength: 3 }),
    directive: fc.oneof(
      call('@path', stringOr(mappingPath)),
      call('@template', stringOr(template)),
      call('@liquid', stringOr(liquid)),
      call('@if', options({ exists: v, blank: v, then: v, else: v })),
      call('@case', options({ operator: fc.oneof(fc.constantFrom('lower', 'upper', 'title'), adversarialScalar), value: v })),
      call('@replace', options({
        pattern: fc.oneof(fc.constantFrom('-', ' ', '.', '*', '(', 'x'.repeat(11), ''), adversarialScalar), replacement: fc.oneof(smallString, adversarialScalar),
        pattern2: fc.constantFrom('a', ''), replacement2: smallString, value: v, ignorecase: fc.oneof(fc.boolean(), adversarialScalar), global: fc.boolean(),
      })),
      call('@arrayPath', fc.oneof(fc.tuple(stringOr(mappingPath)), fc.tuple(stringOr(mappingPath), tie('object')), adversarialJson({ maxDepth: 1 }))),
      call('@json', options({ mode: fc.oneof(fc.constantFrom('encode', 'decode'), adversarialScalar), value: v })),
      call('@flatten', options({ separator: fc.oneof(fc.constantFrom('_', '.', ''), adversarialScalar), value: v, omitArrays: fc.oneof(fc.boolean(), adversarialScalar) })),
      call('@merge', options({ direction: fc.oneof(fc.constantFrom('left', 'right'), adversarialScalar), objects: fc.oneof(fc.array(v, { maxLength: 3 }), v) })),
      call('@literal', v),
      call('@excludeWhenNull', v),
      call('@transform', options({ apply: v, mapping: v })),
      call(`@${'unknown'}`, v),
      fc.tuple(mappingPath, adversarialKey, v).map(([path, key, extra]) => objectFromEntries([['@path', path], [key, extra]])),
    ),
  };
}).value;

/** A whole mapping: field → value. */
export const mapping: fc.Arbitrary<Record<string, unknown>> = objectOf(fieldKey, mappingValue, 4);

const captured = fc.record({
  type: fc.constant('track'),
  event: fc.constantFrom('checkout_started', 'sms_replied'),
  properties: objectOf(fc.oneof(fc.constantFrom('total', 'email', 'items', 'tags', 'sku'), adversarialKey), adversarialJson({ maxDepth: 2, huge: false })),
});

/** The event a send carries (mappings/send-event.ts), with adversarial captured events and traits. */
export const sendEvent: fc.Arbitrary<Record<string, unknown>> = fc.record({
  context: objectOf(fc.constantFrom('checkout_started', 'sms_replied - yes', '__proto__', 'constructor'), captured, 3),
  traits: objectOf(fc.oneof(fc.constantFrom('email', 'first_name', 'first name', 'plan'), adversarialKey), adversarialJson({ maxDepth: 1, huge: false })),
  userId: fc.oneof(smallString, fc.constant(null)),
}).map(({ context, traits, userId }) => ({
  type: 'track', event: 'Nudge', messageId: 'ins_1:nudge:0', timestamp: '2024-05-01T10:05:00.000Z', userId, anonymousId: null,
  properties: { journey_context: context },
  context: {
    traits,
    journey: { id: 'jrn_1', name: 'J', version: 1, instance_id: 'ins_1', step_id: 'nudge', activation_key: 'key-1', identifier: null, idempotency_key: 'ins_1:nudge:0' },
  },
}));
