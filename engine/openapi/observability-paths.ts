import { CONDITION_OPERATORS } from '../conditions/condition.ts';
import { ENTRY_CHECKS } from '../journeys/runtime/entry-decision.ts';
import { MAX_TIMELINE_ENTRIES } from '../observability/instance-timeline.ts';
import { JOURNEY_STATUSES } from './journey-paths.ts';
import { ACTIVITY_TYPES } from '../store/activity-store.ts';
import {
  arrayOf, json, nextCursor, nullable, object, op, pageParams, pathParam, queryParam, schemaRef, str, timestamp,
  type ApiArea, type Schema,
} from './operation-parts.ts';

const TAG = 'Journey observability';

const count: Schema = { type: 'integer', minimum: 0 };
const counts = (description: string): Schema => ({ type: 'object', additionalProperties: count, description });
/** `?from=` / `?to=`: what engine/observability/time-range.ts reads. */
const instant: Schema = { type: 'string', anyOf: [{ format: 'date-time' }, { format: 'date' }] };
const INSTANT = 'ISO-8601 date or date-time; without an offset, UTC';

const schemas: Record<string, Schema> = {
  JourneyStats: object({
    journeyId: str(),
    from: { ...nullable(timestamp), description: 'Start of the hour-aligned range the flows cover; null: since the journey began.' },
    to: { ...nullable(timestamp), description: 'End of the range; null: up to now.' },
    entered: count,
    active: { ...count, description: 'Now, whatever the range (as are steps.*.waiting and deliveries.retrying).' },
    completed: count,
    exited: count,
    exitedBy: counts('Exits by cause: `rule:<id>`, `goal:<id>`, `archived`, `step_limit`, `missing_step`.'),
    converted: count,
    conversions: {
      type: 'object',
      description: 'Per conversion goal id.',
      additionalProperties: object({ converted: count, rate: nullable({ type: 'number', minimum: 0, maximum: 1 }) }),
    },
    triggersIgnored: count,
    triggersIgnoredBy: counts('Ignored triggers by entry check.'),
    eventsIgnored: count,
    steps: {
      type: 'object',
      description: 'Per step id.',
      additionalProperties: object({
        reached: count, waiting: count, branches: counts('Per branch id.'), sends: count, sendsSkipped: count,
      }),
    },
    deliveries: object({ sent: count, retrying: count, failed: count }),
  }, { description: 'What happened in a journey over a time range.' }),
  EntryExplanation: object({
    journeyId: str(),
    version: { type: 'integer', description: 'The version evaluated.' },
    messageId: str(),
    eventId: str(),
    profileId: { ...nullable(str()), description: "The person's profile; null when it does not exist (yet)." },
    wouldEnter: { type: 'boolean' },
    firstFailure: { ...nullable({ type: 'string', enum: ENTRY_CHECKS }), description: 'Where the runtime stops; null when every check passes.' },
    checks: arrayOf(object({
      check: { type: 'string', enum: ENTRY_CHECKS },
      passed: { type: 'boolean' },
      detail: str(),
      conditions: arrayOf(object({
        path: str(),
        operator: { type: 'string', enum: CONDITION_OPERATORS },
        value: {},
        ignoreCase: { type: 'boolean' },
        index: count,
        passed: { type: 'boolean' },
        found: { description: 'What the path found in the event (absent when it found nothing).' },
      }, { optional: ['value', 'ignoreCase', 'found'] }), 'conditions: each entry condition with its outcome.'),
      instances: arrayOf(object({
        id: str(), version: { type: 'integer' }, status: str(), identifier: nullable(str()), enteredAt: timestamp, stepId: nullable(str()),
      }), 're_entry: the stored instances the outcome rests on.'),
    }, { optional: ['conditions', 'instances'] }), 'Every entry check, in the order the runtime applies them.'),
    recorded: arrayOf(schemaRef('ActivityRecord'), 'What the engine recorded for this event in this journey.'),
  }, { description: "Whether a person's event enters the journey, and why (not)." }),
  InstanceTimeline: object({
    instance: schemaRef('Instance'),
    steps: arrayOf(object({
      stepId: str(), reachedAt: timestamp, leftAt: nullable(timestamp), durationMs: nullable({ type: 'number', minimum: 0 }),
    }), 'The steps the instance went through, in order.'),
    entries: arrayOf(object({
      id: str(),
      type: { type: 'string', enum: ACTIVITY_TYPES },
      version: { type: 'integer' },
      stepId: nullable(str()),
      eventId: nullable(str()),
      at: timestamp,
      reason: nullable(str()),
      data: nullable({ type: 'object' }),
      contextKeys: arrayOf(str(), 'Keys of the journey context after this record.'),
      contextAdded: { type: 'object', description: 'What this record added to the journey context (the entry event, a hold-until event).' },
    }, { optional: ['contextAdded'] }), `Its activity records, oldest first (at most ${MAX_TIMELINE_ENTRIES}).`),
    truncated: { type: 'boolean', description: `True when the instance has more than ${MAX_TIMELINE_ENTRIES} records (the oldest are shown).` },
    deliveries: arrayOf(schemaRef('Delivery')),
  }),
  ProfileJourneys: object({
    profile: schemaRef('Profile'),
    journeys: arrayOf(object({
      journeyId: str(),
      name: nullable(str()),
      status: nullable({ type: 'string', enum: JOURNEY_STATUSES }),
      entries: count,
      firstEnteredAt: nullable(timestamp),
      lastEnteredAt: nullable(timestamp),
      active: arrayOf(object({
        instanceId: str(),
        version: { type: 'integer' },
        stepId: nullable(str()),
        identifier: nullable(str()),
        enteredAt: timestamp,
        waitingUntil: nullable(timestamp),
      })),
      lastActivity: nullable(object({
        type: { type: 'string', enum: ACTIVITY_TYPES },
        at: timestamp,
        reason: nullable(str()),
        instanceId: nullable(str()),
        stepId: nullable(str()),
      })),
    })),
  }, { description: 'Every journey a person entered (through any profile merged into it), most recently entered first.' }),
};

