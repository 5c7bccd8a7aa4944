import { MAPPING_PROBLEM_CODES } from '../../mappings/mapping-problem.ts';
import { MAX_BULK_REDRIVE } from '../delivery/delivery-service.ts';
import type { DeliveryAttempt, DeliveryStatus } from '../store/delivery-store.ts';
import {
  arrayOf, everyMember, json, jsonBody, nextCursor, nullable, object, op, pageParams, pathParam, queryParam, schemaRef, str, timestamp,
  type ApiArea, type Schema,
} from './operation-parts.ts';

const TAG = 'Deliveries';

const DELIVERY_STATUSES = everyMember<DeliveryStatus>()(['pending', 'retrying', 'delivered', 'failed', 'skipped']);
const ATTEMPT_OUTCOMES = everyMember<DeliveryAttempt['outcome']>()(['delivered', 'retry', 'failed']);

const int: Schema = { type: 'integer' };

const schemas: Record<string, Schema> = {
  DeliveryAttempt: object({
    at: timestamp,
    durationMs: { type: 'number' },
    outcome: { type: 'string', enum: ATTEMPT_OUTCOMES },
    status: { ...nullable(int), description: "HTTP status of the destination's answer, when there was one." },
    reason: nullable(str()),
    response: { ...nullable(str()), description: "The start of the destination's answer (at most 2 KB)." },
  }),
  Delivery: object({
    id: str(),
    spaceId: str(),
    journeyId: str(),
    version: int,
    instanceId: str(),
    profileId: str(),
    stepId: str({ description: 'The send step, or `exit:<rule id>` for an exit-rule send.' }),
    idempotencyKey: str({ description: '`<instance id>:<step>:<loop iteration>`: stable across retries and re-drives.' }),
    activationKey: str(),
    eventName: str(),
    target: nullable(schemaRef('SendTarget')),
    payload: { type: 'object', description: 'The Segment event the send carries; the mapping is applied to it when sending.' },
    mapping: { type: 'object' },
    status: { type: 'string', enum: DELIVERY_STATUSES },
    nextAttemptAt: { ...nullable(int), description: 'When it is (next) tried, ms since the epoch; null once closed.' },
    attempts: int,
    windowAttempts: { ...int, description: 'Attempts since the retry window began (the first attempt or the last re-drive).' },
    attemptLog: arrayOf(schemaRef('DeliveryAttempt'), 'The last attempts.'),
    firstAttemptAt: nullable(timestamp),
    reason: nullable(str()),
    deliveredAt: nullable(timestamp),
    createdAt: timestamp,
    updatedAt: timestamp,
    rev: int,
  }, { optional: ['spaceId'], description: "One send step's payload for one instance." }),
  MappingProblem: object({ path: str(), code: { type: 'string', enum: Object.keys(MAPPING_PROBLEM_CODES) }, message: str() }),
  SendPreview: object({
    stepId: str(),
    target: nullable(schemaRef('SendTarget')),
    event: {
      ...object({ type: { const: 'track' }, event: str(), messageId: str(), timestamp, properties: { type: 'object' }, context: { type: 'object' } }),
      description: 'The Segment event the send would carry (mappings read it by path).',
    },
    payload: { ...nullable({ type: 'object' }), description: 'What the mapping makes of the event; null without a target or when there are problems.' },
    problems: arrayOf(schemaRef('MappingProblem')),
  }),
  SendTestResult: {
    allOf: [schemaRef('SendPreview'), object({
      result: object({
        outcome: { type: 'string', enum: ATTEMPT_OUTCOMES },
        reason: nullable(str()),
        status: nullable(int),
        response: nullable(str()),
        durationMs: { type: 'number' },
      }),
    })],
  },
  PreviewInput: {
    type: 'object',
    additionalProperties: false,
    properties: {
      version: {
        anyOf: [{ type: 'string', enum: ['draft', 'live'] }, { type: 'integer', minimum: 1 }], default: 'draft',
        description: 'Which document: the draft (default), the live version or a version number.',
      },
      event: { type: 'object', description: 'A sample entry event (a Segment track message).' },
      instanceId: str({ minLength: 1, description: 'A recorded instance of this journey, instead of a sample event.' }),
      userId: str({ minLength: 1, description: 'With a sample event: whose profile traits to use.' }),
    },
    oneOf: [{ required: ['event'] }, { required: ['instanceId'] }],
  },
};

