/**
 * Shared fast-check arbitraries for the property suites: adversarial JSON (prototype-polluting
 * keys, unicode and lone surrogates, huge and unrepresentable numbers, huge strings), timestamps
 * of every shape, near-valid Segment messages, and condition lists with subjects to test them on.
 * Journey documents are in journey-mutations.ts, mappings in mapping-arbitraries.ts.
 */
import fc from 'fast-check';

/** Placeholders for number literals JSON.stringify cannot write; toJsonText writes them raw. */
export const RAW_NUMBERS: Readonly<Record<string, string>> = {
  '~~1e400~~': '1e400', // parses to Infinity
  '~~-1e400~~': '-1e400',
  '~~bigint~~': '123456789012345678901234567890',
  '~~tiny~~': '1e-400', // parses to 0
  '~~neg-zero~~': '-0',
};

/** JSON text of a generated value, with the RAW_NUMBERS placeholders written as raw number literals. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"~~[a-z0-9-]+~~"/g, (token) => RAW_NUMBERS[token.slice(1, -1)] ?? token);
}

/** A generated value as the engine receives it: written as JSON text and parsed (own `__proto__` keys, 1e400 as Infinity). */
export function asReceived(value: unknown): unknown {
  return JSON.parse(toJsonText(value));
}

/** An object with exactly these own keys (a `__proto__` key becomes an own property, as JSON.parse makes it). */
export function objectFromEntries(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

/** Keys that trip naive object handling: prototype names, path syntax, directive-like, unicode, empty. */
export const adversarialKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(
    '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'length', '0', '-1', '', ' ', '.', 'a.b',
    '[0]', '$', '$where', '@path', '@if', '\u0000', '\ud800', '🙂', 'ünïcödé', 'e\u0301', 'properties', 'traits', 'context',
  ) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

/** Strings of moderate size: random, unicode, lone surrogates, numeric-looking, date-looking, template-looking. */
export const smallString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 3, arbitrary: fc.constantFrom(
    '', ' ', '__proto__', 'constructor', '\u0000', '\ud800', '\udfff', '🙂', 'e\u0301', '\u202e', '1001', '1001.0', '-0', '1e3',
    '0x10', 'NaN', 'Infinity', 'true', 'false', 'null', '2024-05-01T12:00:00Z', '2024-05-01', '{{x}}', '{{', '$.a', '../..',
    '<script>', "' OR 1=1 --", '%s%n', 'pro', 'PRO', 'vip',
  ) },
);

/** A string of 1,000 to 40,000 characters (past the 32 KB message limit at the top). */
export const hugeString: fc.Arbitrary<string> = fc.integer({ min: 1_000, max: 40_000 }).map((n) => 'x'.repeat(n));

/** Any string the suites use, huge ones rarely. */
export const adversarialString: fc.Arbitrary<string> = fc.oneof({ weight: 12, arbitrary: smallString }, { weight: 1, arbitrary: hugeString });

/** Numbers, including extremes and the RAW_NUMBERS placeholders (Infinity after parsing, 30-digit integers, -0). */
export const adversarialNumber: fc.Arbitrary<number | string> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 1, -1, 1e308, -1e308, 2 ** 53 + 1, 5e-324, 1001, 0.1 + 0.2, 100, 50),
  fc.constantFrom(...Object.keys(RAW_NUMBERS)),
);

/** adversarialNumber without the literals that overflow to Infinity (the engine refuses those: 400 invalid_json). */
export const representableNumber: fc.Arbitrary<number | string> = adversarialNumber.filter((n) => n !== '~~1e400~~' && n !== '~~-1e400~~');

/** A JSON scalar. */
export const adversarialScalar: fc.Arbitrary<unknown> = fc.oneof(adversarialString, adversarialNumber, fc.boolean(), fc.constant(null));

/** An object of the given keys and values, possibly with prototype-named own keys. */
export function objectOf(key: fc.Arbitrary<string>, value: fc.Arbitrary<unknown>, maxKeys = 4): fc.Arbitrary<Record<string, unknown>> {
  return fc.array(fc.tuple(key, value), { maxLength: maxKeys }).map(objectFromEntries);
}