const journeyId = pathParam('id', 'A journey id.');

/** Why people are (or are not) in journeys: activity, statistics, explanations, timelines. */
export const observabilityArea: ApiArea = {
  tag: { name: TAG, description: 'What happened in journeys, to whom, and why.' },
  schemas,
  paths: {
    '/api/v1/journeys/{id}/activity': {
      get: op(TAG, {
        id: 'listJourneyActivity', summary: "A journey's activity log, newest first", auth: 'admin',
        description: 'Give at most one of userId, anonymousId, email, profileId to see one person’s activity (an unknown person has none).',
        params: [
          journeyId,
          queryParam('from', `Only activity at or after this time (${INSTANT}).`, instant),
          queryParam('to', `Only activity before this time (${INSTANT}).`, instant),
          queryParam('userId', 'Only activity of the profile with this userId.'),
          queryParam('anonymousId', 'Only activity of the profile with this anonymousId.'),
          queryParam('email', 'Only activity of the profile with this email.'),
          queryParam('profileId', 'Only activity of this profile.'),
          queryParam('instanceId', 'Only activity of this instance.'),
          queryParam('type', 'Only activity of this type.', { type: 'string', enum: ACTIVITY_TYPES }),
          queryParam('step', 'Only activity at this step id.'),
          ...pageParams,
        ],
        responses: { 200: json('A page of activity.', object({ activity: arrayOf(schemaRef('ActivityRecord')), nextCursor })) },
        errors: [404],
      }),
    },
    '/api/v1/journeys/{id}/stats': {
      get: op(TAG, {
        id: 'getJourneyStats', summary: 'Entries, exits, conversions, per-step and delivery counts', auth: 'admin',
        params: [
          journeyId,
          queryParam('from', `Start of the range (${INSTANT}); flows are counted by whole hours.`, instant),
          queryParam('to', `End of the range (${INSTANT}).`, instant),
        ],
        responses: { 200: json('The statistics.', object({ stats: schemaRef('JourneyStats') })) },
        errors: [404],
      }),
    },
    '/api/v1/journeys/{id}/explain': {
      get: op(TAG, {
        id: 'explainJourneyEntry', summary: "Why a person's event did (or would) enter the journey or not", auth: 'admin',
        description: 'Give exactly one of userId, anonymousId. The event must be recorded in this space.',
        params: [
          journeyId,
          queryParam('messageId', 'The Segment messageId of the recorded event to evaluate.', { type: 'string', minLength: 1 }, true),
          queryParam('userId', 'The person, by userId.'),
          queryParam('anonymousId', 'The person, by anonymousId.'),
          queryParam('version', 'The version to evaluate (default: the live one).', { type: 'integer', minimum: 1, maximum: 999_999_999 }),
        ],
        responses: { 200: json('The explanation.', object({ explain: schemaRef('EntryExplanation') })) },
        errors: [404, 409],
      }),
    },
    '/api/v1/instances/{id}/timeline': {
      get: op(TAG, {
        id: 'getInstanceTimeline', summary: 'An instance step by step: steps with durations, activity with context, deliveries', auth: 'admin',
        params: [pathParam('id', 'An instance id.')],
        responses: { 200: json('The timeline.', schemaRef('InstanceTimeline')) },
        errors: [404],
      }),
    },
    '/api/v1/profiles/{profileId}/journeys': {
      get: op(TAG, {
        id: 'listProfileJourneys', summary: 'The journeys a person has been in, with active instances and last activity', auth: 'admin',
        params: [pathParam('profileId', 'A profile id.')],
        responses: { 200: json('The journeys.', schemaRef('ProfileJourneys')) },
        errors: [404],
      }),
    },
  },
};
