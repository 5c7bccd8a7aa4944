import { conditionListSchema } from '../../conditions/condition-schema.ts';

/*
 * The JSON Schema (draft-07) of the journey document, mirroring journey-definition.ts: each
 * TypeScript type has a definition of the same name. It checks shape only — types, required and
 * unknown properties, step types. Value rules with their own problem codes (durations, dates,
 * times, timezones, paths, limits, percentages, activation keys) and graph rules are checked by
 * validate-journey.ts; the descriptions say what they are.
 *
 * Tagged unions use `oneOf` + `discriminator` (an OpenAPI keyword): compile with ajv's
 * `discriminator: true` option to get the errors of the matching variant only.
 */

/** Pattern of step, branch, exit rule and goal ids. */
export const JOURNEY_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

const id = { type: 'string', pattern: JOURNEY_ID_PATTERN, description: '1 to 64 letters, digits, _ or -.' } as const;
const stepRef = { type: 'string', minLength: 1, description: 'The id of a step of this journey.' } as const;
const eventName = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const label = { type: 'string', minLength: 1, maxLength: 256 } as const;
const propertyPath = { type: 'string', minLength: 1, description: 'A property path such as properties.order_id (see engine/conditions/README.md).' } as const;
const waitDuration = { type: 'string', minLength: 1, description: 'ISO-8601 duration, 1 second to 2 years, e.g. "PT30M", "P1D".' } as const;
const lookback = { type: 'string', minLength: 1, description: 'ISO-8601 duration, 0 ("PT0S") to 1 day.' } as const;
const timezone = { type: 'string', minLength: 1, description: 'IANA timezone, e.g. "Europe/Berlin".' } as const;
const date = { type: 'string', minLength: 1, description: 'Calendar date YYYY-MM-DD.' } as const;
const nextOnly = { type: 'object', required: ['next'], additionalProperties: false, properties: { next: stepRef } } as const;
const nullableString = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }] } as const;
const ref = (name: string) => ({ $ref: `#/definitions/${name}` }) as const;
const payloadList = {
  anyOf: [{ const: 'all' }, { type: 'array', items: { type: 'string' }, description: 'Non-empty names.' }],
} as const;

/** A `oneOf` over `variants` chosen by the string property `tag`. */
function taggedUnion(tag: string, variants: readonly string[]) {
  return {
    type: 'object',
    required: [tag],
    properties: { [tag]: { type: 'string' } },
    discriminator: { propertyName: tag },
    oneOf: variants.map(ref),
  } as const;
}

/** A variant of a tagged union: an object with `tag` fixed to `value` and nothing but `properties`. */
function variant(tag: string, value: string, required: readonly string[], properties: Record<string, unknown>) {
  return {
    type: 'object',
    required: [tag, ...required],
    additionalProperties: false,
    properties: { [tag]: { const: value }, ...properties },
  } as const;
}

const stepBase = { id, name: label } as const;

const sendSpecProperties = {
  eventName,
  activationKey: { type: 'string', description: 'Unique in the space; 4 to 64 letters, digits, _ or -. Generated when absent.' },
  target: { if: { type: 'object' }, then: ref('SendTarget'), else: { type: 'null' } },
  payload: { type: 'object', additionalProperties: false, properties: { context: payloadList, traits: payloadList } },
  mapping: { type: 'object', description: 'Field mapping onto the destination action (actions-core mapping-kit).' },
  enabled: { type: 'boolean' },
} as const;

const journeyDefinition = {
  type: 'object',
  required: ['name', 'entry', 'start', 'steps'],
  additionalProperties: false,
  properties: {
    name: label,
    description: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    entry: ref('JourneyEntry'),
    start: stepRef,
    steps: { type: 'array', minItems: 1, items: ref('Step'), description: 'At most 200 steps.' },
    exitRules: { type: 'array', items: ref('ExitRule'), description: 'At most 20.' },
    goals: { type: 'array', items: ref('ConversionGoal'), description: 'At most 20.' },
    settings: ref('JourneySettings'),
  },
} as const;

