import { journeySchema } from '../journeys/definition/journey-schema.ts';
import { MAX_JOURNEY_DOCUMENT_BYTES } from '../journeys/journey-input.ts';
import type { JourneyStatus, VersionState } from '../store/journey-store.ts';
import type { InstanceStatus } from '../store/instance-store.ts';
import { ACTIVITY_TYPES } from '../store/activity-store.ts';
import { componentsFromDraft07 } from './from-draft-07.ts';
import {
  arrayOf, everyMember, json, jsonBody, name200, nextCursor, noContent, nullable, object, op, pageParams, pathParam, queryParam,
  schemaRef, str, timestamp, type ApiArea, type Paths, type Schema,
} from './operation-parts.ts';

const TAG = 'Journeys';

/** Every journey status. */
export const JOURNEY_STATUSES = everyMember<JourneyStatus>()(['draft', 'published', 'paused', 'archived']);
const VERSION_STATES = everyMember<VersionState>()(['live', 'draining', 'exiting', 'retired']);
const INSTANCE_STATUSES = everyMember<InstanceStatus>()(['active', 'completed', 'exited']);

const int: Schema = { type: 'integer' };

const schemas: Record<string, Schema> = {
  ...componentsFromDraft07(journeySchema, 'JourneyDefinition', 'journey-schema.ts'),
  JourneyDraft: {
    type: 'object',
    required: ['name'],
    properties: { name: name200, steps: { type: 'array' } },
    description: 'A journey document as saved: JourneyDefinition (also served at GET /api/v1/schemas/journey) describes it in full. '
      + `Saving checks only that it is an object with a name, that steps (when present) is an array, and that it is at most ${MAX_JOURNEY_DOCUMENT_BYTES} bytes: `
      + 'drafts may be work in progress. Validate and publish check everything else.',
  },
  Journey: object({
    id: str(),
    name: str(),
    description: nullable(str()),
    status: { type: 'string', enum: JOURNEY_STATUSES },
    liveVersion: nullable(int),
    draftVersion: nullable(int),
    hasDraft: { type: 'boolean' },
    definition: { ...nullable(schemaRef('JourneyDraft')), description: 'The draft when there is one, else the live version.' },
    createdAt: timestamp,
    updatedAt: timestamp,
  }),
  JourneyVersion: object({
    version: int,
    state: { type: 'string', enum: VERSION_STATES },
    publishedAt: timestamp,
    definition: schemaRef('JourneyDefinition'),
  }),
  JourneyValidation: object({
    valid: { type: 'boolean' },
    version: { ...nullable(int), description: 'The version the checked document is (or becomes when published).' },
    problems: arrayOf(schemaRef('JourneyProblem')),
  }),
  Instance: object({
    id: str(),
    journeyId: str(),
    version: int,
    profileId: str(),
    status: { type: 'string', enum: INSTANCE_STATUSES },
    currentStep: nullable(str()),
    identifier: nullable(str()),
    waiting: nullable(object({ kind: { type: 'string', enum: ['delay', 'hold'] }, until: timestamp })),
    context: { type: 'object', additionalProperties: { type: 'object' }, description: 'Captured events: the entry event under its name, hold-until events as "<event> - <branch>".' },
    conversions: { type: 'object', additionalProperties: timestamp, description: 'Goal id → when it converted.' },
    loops: { type: 'object', additionalProperties: int },
    enteredAt: timestamp,
    updatedAt: timestamp,
    endedAt: nullable(timestamp),
    endReason: nullable(str()),
  }, { description: "One profile's run through one journey version." }),
  ActivityRecord: object({
    id: str(),
    spaceId: str(),
    journeyId: str(),
    version: int,
    instanceId: nullable(str()),
    profileId: str(),
    type: { type: 'string', enum: ACTIVITY_TYPES },
    stepId: nullable(str()),
    eventId: nullable(str()),
    at: timestamp,
    reason: nullable(str()),
    data: nullable({ type: 'object' }),
  }, { optional: ['spaceId'], description: 'One thing that happened to an instance (or a trigger that started none), with the reason.' }),
};

const journeyId = pathParam('id', 'A journey id.');
const journeyResponse = (description: string) => json(description, object({ journey: schemaRef('Journey') }));
/** A saved draft, with every problem publishing it would report (a draft may have problems). */
const savedJourneyResponse = (description: string) => json(description, object({
  journey: schemaRef('Journey'),
  problems: { ...arrayOf(schemaRef('JourneyProblem')), description: 'What publishing this draft would refuse, as validate lists it; empty when it can be published.' },
}));

const lifecycle: Paths = {};
for (const [operation, summary] of [
  ['pause', 'Pause a published journey (no new entries; instances stay where they are)'],
  ['resume', 'Resume a paused journey'],
  ['archive', 'Archive a journey (its instances exit)'],
] as const) {
  lifecycle[`/api/v1/journeys/{id}/${operation}`] = {
    post: op(TAG, {
      id: `${operation}Journey`, summary, auth: 'admin', params: [journeyId],
      responses: { 200: journeyResponse('The journey.') },
      errors: [404, 409],
    }),
  };
}