/** Any JSON value of bounded depth built from the adversarial keys and scalars above (`representable`: no number that overflows to Infinity). */
export function adversarialJson(options: { maxDepth?: number; huge?: boolean; representable?: boolean } = {}): fc.Arbitrary<unknown> {
  const number = options.representable ? representableNumber : adversarialNumber;
  const scalar = options.huge === false || options.representable
    ? fc.oneof(options.huge === false ? smallString : adversarialString, number, fc.boolean(), fc.constant(null)) : adversarialScalar;
  return fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ maxDepth: options.maxDepth ?? 3, depthSize: 'small' }, scalar, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: objectOf(adversarialKey, tie('value')),
  })).value;
}

/** Objects or arrays nested 10 to 150 levels deep (deep, but within the size limits). */
export const deepNesting: fc.Arbitrary<unknown> = fc.tuple(fc.integer({ min: 10, max: 150 }), fc.boolean(), adversarialKey)
  .map(([depth, arrays, key]) => {
    let value: unknown = 'bottom';
    for (let i = 0; i < depth; i += 1) value = arrays && i % 2 === 0 ? [value] : objectFromEntries([[key, value]]);
    return value;
  });

// ---- timestamps

const anyDate = fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true });

/** ISO-8601-ish date-times in every spelling: separators, fractions, zones, leap seconds, impossible dates, other formats. */
export const timestampString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.record({
    date: anyDate,
    sep: fc.constantFrom('T', 't', ' '),
    fraction: fc.constantFrom('', '.5', '.123', '.123456', '.123456789012'),
    zone: fc.constantFrom('Z', 'z', '', '+00:00', '+05', '-0530', '+05:30', '+23:59', '-23:59', '+14:00'),
  }).map(({ date, sep, fraction, zone }) => {
    const iso = date.toISOString();
    return `${iso.slice(0, 10)}${sep}${iso.slice(11, 19)}${fraction}${zone}`;
  }) },
  { weight: 2, arbitrary: fc.constantFrom(
    '2016-12-31T23:59:60Z', '2016-12-31T23:59:60.5Z', '2024-05-01T00:59:60+01:00', '2024-05-01T23:59:60', '2024-05-01T24:00:00Z',
    '2024-02-30T00:00:00Z', '2023-02-29T12:00:00Z', '2024-02-29T12:00:00Z', '2024-13-01T00:00:00Z', '2024-05-01', '12:00:00Z',
    '2024-05-01T12:00Z', '2024-05-01T12:00:00+5', '2024-05-01T12:00:00+24:00', '+002024-05-01T12:00:00Z', '-000001-01-01T00:00:00Z',
    '2024-05-01T12:00:00.Z', 'Wed May 01 2024 12:00:00 GMT+0000', 'Wed, 01 May 2024 12:00:00 GMT', '1714564800', '1714564800000',
    'now', '', ' 2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z ', '２０２４-05-01T12:00:00Z', '2024-05-01T12:00:00\u0000Z',
    '0000-01-01T00:00:00+23:59', '9999-12-31T23:59:59-23:59',
  ) },
);

/** A timestamp field's value: mostly strings of timestampString, sometimes any JSON. */
export const timestampValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: timestampString },
  { weight: 1, arbitrary: adversarialScalar },
  { weight: 1, arbitrary: adversarialJson({ maxDepth: 1 }) },
);

// ---- Segment messages

/** The Segment message types. */
export const MESSAGE_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;

/** A Segment message type. */
export type SegmentType = (typeof MESSAGE_TYPES)[number];

/** The message fields that hold date-times. */
export const TIMESTAMP_FIELDS = ['timestamp', 'originalTimestamp', 'sentAt'] as const;
const KNOWN_FIELDS = ['type', 'messageId', 'userId', 'anonymousId', 'event', 'name', 'category', 'groupId', 'previousId', 'properties', 'traits', 'context', 'integrations', 'writeKey', ...TIMESTAMP_FIELDS];