/** The JSON Schema of a journey document (JourneyDefinition), served at GET /api/v1/schemas/journey. */
export const journeySchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://journey-engine.dev/schemas/journey.json',
  title: 'JourneyDefinition',
  ...journeyDefinition,
  definitions: {
    JourneyDefinition: journeyDefinition,
    JourneyEntry: {
      type: 'object',
      required: ['event'],
      additionalProperties: false,
      properties: {
        event: eventName,
        conditions: conditionListSchema,
        audienceId: nullableString,
        whoEnters: ref('WhoEnters'),
        availability: ref('Availability'),
        reentry: ref('Reentry'),
      },
    },
    WhoEnters: taggedUnion('type', ['WhoEntersPerformer', 'WhoEntersProperty']),
    WhoEntersPerformer: variant('type', 'performer', [], {}),
    WhoEntersProperty: variant('type', 'property', ['path'], { path: propertyPath }),
    Availability: taggedUnion('type', ['AvailabilityAlways', 'AvailabilityWindow']),
    AvailabilityAlways: variant('type', 'always', [], {}),
    AvailabilityWindow: variant('type', 'window', ['startDate', 'endDate', 'timezone'], { startDate: date, endDate: date, timezone }),
    Reentry: taggedUnion('mode', ['ReentryOnce', 'ReentryOneActive', 'ReentryMultipleActive']),
    ReentryOnce: variant('mode', 'once', [], {}),
    ReentryOneActive: variant('mode', 'one_active', [], {}),
    ReentryMultipleActive: variant('mode', 'multiple_active', ['identifier'], {
      identifier: { ...propertyPath, description: 'A simple event property path (no wildcards), e.g. properties.order_id.' },
    }),
    Step: taggedUnion('type', ['DelayStep', 'HoldUntilStep', 'DataSplitStep', 'RandomSplitStep', 'SendStep', 'ExitStep']),
    DelayStep: variant('type', 'delay', ['id', 'wait', 'next'], { ...stepBase, wait: ref('DelayWait'), next: stepRef }),
    DelayWait: taggedUnion('type', ['DelayWaitDuration', 'DelayWaitTimeOfDay', 'DelayWaitProperty']),
    DelayWaitDuration: variant('type', 'duration', ['duration'], { duration: waitDuration }),
    DelayWaitTimeOfDay: variant('type', 'time_of_day', ['time', 'timezone'], {
      time: { type: 'string', description: 'HH:mm, 00:00 to 23:59.' },
      weekdays: { type: 'array', minItems: 1, items: ref('Weekday'), description: 'Each at most once; all days when absent.' },
      timezone,
    }),
    DelayWaitProperty: variant('type', 'property', ['path'], {
      path: { ...propertyPath, description: 'A date in { context, traits }, e.g. context.checkout_started.properties.pickup_at or traits.renewal_date.' },
      offset: { type: 'string', minLength: 1, description: 'ISO-8601 duration, may be negative ("-PT1H"), at most 2 years either way.' },
    }),
    Weekday: { enum: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
    HoldUntilStep: variant('type', 'hold_until', ['id', 'branches', 'timeout'], {
      ...stepBase,
      branches: { type: 'array', minItems: 1, items: ref('HoldBranch'), description: 'At most 20; mutually exclusive.' },
      timeout: {
        type: 'object',
        required: ['after', 'next'],
        additionalProperties: false,
        properties: { after: waitDuration, next: stepRef },
      },
      loop: {
        type: 'object',
        required: ['maxLoops'],
        additionalProperties: false,
        properties: { maxLoops: { type: 'integer', description: '1 to 100.' } },
      },
      lookback,
    }),
    HoldBranch: {
      type: 'object',
      required: ['id', 'event', 'next'],
      additionalProperties: false,
      properties: { id, event: eventName, conditions: conditionListSchema, next: stepRef },
    },
    DataSplitStep: variant('type', 'data_split', ['id', 'branches', 'otherwise'], {
      ...stepBase,
      branches: { type: 'array', minItems: 1, items: ref('DataSplitBranch'), description: 'At most 20.' },
      otherwise: nextOnly,
    }),
    DataSplitBranch: {
      type: 'object',
      required: ['id', 'next'],
      additionalProperties: false,
      properties: {
        id,
        conditions: conditionListSchema,
        audiences: {
          type: 'array',
          items: {
            type: 'object',
            required: ['audienceId', 'member'],
            additionalProperties: false,
            properties: { audienceId: { type: 'string', minLength: 1 }, member: { type: 'boolean' } },
          },
        },
        next: stepRef,
      },
    },
    RandomSplitStep: variant('type', 'random_split', ['id', 'branches'], {
      ...stepBase,
      branches: {
        type: 'array',
        minItems: 1,
        description: 'At most 20; percentages in (0, 100] summing to 100.',
        items: {
          type: 'object',
          required: ['id', 'percent', 'next'],
          additionalProperties: false,
          properties: { id, percent: { type: 'number' }, next: stepRef },
        },
      },
      sticky: { type: 'boolean' },
    }),
    SendStep: variant('type', 'send', ['id', 'eventName', 'next'], { ...stepBase, ...sendSpecProperties, next: stepRef }),
    ExitStep: variant('type', 'exit', ['id'], stepBase),
    SendSpec: {
      type: 'object',
      required: ['eventName'],
      additionalProperties: false,
      properties: sendSpecProperties,
    },
    SendTarget: taggedUnion('type', ['SendTargetDestination', 'SendTargetFunction']),
    SendTargetDestination: variant('type', 'destination', ['destinationId', 'action'], {
      destinationId: { type: 'string', minLength: 1 },
      action: { type: 'string', minLength: 1 },
    }),
    SendTargetFunction: variant('type', 'function', ['functionId'], { functionId: { type: 'string', minLength: 1 } }),
    ExitRule: {
      type: 'object',
      required: ['id', 'event'],
      additionalProperties: false,
      properties: {
        id,
        event: eventName,
        conditions: conditionListSchema,
        matchIdentifier: { type: 'boolean' },
        send: ref('SendSpec'),
      },
    },
    ConversionGoal: {
      type: 'object',
      required: ['id', 'event', 'within'],
      additionalProperties: false,
      properties: {
        id,
        event: eventName,
        conditions: conditionListSchema,
        within: waitDuration,
        exitOnConversion: { type: 'boolean' },
      },
    },
    JourneySettings: {
      type: 'object',
      additionalProperties: false,
      properties: {
        lookback,
        maxContextBytes: { type: 'integer', description: '1024 to 1048576 (default 262144).' },
        maxActiveInstancesPerProfile: { type: 'integer', description: '1 to 10000 (default 1000).' },
      },
    },
  },
} as const;
