import { BATCH_SCHEMA, MESSAGE_SCHEMAS } from '../ingest/message-schema.ts';
import { MESSAGE_TYPES } from '../ingest/validate-message.ts';
import { BATCH_ENDPOINTS } from '../ingest/ingest-handler.ts';
import type { MessageType } from '../store/event-store.ts';
import { fromDraft07 } from './from-draft-07.ts';
import { json, jsonBody, object, op, schemaRef, type ApiArea, type ErrorStatus, type Paths, type Schema } from './operation-parts.ts';

const TAG = 'Ingest';

/** Component name of a message type's schema: `TrackMessage`… */
export function messageSchemaName(type: MessageType): string {
  return `${type[0]!.toUpperCase()}${type.slice(1)}Message`;
}


const identity: Schema = {
  anyOf: [{ required: ['userId'] }, { required: ['anonymousId'] }],
};

/** One message type's schema, with what the code checks beyond the shared JSON Schema. */
function messageSchema(type: MessageType): Schema {
  const base = fromDraft07(MESSAGE_SCHEMAS[type], `message-schema.ts ${type}`);
  return {
    ...base,
    description: `A Segment \`${type}\` message (at most 32 KB by default). It needs a userId or an anonymousId; `
      + 'other fields are kept as sent.',
    properties: {
      ...(base['properties'] as Record<string, Schema>),
      type: { const: type, description: `Optional on /v1/${type}; required in a batch.` },
    },
    ...identity,
  };
}

const messageSchemas: Record<string, Schema> = Object.fromEntries(MESSAGE_TYPES.map((type) => [messageSchemaName(type), messageSchema(type)]));

const batchBase = fromDraft07(BATCH_SCHEMA, 'message-schema.ts BATCH_SCHEMA');
const batchProperties = batchBase['properties'] as Record<string, Schema>;

const schemas: Record<string, Schema> = {
  ...messageSchemas,
  BatchMessage: {
    description: 'A message of a batch: `type` says which.',
    oneOf: MESSAGE_TYPES.map((type) => ({ allOf: [schemaRef(messageSchemaName(type)), { required: ['type'] }] })),
  },
  BatchRequest: {
    ...batchBase,
    description: 'Several messages in one request (at most 500 KB by default). One invalid message rejects the whole batch; '
      + 'context, integrations and sentAt apply to every message.',
    properties: {
      ...batchProperties,
      batch: { ...batchProperties['batch'], items: schemaRef('BatchMessage') },
      writeKey: { type: 'string', description: 'The write key, for clients that cannot send HTTP Basic authentication.' },
    },
  },
  IngestResult: object({
    success: { const: true },
    stored: { type: 'integer', minimum: 0, description: 'Messages stored now.' },
    duplicates: { type: 'integer', minimum: 0, description: 'Messages whose messageId was stored already (acknowledged, not stored again).' },
  }),
};

const accepted = { 200: json('Stored (or acknowledged as duplicates).', schemaRef('IngestResult')) };

/** Ingest's own refusals, each with Retry-After: 429 backpressure and rate_limited (503 overloaded is implied everywhere). */
const INGEST_REFUSALS: ErrorStatus[] = [429];

const paths: Paths = {};
for (const type of MESSAGE_TYPES) {
  paths[`/v1/${type}`] = {
    post: op(TAG, {
      id: `ingest${messageSchemaName(type).replace(/Message$/, '')}`,
      summary: `Send a ${type} message`,
      description: 'Segment HTTP Tracking API. The body may be gzip-encoded (`Content-Encoding: gzip`); `text/plain` is read as JSON too (sendBeacon).',
      auth: 'writeKey',
      body: jsonBody(schemaRef(messageSchemaName(type))),
      responses: accepted,
      errors: INGEST_REFUSALS,
    }),
  };
}
for (const endpoint of BATCH_ENDPOINTS) {
  paths[`/v1/${endpoint}`] = {
    post: op(TAG, {
      id: endpoint === 'batch' ? 'ingestBatch' : 'ingestImport',
      summary: endpoint === 'batch' ? 'Send several messages' : 'Send several messages (Segment’s import endpoint, same as batch)',
      description: 'Segment HTTP Tracking API. The body may be gzip-encoded. Messages repeating a stored messageId are acknowledged, not stored twice.',
      auth: 'writeKey',
      body: jsonBody(schemaRef('BatchRequest')),
      responses: accepted,
      errors: INGEST_REFUSALS,
    }),
  };
}

/** The Segment-compatible ingest endpoints (`/v1/*`, served outside Express). */
export const ingestArea: ApiArea = {
  tag: { name: TAG, description: 'The Segment HTTP Tracking API: Segment client libraries point here unchanged.' },
  paths,
  schemas,
};