/** Journey documents, their lifecycle and versions, and their instances. */
export const journeyArea: ApiArea = {
  tag: { name: TAG, description: 'Event-triggered journeys: documents, lifecycle, versions and instances.' },
  schemas,
  paths: {
    '/api/v1/schemas/journey': {
      get: op(TAG, {
        id: 'getJourneySchema', summary: 'The JSON Schema (draft-07) of a journey document', auth: 'admin',
        responses: { 200: json('The schema.', { type: 'object', required: ['$schema', 'definitions'] }) },
      }),
    },
    '/api/v1/journeys': {
      post: op(TAG, {
        id: 'createJourney', summary: 'Create a journey (as a draft)', auth: 'admin',
        body: jsonBody(schemaRef('JourneyDraft')),
        responses: { 201: savedJourneyResponse('The journey, and the problems of its draft.') },
        errors: [409],
      }),
      get: op(TAG, {
        id: 'listJourneys', summary: 'List journeys', auth: 'admin',
        params: [queryParam('status', 'Only journeys of this status.', { type: 'string', enum: JOURNEY_STATUSES })],
        responses: { 200: json('The journeys.', object({ journeys: arrayOf(schemaRef('Journey')) })) },
      }),
    },
    '/api/v1/journeys/{id}': {
      get: op(TAG, {
        id: 'getJourney', summary: 'A journey', auth: 'admin', params: [journeyId],
        responses: { 200: journeyResponse('The journey.') },
        errors: [404],
      }),
      put: op(TAG, {
        id: 'updateJourney', summary: 'Replace the draft of a journey', auth: 'admin', params: [journeyId],
        description: 'The live version keeps running until the draft is published. Archived journeys cannot be edited (409).',
        body: jsonBody(schemaRef('JourneyDraft')),
        responses: { 200: savedJourneyResponse('The journey, and the problems of its draft.') },
        errors: [404, 409],
      }),
      delete: op(TAG, {
        id: 'deleteJourney', summary: 'Delete a journey that was never published', auth: 'admin', params: [journeyId],
        responses: { 204: noContent },
        errors: [404, 409],
      }),
    },
    '/api/v1/journeys/{id}/validate': {
      post: op(TAG, {
        id: 'validateJourney', summary: 'Check the draft (or the live version) and list every problem', auth: 'admin', params: [journeyId],
        responses: { 200: json('The verdict.', schemaRef('JourneyValidation')) },
        errors: [404],
      }),
    },
    '/api/v1/journeys/{id}/publish': {
      post: op(TAG, {
        id: 'publishJourney', summary: 'Publish the draft as the next version', auth: 'admin', params: [journeyId],
        body: jsonBody({
          type: 'object',
          properties: {
            previousVersion: {
              type: 'string', enum: ['drain', 'archive'], default: 'drain',
              description: "What happens to the previous version's instances: finish (drain) or exit (archive).",
            },
          },
          additionalProperties: false,
        }, { required: false }),
        responses: { 200: journeyResponse('The journey.') },
        errors: [404, 409],
      }),
    },
    ...lifecycle,
    '/api/v1/journeys/{id}/duplicate': {
      post: op(TAG, {
        id: 'duplicateJourney', summary: 'Copy a journey as a new draft', auth: 'admin', params: [journeyId],
        body: jsonBody(object({ name: name200 })),
        responses: { 201: journeyResponse('The copy.') },
        errors: [404, 409],
      }),
    },
    '/api/v1/journeys/{id}/versions': {
      get: op(TAG, {
        id: 'listJourneyVersions', summary: 'Published versions', auth: 'admin', params: [journeyId],
        responses: { 200: json('The versions.', object({ versions: arrayOf(schemaRef('JourneyVersion')) })) },
        errors: [404],
      }),
    },
    '/api/v1/journeys/{id}/instances': {
      get: op(TAG, {
        id: 'listJourneyInstances', summary: "A journey's instances, in id order", auth: 'admin',
        description: 'Give at most one of userId, anonymousId, email, profileId to see one person’s instances.',
        params: [
          journeyId,
          queryParam('status', 'Only instances of this status.', { type: 'string', enum: INSTANCE_STATUSES }),
          queryParam('userId', 'Only instances of the profile with this userId.'),
          queryParam('anonymousId', 'Only instances of the profile with this anonymousId.'),
          queryParam('email', 'Only instances of the profile with this email.'),
          queryParam('profileId', 'Only instances of this profile.'),
          ...pageParams,
        ],
        responses: { 200: json('A page of instances.', object({ instances: arrayOf(schemaRef('Instance')), nextCursor })) },
        errors: [404],
      }),
    },
    '/api/v1/journeys/{id}/instances/{instanceId}': {
      get: op(TAG, {
        id: 'getJourneyInstance', summary: 'An instance with its activity and deliveries', auth: 'admin',
        params: [journeyId, pathParam('instanceId', 'An instance id of this journey.')],
        responses: {
          200: json('The instance.', object({
            instance: schemaRef('Instance'),
            activity: arrayOf(schemaRef('ActivityRecord'), 'Its activity in time order (the first 1,000 records).'),
            deliveries: arrayOf(schemaRef('Delivery')),
          })),
        },
        errors: [404],
      }),
    },
  },
};
