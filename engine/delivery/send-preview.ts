import type { Clock } from '../clock.ts';
import { EngineError, invalidRequest, notFound } from '../errors.ts';
import { objectWithKeys } from '../http/object-body.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryRecord } from '../store/delivery-store.ts';
import type { ProfileRecord } from '../store/profile-store.ts';
import type { InstanceRecord } from '../store/instance-store.ts';
import type { JourneyDefinition, SendSpec } from '../journeys/definition/journey-definition.ts';
import type { JourneyService } from '../journeys/journey-service.ts';
import type { ProfileFinder } from '../profiles/profile-finder.ts';
import { blankProfile } from '../profiles/apply-event.ts';
import { buildPayload } from '../journeys/runtime/steps/send-step.ts';
import type { DestinationService } from '../destination-instances/destination-service.ts';
import { applyMapping, mapEvent } from '../../mappings/map-event.ts';
import type { MappingProblem } from '../../mappings/mapping-problem.ts';
import type { SendEvent } from '../../mappings/send-event.ts';
import type { DeliveryTargets } from './delivery-targets.ts';
import { followMerges } from '../profiles/resolve-profile.ts';
import { newId } from '../ids.ts';
import type { EventRecord } from '../store/event-store.ts';
import { identifierOf } from '../journeys/runtime/run.ts';
import { readPath } from '../conditions/read-path.ts';
import { identifierPathOf } from '../journeys/runtime/live-journeys.ts';

/** What to preview a send with: a sample entry event (and optionally whose traits), or a recorded instance. */
export interface PreviewInput {
  /** `draft` (default when there is one), `live`, or a version number. */
  version: 'draft' | 'live' | number;
  event?: Record<string, unknown>;
  userId?: string;
  instanceId?: string;
}

/** The event a send would carry and the payload its mapping makes of it (or every problem). */
export interface Preview {
  stepId: string;
  target: SendSpec['target'] | null;
  event: SendEvent;
  payload: Record<string, unknown> | null;
  problems: MappingProblem[];
}

/**
 * Preview and test-send of a journey's send step: builds the exact event a send would carry
 * (from a sample event or a recorded instance), applies the step's mapping as the destination
 * action will, and for a test sends it for real and answers the destination's response.
 */
export class SendPreview {
  readonly #o: { store: Store; journeys: JourneyService; profiles: ProfileFinder; destinations: DestinationService; targets: DeliveryTargets; clock: Clock };

  constructor(options: { store: Store; journeys: JourneyService; profiles: ProfileFinder; destinations: DestinationService; targets: DeliveryTargets; clock: Clock }) {
    this.#o = options;
  }