/** A message its type's validator must accept: required fields, ids, a unique messageId, small adversarial properties. */
export function goodMessage(type: SegmentType): fc.Arbitrary<Record<string, unknown>> {
  const body = fc.record({
    messageId: fc.uuid(),
    userId: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.integer()),
    properties: objectOf(adversarialKey, adversarialJson({ maxDepth: 2, huge: false, representable: true })),
    timestamp: fc.option(anyDate.map((d) => d.toISOString()), { nil: undefined }),
    name: smallString,
  });
  return body.map(({ messageId, userId, properties, timestamp, name }) => {
    const message: Record<string, unknown> = { type, messageId, userId, ...(timestamp === undefined ? {} : { timestamp }) };
    if (type === 'track') Object.assign(message, { event: name === '' ? 'Event' : name, properties });
    if (type === 'page' || type === 'screen') Object.assign(message, { name, properties });
    if (type === 'identify' || type === 'group') message['traits'] = properties;
    if (type === 'group') message['groupId'] = 'g-1';
    if (type === 'alias') message['previousId'] = 'anon-1';
    return message;
  });
}

/** Messages no validator may accept (each is broken in one known way). */
export const badMessage: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  { type: 'track', userId: 'u' },
  { type: 'track', event: 'E' },
  { type: 'track', userId: '', event: 'E' },
  { type: 'identify', userId: { id: 1 } },
  { type: 'click', userId: 'u' },
  { userId: 'u', event: 'E' },
  { type: 'track', userId: 'u', event: 'E', timestamp: 'yesterday' },
  { type: 'track', userId: 'u', event: 'E', properties: [] },
  { type: 'alias', userId: 'u' },
  { type: 'group', userId: 'u' },
  { type: 'track', userId: 'u', event: 'E', messageId: '' },
  null,
  [],
  'track',
  42,
);

const mutation = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), field: fc.constantFrom(...KNOWN_FIELDS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), field: fc.oneof(fc.constantFrom(...KNOWN_FIELDS), adversarialKey), value: fc.oneof(adversarialJson(), deepNesting) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), field: fc.constantFrom(...TIMESTAMP_FIELDS), value: timestampValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('set' as const), field: fc.constantFrom('userId', 'anonymousId', 'groupId', 'previousId'), value: fc.oneof(adversarialNumber, smallString) }) },
);

/** A good message with up to four fields deleted or replaced by adversarial values (it may or may not stay valid). */
export function nearValidMessage(type: SegmentType): fc.Arbitrary<Record<string, unknown>> {
  return fc.tuple(goodMessage(type), fc.array(mutation, { maxLength: 4 })).map(([message, mutations]) => {
    const entries = new Map(Object.entries(message));
    for (const m of mutations) {
      if (m.kind === 'delete') entries.delete(m.field);
      else entries.set(m.field, m.value);
    }
    return objectFromEntries([...entries]);
  });
}

/** Any request body: a near-valid message of any type, or any JSON value at all. */
export const ingestBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MESSAGE_TYPES).chain((type) => nearValidMessage(type)) },
  { weight: 1, arbitrary: adversarialJson() },
);

// ---- conditions

/** Condition paths: the README's forms, JSONPath with filters (hostile ones too), prototype names, and random path syntax. */
export const conditionPath: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(
    'properties.total', 'properties.plan', 'plan', 'traits.plan', 'items[0].sku', 'items.0.sku', "properties['order id']", 'properties["a.b"]',
    '$.properties.total', "$['properties']['order id']", '$.items[*].sku', '$..sku', '$.items[?(@.price > 10)].sku', '$.items[0:2]', '$.items[-1:]',
    '$.properties.*', '$..*', '$.items[(@.length-1)]', 'properties.__proto__', '__proto__', 'constructor', 'properties.constructor.name',
    '$.__proto__.polluted', 'length', 'items.length', '$.items[?(@.constructor)]', '$[?(@.__proto__)]', "$.items[?(@.sku == 'a')]",
    "$[?(@.constructor.constructor('return process')())]", '$..[?(this.process)]', '$.items[?(@.price > 1 && @.price < 1e400)]', "$['a\\'b']",
  ) },
  { weight: 2, arbitrary: fc.array(fc.oneof(adversarialKey, fc.constantFrom('properties', 'traits', 'items', 'total', 'plan', '0')), { minLength: 1, maxLength: 4 })
    .map((keys) => keys.join('.')) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'ab0.[]$*?()@\'" \\_-~^<>=!&|:,'.split('')), maxLength: 14 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'ab0.[]*?()@\'"'.split('')), maxLength: 10 }).map((s) => `$${s}`) },
);

