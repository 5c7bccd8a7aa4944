import { EngineError, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { EventRecord } from '../store/event-store.ts';
import type { ActivityRecord } from '../store/activity-store.ts';
import type { ProfileRecord } from '../store/profile-store.ts';
import type { ProfileFinder } from '../profiles/profile-finder.ts';
import type { AudienceService } from '../audiences/audience-service.ts';
import { entryTargets, type EntryCheck } from '../journeys/runtime/entry-decision.ts';
import { legacyTriggerInstanceId, triggerInstanceId } from '../journeys/runtime/profile-entry-checks.ts';
import {
  acceptingOutcome, availabilityOutcome, conditionsOutcome, eventNameOutcome, eventTypeOutcome, liveOutcome, whoEntersOutcome,
  type CheckOutcome,
} from './explain-checks.ts';
import { audienceOutcome, reentryOutcome } from './explain-profile-checks.ts';

/** What explain needs: the store, profile lookups and current audience memberships. */
export interface EntryExplainerDeps {
  store: Store;
  profiles: ProfileFinder;
  audiences: Pick<AudienceService, 'memberAudienceIds'>;
}

/** One question: why did (or would) this person enter, or not, on this recorded event? */
export interface ExplainRequest {
  journeyId: string;
  messageId: string;
  person: { userId: string } | { anonymousId: string };
  /** The version to evaluate; the live one by default. */
  version?: number;
}

/** The answer: every entry check in the runtime's order, and what the runtime recorded for the event. */
export interface EntryExplanation {
  journeyId: string;
  version: number;
  messageId: string;
  eventId: string;
  /** The person's profile; null when it does not exist (yet). */
  profileId: string | null;
  wouldEnter: boolean;
  /** The first failed check: where the runtime stops (null when every check passes). */
  firstFailure: EntryCheck | null;
  checks: CheckOutcome[];
  /** This journey's `entered` and `trigger_ignored` records of the event, for the person (and the performer). */
  recorded: ActivityRecord[];
}

/** How far before the event's arrival a record of it is looked for (clocks of several engine processes may differ). */
const CLOCK_SKEW_MS = 3_600_000;
/** Pages of the profile's `trigger_ignored` records read at most while looking for the event's. */
const MAX_PAGES = 20;
const PAGE = 500;

/**
 * Evaluates a recorded event against a journey's entry with the checks the runtime applies, as
 * things are now (memberships, instances), for one person.
 */
export class EntryExplainer {
  readonly #d: EntryExplainerDeps;

  constructor(deps: EntryExplainerDeps) {
    this.#d = deps;
  }

  /** Explains one entry; throws not_found for an unknown journey, version, message or person, invalid_transition for a never-published journey. */
  async explain(spaceId: string, request: ExplainRequest): Promise<EntryExplanation> {
    const { store } = this.#d;
    const journey = await store.journeys.get(spaceId, request.journeyId);
    if (!journey) throw notFound('journey', request.journeyId);
    if (journey.liveVersion === null) {
      throw new EngineError('invalid_transition', `journey '${journey.id}' has never been published: there is no version to evaluate entry against`,
        { journeyId: journey.id, status: journey.status });
    }
    const versionNumber = request.version ?? journey.liveVersion;
    const version = await store.journeys.getVersion(spaceId, journey.id, versionNumber);
    if (!version) throw notFound(`version ${versionNumber} of journey`, journey.id);
    // The user's own event is found through their events; one they are listed in (who enters) needs the wider lookup.
    const event = ('userId' in request.person ? await store.events.findByMessageId(spaceId, request.messageId, { userId: request.person.userId }) : null)
      ?? await store.events.findByMessageId(spaceId, request.messageId);
    if (!event) throw new EngineError('not_found', `no event with messageId '${request.messageId}' was found in this space`, { messageId: request.messageId });

    const entry = version.definition.entry;
    const profile = await this.#d.profiles.byRef(spaceId, request.person);
    const performer = await this.#performer(event);
    const isPerformer = isOwnEvent(event, request.person) || (profile !== null && performer !== null && profile.id === performer.id);
    const userIds = [...new Set([...('userId' in request.person ? [request.person.userId] : []), ...(profile?.userIds ?? [])])];
    const targets = entryTargets(entry, event);
    const listed = 'userIds' in targets && userIds.some((id) => targets.userIds.includes(id));
    if (!isPerformer && !listed) throw this.#notTheirs(request, profile !== null);

    const checks: CheckOutcome[] = [
      liveOutcome(journey, version, event),
      eventTypeOutcome(event),
      eventNameOutcome(entry, event),
      conditionsOutcome(entry, event),
      availabilityOutcome(entry, event),
      acceptingOutcome(journey),
      whoEntersOutcome(entry, event, { isPerformer, userIds }),
      await audienceOutcome(version.definition, profile, (profileId) => this.#d.audiences.memberAudienceIds(spaceId, profileId)),
      await reentryOutcome(store.instances, version.definition, journey.id, event, profile),
    ];
    const firstFailure = checks.find((c) => !c.passed)?.check ?? null;
    return {
      journeyId: journey.id, version: version.version, messageId: event.messageId, eventId: event.id, profileId: profile?.id ?? null,
      wouldEnter: firstFailure === null, firstFailure, checks,
      recorded: await this.#recorded(event, journey.id, [profile, performer]),
    };
  }

  /** The profile that performed the event, as the runtime resolved it (its user id first). */
  async #performer(event: EventRecord): Promise<ProfileRecord | null> {
    if (event.userId !== null) return this.#d.profiles.byRef(event.spaceId, { userId: event.userId });
    if (event.anonymousId !== null) return this.#d.profiles.byRef(event.spaceId, { anonymousId: event.anonymousId });
    return null;
  }

  #notTheirs(request: ExplainRequest, hasProfile: boolean): EngineError {
    const [kind, value] = 'userId' in request.person ? ['userId', request.person.userId] : ['anonymousId', request.person.anonymousId];
    const message = hasProfile
      ? `the event with messageId '${request.messageId}' belongs to another profile than ${kind} '${value}', and does not list that user to enter`
      : `no profile with ${kind} '${value}' was found in this space, and the event with messageId '${request.messageId}' is not theirs`;
    return new EngineError('not_found', message, { messageId: request.messageId, [kind]: value });
  }

  /** The journey's `entered` and `trigger_ignored` records of this event for these profiles (and those merged into them). */
  async #recorded(event: EventRecord, journeyId: string, people: Array<ProfileRecord | null>): Promise<ActivityRecord[]> {
    const { activities } = this.#d.store;
    const profileIds = [...new Set(people.flatMap((p) => (p ? [p.id, ...p.mergedFrom] : [])))];
    if (profileIds.length === 0) return [];
    const found = new Map<string, ActivityRecord>();
    for (const profileId of profileIds) {
      for (const instanceId of [triggerInstanceId(journeyId, profileId, event.id), legacyTriggerInstanceId(journeyId, profileId, event.id)]) {
        const entered = await activities.list(event.spaceId, journeyId, { instanceId, type: 'entered', limit: 10 });
        for (const record of entered) found.set(record.id, record);
      }
    }
    // A trigger_ignored record is written when the event is processed, so after it arrived.
    const from = new Date(Date.parse(event.receivedAt) - CLOCK_SKEW_MS).toISOString();
    let after: { at: string; id: string } | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const records = await activities.list(event.spaceId, journeyId, { profileIds, type: 'trigger_ignored', from, after, limit: PAGE });
      for (const record of records) if (record.eventId === event.id) found.set(record.id, record);
      const last = records[records.length - 1];
      if (!last || records.length < PAGE) break;
      after = { at: last.at, id: last.id };
    }
    return [...found.values()].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  }
}

/** Whether the person named is the one whose ids the event carries (also before the event has been processed into a profile). */
function isOwnEvent(event: EventRecord, person: ExplainRequest['person']): boolean {
  return 'userId' in person ? event.userId === person.userId : event.anonymousId === person.anonymousId;
}