  async preview(spaceId: string, journeyId: string, stepId: string, input: PreviewInput): Promise<Preview> {
    return (await this.#build(spaceId, journeyId, stepId, input, 'preview')).preview;
  }

  /**
   * The preview and the send step it was made from. `sampleInstance`: the instance id a sample
   * event stands in (a test-send gets a new one each time, so a receiver that honours the
   * idempotency key never drops a second test as a repeat of the first).
   */
  async #build(spaceId: string, journeyId: string, stepId: string, input: PreviewInput, sampleInstance: string): Promise<{ preview: Preview; spec: SendSpec }> {
    const { doc, version } = await this.#definition(spaceId, journeyId, input.version);
    const spec = sendOf(doc, stepId);
    return { spec, preview: await this.#previewOf(spaceId, stepId, spec, await this.#event(spaceId, journeyId, doc, version, stepId, spec, input, sampleInstance)) };
  }

  async #previewOf(spaceId: string, stepId: string, spec: SendSpec, event: SendEvent): Promise<Preview> {
    const target = spec.target ?? null;
    if (!target) return { stepId, target, event, payload: null, problems: [] };
    if (target.type === 'function') {
      // A function receives the event itself, or what the step's mapping makes of it.
      const mapping = spec.mapping ?? {};
      if (Object.keys(mapping).length === 0) return { stepId, target, event, payload: event as unknown as Record<string, unknown>, problems: [] };
      const mapped = applyMapping(mapping, event, { basePath: '/mapping' });
      return mapped.ok ? { stepId, target, event, payload: mapped.payload, problems: [] } : { stepId, target, event, payload: null, problems: mapped.problems };
    }
    const fields = (await this.#o.destinations.actionsOf(spaceId)(target.destinationId))?.actions[target.action];
    if (!fields) {
      throw new EngineError('invalid_request', `step '${stepId}' sends to destination '${target.destinationId}' action '${target.action}', which this space does not have`, { path: '/target' });
    }
    const mapped = mapEvent(fields, spec.mapping ?? {}, event, { basePath: '/mapping' });
    return mapped.ok ? { stepId, target, event, payload: mapped.payload, problems: [] } : { stepId, target, event, payload: null, problems: mapped.problems };
  }

  /** Sends the previewed event to the step's destination for real; answers the outcome and the destination's response. */
  async test(spaceId: string, journeyId: string, stepId: string, input: PreviewInput) {
    const { preview, spec } = await this.#build(spaceId, journeyId, stepId, input, `test_${newId()}`);
    if (!preview.target) {
      throw new EngineError('invalid_request', `step '${stepId}' has no destination or function to send to`, { path: '/target' });
    }
    const now = this.#o.clock.now();
    const at = new Date(now).toISOString();
    const key = preview.event.messageId;
    const delivery: DeliveryRecord = {
      id: `test_${now}`, spaceId, journeyId, version: preview.event.context.journey.version, instanceId: preview.event.context.journey.instance_id,
      profileId: '', stepId, idempotencyKey: key, activationKey: preview.event.context.journey.activation_key, eventName: preview.event.event,
      target: preview.target, payload: preview.event as unknown as Record<string, unknown>, mapping: spec.mapping ?? {},
      status: 'pending', nextAttemptAt: null, attempts: 0, windowAttempts: 0, attemptLog: [], firstAttemptAt: null, reason: null, deliveredAt: null, createdAt: at, updatedAt: at, rev: 0,
    };
    const resolution = await this.#o.targets.resolve(delivery);
    if ('failed' in resolution) return { ...preview, result: { outcome: 'failed', reason: resolution.failed, status: null, response: null, durationMs: 0 } };
    const started = performance.now();
    const result = await resolution.target.send(delivery);
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    return {
      ...preview,
      result: {
        outcome: result.verdict.kind, reason: result.verdict.kind === 'delivered' ? null : result.verdict.reason,
        status: result.status, response: result.response, durationMs,
      },
    };
  }

  async #definition(spaceId: string, journeyId: string, wanted: PreviewInput['version']): Promise<{ doc: JourneyDefinition; version: number }> {
    const journey = await this.#o.journeys.get(spaceId, journeyId);
    if (wanted === 'draft' && journey.draft) return { doc: journey.draft, version: journey.draftVersion ?? 1 };
    const number = typeof wanted === 'number' ? wanted : journey.liveVersion;
    if (number === null) throw new EngineError('conflict', `journey '${journeyId}' has no ${wanted === 'live' ? 'live version' : 'draft'} to send from`, { path: '/version' });
    const version = await this.#o.store.journeys.getVersion(spaceId, journeyId, number);
    if (!version) throw notFound(`version ${number} of journey`, journeyId);
    return { doc: version.definition, version: number };
  }