const orderable: fc.Arbitrary<unknown> = fc.oneof(
  adversarialNumber, fc.constantFrom('10', '1e3', '-2.5', ' 1', '0x10', 'Infinity'), timestampString,
  anyDate.map((d) => d.toISOString().slice(0, 10)),
);

/** Scalars a condition compares with: strings, numbers, numeric and boolean strings, dates, null. */
export const conditionScalar: fc.Arbitrary<unknown> = fc.oneof(
  smallString, adversarialNumber, fc.boolean(), fc.constant(null), timestampString,
  fc.constantFrom<unknown>('1001', 1001, '1001.0', '007', 7, 'true', true, 'PRO', 'pro', 'vip'),
);

/** A value of the right shape for `operator` (most of the time: bounds may be inverted, sets may hold null). */
function valueFor(operator: string): fc.Arbitrary<unknown> {
  switch (operator) {
    case 'exists':
    case 'not_exists': return fc.constant(undefined);
    case 'equals_any_of': return fc.array(conditionScalar, { minLength: 1, maxLength: 5 });
    case 'starts_with': return smallString;
    case 'contains': return conditionScalar;
    case 'gt': case 'gte': case 'lt': case 'lte': return orderable;
    case 'between': return fc.tuple(orderable, orderable);
    default: return fc.oneof({ weight: 4, arbitrary: conditionScalar }, { weight: 1, arbitrary: adversarialJson({ maxDepth: 2, huge: false }) });
  }
}

const OPERATORS = ['equals', 'equals_any_of', 'not_equals', 'contains', 'starts_with', 'exists', 'not_exists', 'gt', 'gte', 'lt', 'lte', 'between'] as const;

/** Drops undefined fields, so "absent" is absent (as in parsed JSON). */
function compact(record: Record<string, unknown>): Record<string, unknown> {
  return objectFromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** A condition that is often valid: a known operator with a value of its shape, on any path. */
export const plausibleCondition: fc.Arbitrary<Record<string, unknown>> = fc.constantFrom(...OPERATORS).chain((operator) =>
  fc.record({
    path: conditionPath,
    operator: fc.constant(operator),
    value: valueFor(operator),
    ignoreCase: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.boolean() }),
  }).map(compact));

/** Any condition-like value: plausible conditions, conditions with random parts and unknown keys, and non-objects. */
export const anyCondition: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: plausibleCondition },
  { weight: 2, arbitrary: fc.record({
    path: fc.oneof(conditionPath, adversarialScalar, fc.constant(undefined)),
    operator: fc.oneof(fc.constantFrom(...OPERATORS), adversarialScalar, fc.constant(undefined)),
    value: fc.oneof(valueFor('equals'), orderable, fc.constant(undefined)),
    ignoreCase: fc.oneof(fc.constant(undefined), adversarialScalar),
    extra: fc.option(fc.tuple(adversarialKey, adversarialScalar), { freq: 4, nil: undefined }),
  }).map(({ extra, ...rest }) => objectFromEntries([...Object.entries(compact(rest)), ...(extra ? [extra] : [])])) },
  { weight: 1, arbitrary: adversarialJson({ maxDepth: 2 }) },
);

/** A condition list: usually an array of conditions, sometimes not an array at all. */
export const conditionList: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.array(anyCondition, { maxLength: 4 }) },
  { weight: 1, arbitrary: adversarialJson({ maxDepth: 2 }) },
);

const subjectKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('properties', 'traits', 'items', 'total', 'plan', 'sku', 'order id', 'a.b', 'price', '0', '__proto__', 'constructor', 'length') },
  { weight: 1, arbitrary: adversarialKey },
);

/** What conditions are evaluated on: event- or traits-shaped JSON with adversarial keys and values, deep nesting, huge strings. */
export const conditionSubject: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ maxDepth: 4, depthSize: 'small' }, fc.oneof(conditionScalar, orderable), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: objectOf(subjectKey, tie('value'), 5),
  })).object },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: fc.oneof(adversarialScalar, hugeString.map((s) => ({ properties: { plan: s } }))) },
);
