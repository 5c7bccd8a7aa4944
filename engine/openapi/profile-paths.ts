import { MESSAGE_TYPES } from '../ingest/validate-message.ts';
import {
  arrayOf, json, jsonBody, name200, nextCursor, noContent, nullable, object, op, pageParams, pathParam, queryParam, schemaRef, str,
  timestamp, type ApiArea, type Schema,
} from './operation-parts.ts';

const TAG = 'Profiles, audiences, catalog and events';

const REF_KEYS = ['profileId', 'userId', 'anonymousId', 'email'] as const;

/** One of `{profileId}`, `{userId}`, `{anonymousId}`, `{email}`. */
const profileRef: Schema = {
  description: 'A profile, named by exactly one of its ids.',
  oneOf: REF_KEYS.map((key) => ({
    type: 'object', required: [key], additionalProperties: false, properties: { [key]: { type: 'string', minLength: 1 } },
  })),
};

const refList: Schema = { type: 'array', maxItems: 1000, items: profileRef };

const schemas: Record<string, Schema> = {
  Profile: object({
    id: str(),
    userId: nullable(str()),
    userIds: arrayOf(str()),
    anonymousIds: arrayOf(str()),
    email: nullable(str()),
    traits: { type: 'object' },
    firstSeenAt: timestamp,
    lastSeenAt: timestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
  }, { description: 'A person, with every id identity resolution joined to it.' }),
  AudienceMembership: object({
    id: str(), name: str(), via: { type: 'string', enum: ['rule', 'manual'] },
  }, { description: 'An audience the profile belongs to, and whether by its rule or by an explicit add.' }),
  ProfileWithAudiences: {
    allOf: [schemaRef('Profile'), object({ audiences: arrayOf(schemaRef('AudienceMembership')) })],
  },
  Audience: object({
    id: str(),
    spaceId: str(),
    name: str(),
    description: nullable(str()),
    rule: nullable(schemaRef('ConditionList')),
    ruleVersion: { type: 'integer' },
    backfilledAt: nullable(timestamp),
    version: { type: 'integer' },
    createdAt: timestamp,
    updatedAt: timestamp,
  }, { description: 'A named set of profiles: by a rule on traits and/or explicit membership.' }),
  AudienceInput: {
    ...object({
      name: name200,
      description: nullable(str()),
      rule: nullable(schemaRef('ConditionList')),
    }, { optional: ['description', 'rule'] }),
    additionalProperties: false,
  },
  CatalogEvent: object({
    name: str(),
    propertyKeys: arrayOf(str(), 'Property paths seen (dot notation, nested objects included).'),
    firstSeenAt: timestamp,
    lastSeenAt: timestamp,
  }, { description: 'A track event name seen in the space.' }),
  StoredEvent: {
    ...object({
      type: { type: 'string', enum: MESSAGE_TYPES },
      messageId: str(),
      timestamp,
      receivedAt: timestamp,
    }),
    description: 'A message as stored in the event log: as sent, with type, messageId, timestamp and receivedAt filled in.',
  },
};

const audienceId = pathParam('id', 'An audience id.');
const profileId = pathParam('id', 'A profile id.');