  async #event(
    spaceId: string, journeyId: string, doc: JourneyDefinition, version: number, stepId: string, spec: SendSpec, input: PreviewInput, sampleInstance: string,
  ): Promise<SendEvent> {
    let instance: Pick<InstanceRecord, 'id' | 'context' | 'identifier' | 'iteration'>;
    let profile: ProfileRecord | null;
    let sampleUserId: string | null = null;
    if (input.instanceId !== undefined) {
      const found = await this.#o.store.instances.get(spaceId, input.instanceId);
      if (!found || found.journeyId !== journeyId) throw notFound('instance of this journey', input.instanceId);
      instance = found;
      const own = await this.#o.store.profiles.get(spaceId, found.profileId);
      // Merged since it entered: its traits are the live profile's now.
      profile = own && own.mergedInto !== null ? (await followMerges(this.#o.store.profiles, own))?.profile ?? own : own;
    } else {
      const sample = input.event!;
      // A draft is saved as written: a sample event needs an entry event to stand for.
      const entryEvent = (doc.entry as { event?: unknown } | undefined)?.event;
      if (typeof entryEvent !== 'string' || entryEvent === '') {
        throw invalidRequest('this version has no entry event yet: a sample event stands for it (give `instanceId` or set entry.event)', '/entry/event');
      }
      const message = { type: 'track', event: entryEvent, ...sample };
      // The session a real entry of this event would start: its identifier value, as the runtime reads it.
      // A draft is saved as written: its identifier path may be anything but a string.
      const path: unknown = identifierPathOf(doc);
      const identifier = typeof path === 'string' ? identifierOf({ message } as unknown as EventRecord, path, readPath) ?? null : null;
      instance = { id: sampleInstance, context: { [entryEvent]: message }, identifier, iteration: 0 };
      // The person is `userId`, else the sample's own user, as a real send of that event would be.
      const userId = input.userId ?? nonEmpty(sample['userId']);
      const anonymousId = nonEmpty(sample['anonymousId']);
      profile = userId !== undefined ? await this.#o.profiles.byRef(spaceId, { userId })
        : anonymousId !== undefined ? await this.#o.profiles.byRef(spaceId, { anonymousId }) : null;
      sampleUserId = userId ?? null;
    }
    const now = this.#o.clock.now();
    const person = profile ?? { ...blankProfile('preview', spaceId, new Date(now).toISOString(), new Date(now).toISOString()), userId: sampleUserId };
    const source = { instance, env: { now, profile: person, journeyId, journeyName: doc.name, version } };
    // The key a send from this instance at its current loop iteration carries.
    return buildPayload(source, spec, stepId, `${instance.id}:${stepId}:${instance.iteration}`);
  }
}

/** The send spec of a send step, or of an exit rule's send (by rule id). */
function sendOf(doc: JourneyDefinition, stepId: string): SendSpec {
  // A draft is saved as written (validation happens at publish): its lists may be missing or malformed.
  const listOf = <T>(value: unknown): T[] => (Array.isArray(value) ? value.filter((v): v is T => typeof v === 'object' && v !== null) : []);
  const step = listOf<JourneyDefinition['steps'][number]>(doc.steps).find((s) => s.id === stepId);
  if (step?.type === 'send') return step;
  const rule = listOf<NonNullable<JourneyDefinition['exitRules']>[number]>(doc.exitRules).find((r) => r.id === stepId);
  if (rule?.send) return rule.send;
  if (step) throw invalidRequest(`step '${stepId}' is a ${step.type} step, not a send`, '/stepId');
  throw notFound('send step', stepId);
}

/** Reads a preview/test body; throws invalid_request with the path of the first bad field. */
export function parsePreviewInput(body: unknown): PreviewInput {
  const b = objectWithKeys(body === undefined ? {} : body, ['version', 'event', 'userId', 'instanceId']);
  const version = b['version'] === undefined ? 'draft' : b['version'];
  if (version !== 'draft' && version !== 'live' && !(typeof version === 'number' && Number.isInteger(version) && version >= 1)) {
    throw invalidRequest("version must be 'draft', 'live' or a version number", '/version');
  }
  const input: PreviewInput = { version };
  if (b['instanceId'] !== undefined) {
    if (typeof b['instanceId'] !== 'string' || b['instanceId'] === '') throw invalidRequest('instanceId must be an instance id', '/instanceId');
    input.instanceId = b['instanceId'];
  }
  if (b['event'] !== undefined) {
    const event = b['event'];
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidRequest('event must be a Segment track message (an object)', '/event');
    input.event = event as Record<string, unknown>;
  }
  if ((input.event === undefined) === (input.instanceId === undefined)) {
    throw invalidRequest('give either a sample `event` or a recorded `instanceId`', input.event ? '/instanceId' : '/event');
  }
  if (b['userId'] !== undefined) {
    if (typeof b['userId'] !== 'string' || b['userId'] === '') throw invalidRequest('userId must be a non-empty string', '/userId');
    input.userId = b['userId'];
  }
  return input;
}

/** A string id given in a sample event, or undefined. */
function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