const deliveryId = pathParam('id', 'A delivery id.');
const deliveryResponse = json('The delivery.', object({ delivery: schemaRef('Delivery') }));
const stepParams = [pathParam('id', 'A journey id.'), pathParam('stepId', 'A send step id, or an exit rule id for its send.')];

/** Deliveries: listing and re-driving them, and previewing or test-sending a send step. */
export const deliveryArea: ApiArea = {
  tag: { name: TAG, description: 'Durable deliveries of send steps, re-drive, and send-step preview and test.' },
  schemas,
  paths: {
    '/api/v1/deliveries': {
      get: op(TAG, {
        id: 'listDeliveries', summary: 'Deliveries of the space, in id order', auth: 'admin',
        params: [
          queryParam('status', 'Only deliveries of this status.', { type: 'string', enum: DELIVERY_STATUSES }),
          queryParam('journeyId', 'Only deliveries of this journey.'),
          ...pageParams,
        ],
        responses: { 200: json('A page of deliveries.', object({ deliveries: arrayOf(schemaRef('Delivery')), nextCursor })) },
      }),
    },
    '/api/v1/deliveries/redrive': {
      post: op(TAG, {
        id: 'redriveDeliveries', summary: 'Re-drive failed (or retrying) deliveries in bulk', auth: 'admin',
        description: 'Each selected delivery is sent again now with a fresh retry window and the same idempotency key.',
        body: jsonBody({
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['failed', 'retrying'], default: 'failed' },
            journeyId: str({ minLength: 1 }),
            ids: { type: 'array', minItems: 1, maxItems: MAX_BULK_REDRIVE, items: { type: 'string' } },
            limit: { type: 'integer', minimum: 1, maximum: MAX_BULK_REDRIVE, default: MAX_BULK_REDRIVE },
          },
        }, { required: false }),
        responses: {
          200: json('How many were re-driven; `skipped` changed meanwhile and were left to the dispatcher.', object({
            redriven: { type: 'integer', minimum: 0 }, skipped: { type: 'integer', minimum: 0 },
          })),
        },
      }),
    },
    '/api/v1/deliveries/{id}': {
      get: op(TAG, {
        id: 'getDelivery', summary: 'A delivery with its attempts', auth: 'admin', params: [deliveryId],
        responses: { 200: deliveryResponse },
        errors: [404],
      }),
    },
    '/api/v1/deliveries/{id}/redrive': {
      post: op(TAG, {
        id: 'redriveDelivery', summary: 'Send a failed or retrying delivery again now', auth: 'admin', params: [deliveryId],
        description: 'A delivered delivery is never sent again (409 invalid_transition).',
        responses: { 200: deliveryResponse },
        errors: [404, 409],
      }),
    },
    '/api/v1/instances/{id}/deliveries': {
      get: op(TAG, {
        id: 'listInstanceDeliveries', summary: "An instance's deliveries", auth: 'admin', params: [pathParam('id', 'An instance id.')],
        responses: { 200: json('Its deliveries.', object({ deliveries: arrayOf(schemaRef('Delivery')) })) },
        errors: [404],
      }),
    },
    '/api/v1/journeys/{id}/deliveries': {
      get: op(TAG, {
        id: 'listJourneyDeliveries', summary: "A journey's deliveries, in id order", auth: 'admin',
        params: [pathParam('id', 'A journey id.'), ...pageParams],
        responses: { 200: json('A page of deliveries.', object({ deliveries: arrayOf(schemaRef('Delivery')), nextCursor })) },
        errors: [404],
      }),
    },
    '/api/v1/journeys/{id}/steps/{stepId}/preview': {
      post: op(TAG, {
        id: 'previewSend', summary: 'The event a send step would carry and the payload its mapping makes', auth: 'admin',
        params: stepParams,
        body: jsonBody(schemaRef('PreviewInput')),
        responses: { 200: json('The preview.', schemaRef('SendPreview')) },
        errors: [404, 409],
      }),
    },
    '/api/v1/journeys/{id}/steps/{stepId}/test': {
      post: op(TAG, {
        id: 'testSend', summary: "Send a step's previewed event to its destination for real", auth: 'admin',
        params: stepParams,
        body: jsonBody(schemaRef('PreviewInput')),
        responses: { 200: json("The preview and the destination's answer.", schemaRef('SendTestResult')) },
        errors: [404, 409],
      }),
    },
  },
};