/** Profiles, audiences, the event catalog and the event log. */
export const profileArea: ApiArea = {
  tag: { name: TAG, description: 'What the engine knows about people and the events they sent.' },
  schemas,
  paths: {
    '/api/v1/profiles/lookup': {
      get: op(TAG, {
        id: 'lookupProfile', summary: 'Find a profile by one of its ids', auth: 'admin',
        description: 'Give at least one of userId, anonymousId, email (400 with none); several must all lead to the same profile (404 otherwise).',
        params: [
          queryParam('userId', 'A user id of the profile.'),
          queryParam('anonymousId', 'An anonymous id of the profile.'),
          queryParam('email', 'The email of the profile (compared case-insensitively).'),
        ],
        responses: { 200: json('The profile and its audiences.', object({ profile: schemaRef('ProfileWithAudiences') })) },
        errors: [404],
      }),
    },
    '/api/v1/profiles/{id}': {
      get: op(TAG, {
        id: 'getProfile', summary: 'A profile and its audiences', auth: 'admin', params: [profileId],
        responses: { 200: json('The profile (a merged-away id finds the profile it was merged into).', object({ profile: schemaRef('ProfileWithAudiences') })) },
        errors: [404],
      }),
    },
    '/api/v1/profiles/{id}/audiences': {
      get: op(TAG, {
        id: 'listProfileAudiences', summary: 'The audiences of a profile', auth: 'admin', params: [profileId],
        responses: { 200: json('Its audiences.', object({ audiences: arrayOf(schemaRef('AudienceMembership')) })) },
        errors: [404],
      }),
    },
    '/api/v1/audiences': {
      post: op(TAG, {
        id: 'createAudience', summary: 'Create an audience', auth: 'admin',
        description: 'A rule is evaluated over existing profiles in the background (`backfilledAt` is null until done).',
        body: jsonBody(schemaRef('AudienceInput')),
        responses: { 201: json('The audience.', object({ audience: schemaRef('Audience') })) },
        errors: [409],
      }),
      get: op(TAG, {
        id: 'listAudiences', summary: 'List audiences', auth: 'admin',
        responses: { 200: json('Every audience of the space.', object({ audiences: arrayOf(schemaRef('Audience')) })) },
      }),
    },
    '/api/v1/audiences/{id}': {
      get: op(TAG, {
        id: 'getAudience', summary: 'An audience', auth: 'admin', params: [audienceId],
        responses: { 200: json('The audience.', object({ audience: schemaRef('Audience') })) },
        errors: [404],
      }),
      put: op(TAG, {
        id: 'updateAudience', summary: 'Replace an audience', auth: 'admin', params: [audienceId],
        body: jsonBody(schemaRef('AudienceInput')),
        responses: { 200: json('The audience.', object({ audience: schemaRef('Audience') })) },
        errors: [404, 409],
      }),
      delete: op(TAG, {
        id: 'deleteAudience', summary: 'Delete an audience and its memberships', auth: 'admin', params: [audienceId],
        responses: { 204: noContent },
        errors: [404],
      }),
    },
    '/api/v1/audiences/{id}/members': {
      get: op(TAG, {
        id: 'listAudienceMembers', summary: 'Member profile ids, in id order', auth: 'admin', params: [audienceId, ...pageParams],
        responses: { 200: json('A page of members.', object({ profileIds: arrayOf(str()), nextCursor })) },
        errors: [404],
      }),
      post: op(TAG, {
        id: 'changeAudienceMembers', summary: 'Add or remove profiles explicitly', auth: 'admin', params: [audienceId],
        description: 'An explicit remove overrides the rule. At most 1,000 profiles per list; every profile must exist (404 names the first that does not).',
        body: jsonBody({
          type: 'object',
          additionalProperties: false,
          properties: { add: refList, remove: refList },
          anyOf: [
            { required: ['add'], properties: { add: { minItems: 1 } } },
            { required: ['remove'], properties: { remove: { minItems: 1 } } },
          ],
        }),
        responses: {
          200: json('How many were added and removed.', object({ added: { type: 'integer', minimum: 0 }, removed: { type: 'integer', minimum: 0 } })),
        },
        errors: [404],
      }),
    },
    '/api/v1/catalog/events': {
      get: op(TAG, {
        id: 'listCatalogEvents', summary: 'The event catalog: track event names and their property keys', auth: 'admin',
        responses: { 200: json('Every event name seen.', object({ events: arrayOf(schemaRef('CatalogEvent')) })) },
      }),
    },
    '/api/v1/catalog/events/{name}': {
      get: op(TAG, {
        id: 'getCatalogEvent', summary: 'One event of the catalog', auth: 'admin', params: [pathParam('name', 'The event name.')],
        responses: { 200: json('The event.', object({ event: schemaRef('CatalogEvent') })) },
        errors: [404],
      }),
    },
    '/api/v1/events': {
      get: op(TAG, {
        id: 'listEvents', summary: 'The event log, newest first', auth: 'admin',
        params: [
          queryParam('type', 'Only messages of this type.', { type: 'string', enum: MESSAGE_TYPES }),
          queryParam('userId', 'Only messages with this userId.'),
          queryParam('anonymousId', 'Only messages with this anonymousId.'),
          queryParam('event', 'Only track events of this name (or pages and screens of this name).'),
          { $ref: '#/components/parameters/limit' },
          { $ref: '#/components/parameters/cursor' },
        ],
        responses: { 200: json('A page of messages.', object({ events: arrayOf(schemaRef('StoredEvent')), nextCursor })) },
      }),
    },
  },
};
