/**
 * JSON Schemas of the Segment messages the ingest API accepts (the Segment tracking spec).
 * Identity rules (userId or anonymousId) are checked in code for a clearer message.
 */

const id = { anyOf: [{ type: 'string', minLength: 1, maxLength: 1024 }, { type: 'number' }] };
const timestamp = { type: 'string', format: 'iso-date-time' };
const object = { type: 'object' };

const common = {
  type: { enum: ['track', 'identify', 'page', 'screen', 'group', 'alias'] },
  messageId: { type: 'string', minLength: 1, maxLength: 256 },
  userId: id,
  anonymousId: id,
  timestamp,
  originalTimestamp: timestamp,
  sentAt: timestamp,
  context: object,
  integrations: object,
};

/** Schema of each message type, keyed by type. */
export const MESSAGE_SCHEMAS = {
  track: {
    type: 'object',
    required: ['event'],
    properties: { ...common, event: { type: 'string', minLength: 1, maxLength: 1024 }, properties: object },
  },
  identify: { type: 'object', properties: { ...common, traits: object } },
  page: { type: 'object', properties: { ...common, name: { type: 'string' }, category: { type: 'string' }, properties: object } },
  screen: { type: 'object', properties: { ...common, name: { type: 'string' }, category: { type: 'string' }, properties: object } },
  group: { type: 'object', required: ['groupId'], properties: { ...common, groupId: id, traits: object } },
  alias: { type: 'object', required: ['previousId', 'userId'], properties: { ...common, previousId: id } },
} as const;

/** Schema of a batch request body (items are checked one by one against their type's schema). */
export const BATCH_SCHEMA = {
  type: 'object',
  required: ['batch'],
  properties: {
    batch: { type: 'array', minItems: 1, items: { type: 'object' } },
    context: object,
    integrations: object,
    sentAt: timestamp,
    writeKey: { type: 'string' },
  },
} as const;
