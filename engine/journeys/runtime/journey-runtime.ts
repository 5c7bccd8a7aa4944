import type { Clock } from '../../clock.ts';
import type { Logger } from '../../logger.ts';
import type { Store } from '../../store/store.ts';
import type { EventRecord } from '../../store/event-store.ts';
import type { InstanceRecord } from '../../store/instance-store.ts';
import type { DeliveryRecord } from '../../store/delivery-store.ts';
import type { ProfileRecord } from '../../store/profile-store.ts';
import type { AudienceService } from '../../audiences/audience-service.ts';
import type { ProfileService } from '../../profiles/profile-service.ts';
import { newId } from '../../ids.ts';
import type { ArrivalFence } from '../../ingest/arrival-fence.ts';
import { readPath } from '../../conditions/read-path.ts';
import { identifierOf } from './run.ts';
import { runInstance, type RunInput } from './run-instance.ts';
import type { RunEnv } from './run.ts';
import { checkAcceptingEntries, checkLive, checkTrigger, entryTargets, isTrackEvent, type EntryRefusal } from './entry-decision.ts';
import { activeConflict, checkAudience, checkReentry, storedReentryFacts, triggerInstanceId, legacyTriggerInstanceId } from './profile-entry-checks.ts';
import { InstanceWriter } from './instance-writer.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { LiveJourneys, LiveVersion, JourneyEntryState } from './live-journeys.ts';
import { followMerges } from '../../profiles/resolve-profile.ts';
import { stickyKey } from './sticky-key.ts';
import { encodeTime } from 'ulid';

/** Dependencies of the journey runtime. */
export interface JourneyRuntimeDeps {
  store: Store;
  live: LiveJourneys;
  clock: Clock;
  audiences: AudienceService;
  profiles: ProfileService;
  logger: Logger;
  /** Called with every timer an instance write sets, so the timer loop can wake earlier. */
  onTimer?: (at: number) => void;
  /** Called with deliveries once recorded, so the dispatcher sends them at once (once on disk). */
  onDeliveries?: (deliveries: DeliveryRecord[]) => void;
  random?: () => number;
  /** Arrivals stamped but not yet committed (this process's ingest): timers never fire past them. */
  arrivals?: ArrivalFence;
}

const MAX_WRITE_ATTEMPTS = 5;
/** How long a timer whose instance cannot even exit is put off. */
const FAILED_TIMER_RETRY_MS = 60_000;
/** Earlier instances of a profile read to date the end of its last one with an identifier value. */
const EARLIER_INSTANCES_READ = 500;
const EPOCH = new Date(0).toISOString();
/** The ordering keys of an event that enters nobody through a property (shared: callers only read it). */
const NO_KEYS: readonly string[] = Object.freeze([]);
/** How much longer than its nominal length a calendar goal window can be (P1M from Jan 31, DST days). */
const LATE_GOAL_SLACK_MS = 4 * 24 * 3_600_000;
/** Ended instances of one profile and journey offered a late goal event, per status (the earliest entered within the window first). */
const LATE_GOAL_INSTANCES = 200;
const NO_AUDIENCES: ReadonlySet<string> = new Set();

/**
 * Runs journeys: starts instances on trigger events, routes follow-up events to a profile's
 * instances, fires due timers, and exits instances of archived versions. Work on one profile is
 * serialized (events and timers alike); different profiles run in parallel.
 */
export class JourneyRuntime {
  readonly #deps: JourneyRuntimeDeps;
  readonly #locks = new KeyedMutex();
  readonly #writer: InstanceWriter;
  /** Events received before this (ms) may have been entered by an older engine under a hash-only id. */
  #legacyIdsBefore = Number.POSITIVE_INFINITY;

  constructor(deps: JourneyRuntimeDeps) {
    this.#deps = deps;
    this.#writer = new InstanceWriter(deps.store, deps.onDeliveries);
  }

  /**
   * This process became the processor at `at`: only events received before it can have been
   * applied by another engine, so only their entries look for an instance under the hash-only id
   * of engines before time-ordered ids. Why: that lookup almost always misses, and it was one more
   * point read on every entry.
   */
  processingSince(at: number): void {
    this.#legacyIdsBefore = at;
  }

  /**
   * Extra ordering keys for an event: users it may enter into journeys through an event property.
   * Answered at once (no promise) when the event starts no journey, the common case.
   */
  orderingKeys(event: EventRecord): readonly string[] | Promise<string[]> {
    if (!isTrackEvent(event) || this.#deps.live.quietFor(event.spaceId, event.name)) return NO_KEYS;
    return this.#propertyKeys(event);
  }

  async #propertyKeys(event: EventRecord & { name: string }): Promise<string[]> {
    const keys: string[] = [];
    for (const path of await this.#deps.live.propertyEntries(event.spaceId, event.name)) {
      const raw = readPath(path, event.message);
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (typeof value === 'string' || typeof value === 'number') keys.push(`userId:${String(value)}`);
      }
    }
    return keys;
  }

  /**
   * Applies a processed event: follow-ups to the profile's instances, then entries. `late`: it
   * became visible after newer events of the profile were applied (see EventProcessor).
   */
  handleEvent(event: EventRecord, profile: ProfileRecord, options: { late?: boolean } = {}): Promise<void> | null {
    // Null when nothing can happen: no profile lock taken, no promise made (see LiveJourneys.quietFor).
    if (!isTrackEvent(event) || this.#deps.live.quietFor(event.spaceId, event.name)) return null;
    return this.#handle(event, profile, options.late ?? false);
  }

  async #handle(event: EventRecord & { name: string }, profile: ProfileRecord, late: boolean): Promise<void> {
    await this.#locks.run(profile.id, () => this.#followUps(event, profile, late));
    for (const { state, version } of await this.#deps.live.entriesFor(event.spaceId, event.name)) {
      try {
        await this.#entries(event, profile, state, version);
      } catch (error) {
        // One journey failing for a reason of its own must not keep the event from the others.
        if (this.#deps.store.isTransientError(error)) throw error;
        this.#deps.logger.error('entry failed', { eventId: event.id, journeyId: version.record.journeyId, version: version.record.version, error });
      }
    }
  }

  /** Fires up to `limit` due timers; answers how many instances were due. */
  async fireDue(limit: number): Promise<number> {
    const mark = await this.#watermark();
    // An arrival is being stamped right now: fire nothing this round (the next one is moments away).
    if (mark === null) return 0;
    const due = await this.#deps.store.instances.due(mark, limit);
    const byProfile = new Map<string, InstanceRecord[]>();
    for (const i of due) byProfile.set(i.profileId, [...(byProfile.get(i.profileId) ?? []), i]);
    await Promise.all([...byProfile].map(([profileId, instances]) => this.#locks.run(profileId, async () => {
      for (const instance of instances) {
        try {
          await this.#advance(instance, { kind: 'timer' }, null);
        } catch (error) {
          if (this.#deps.store.isTransientError(error)) throw error;
          await this.#timerFailed(instance, error);
        }
      }
    }).catch((error: unknown) => this.#deps.logger.error('timer failed', { profileId, error }))));
    return due.length;
  }

  /**
   * A timer whose run failed for a reason of its own (not the store's): the instance exits, with
   * the reason recorded. Why: left as it was, it stays due and the timer loop runs it again at
   * once, for ever, holding up its profile.
   */
  async #timerFailed(instance: InstanceRecord, error: unknown): Promise<void> {
    this.#deps.logger.error('timer failed; the instance exits', { instanceId: instance.id, journeyId: instance.journeyId, error });
    const reason = `the engine could not run its timer: ${error instanceof Error ? error.message : String(error)}`;
    try {
      await this.#advance(instance, { kind: 'exit', reason, cause: 'engine_error' }, null);
    } catch (exitError) {
      if (this.#deps.store.isTransientError(exitError)) throw exitError;
      // Not even the exit runs: look at it again later rather than at once.
      const later = this.#deps.clock.now() + FAILED_TIMER_RETRY_MS;
      this.#deps.logger.error('exiting the instance failed too; its timer is put off', { instanceId: instance.id, until: new Date(later).toISOString(), error: exitError });
      await this.#deps.store.instances.update({ ...instance, wakeAt: later, rev: instance.rev + 1, outbox: [] }, instance.rev, instance);
    }
  }

  /**
   * Timers may fire up to now, but not past the oldest event still waiting to be processed: an
   * event that arrived before a hold's deadline must be seen before the hold times out (after a
   * restart with a backlog, for instance).
   */
  async #watermark(): Promise<number | null> {
    // The clock is read before the arrivals are: an arrival reserved after that scan is stamped later than `now`.
    const now = this.#deps.clock.now();
    const inFlight = this.#deps.arrivals?.earliest() ?? null;
    if (inFlight === 'hold') return null;
    const [oldest] = await this.#deps.store.events.pending(1);
    let mark = oldest ? Math.min(now, Date.parse(oldest.receivedAt) - 1) : now;
    if (inFlight !== null) mark = Math.min(mark, inFlight - 1);
    return mark;
  }

  /** The earliest pending timer of any instance. */
  nextWakeAt(): Promise<number | null> {
    return this.#deps.store.instances.nextWakeAt();
  }

  /** Exits every active instance of a journey version (archive); resumable. */
  async exitVersion(spaceId: string, journeyId: string, version: number, reason: string): Promise<number> {
    let exited = 0;
    for (;;) {
      const page = await this.#deps.store.instances.listByJourney(spaceId, journeyId, { status: 'active', version, after: null, limit: 500 });
      if (page.length === 0) return exited;
      for (const instance of page) {
        await this.#locks.run(instance.profileId, () => this.#advance(instance, { kind: 'exit', reason }, null));
        exited++;
      }
    }
  }

  /** Finishes outboxes left by a crash between an instance write and its effects. */
  async recoverOutboxes(): Promise<number> {
    let recovered = 0;
    for (;;) {
      const page = await this.#deps.store.instances.withOutbox(500);
      if (page.length === 0) return recovered;
      for (const instance of page) await this.#writer.materialize(instance);
      recovered += page.length;
    }
  }

  async #followUps(event: EventRecord, profile: ProfileRecord, late: boolean): Promise<void> {
    // No version listens to the event: no instance can advance on it (nor convert late), so none is read.
    if (event.name === null || !await this.#deps.live.listensTo(event.spaceId, event.name)) return;
    const refs = await this.#deps.store.instances.activeRefsForProfiles(event.spaceId, [profile.id, ...profile.mergedFrom]);
    for (const ref of refs) {
      const version = await this.#deps.live.version(ref.journeyId, ref.version);
      // Only instances whose version listens to this event are read at all.
      if (!version || !version.followUpEvents.has(event.name)) continue;
      const instance = await this.#deps.store.instances.get(event.spaceId, ref.id);
      if (instance && instance.status === 'active') await this.#advance(instance, { kind: 'event', event, late }, profile);
    }
    await this.#lateConversions(event, profile);
  }

  /**
   * A goal event for the profile's instances that have ended (completed or exited) while the
   * goal's window from their entry is still open: they convert all the same (product.md: an event
   * within the window records a conversion for that instance). Read only for events some goal
   * listens to, and only instances entered within the longest such window.
   */
  async #lateConversions(event: EventRecord, profile: ProfileRecord): Promise<void> {
    const versions = await this.#deps.live.withGoalOn(event.spaceId, event.name ?? '');
    if (versions.length === 0) return;
    const windows = new Map<string, number>();
    for (const v of versions) windows.set(v.record.journeyId, Math.max(windows.get(v.record.journeyId) ?? 0, v.goalWindows.get(event.name!)!));
    const profileIds = [profile.id, ...profile.mergedFrom];
    for (const [journeyId, windowMs] of windows) {
      // Calendar units (P1M) make a window up to a few days longer than its nominal length: the cut-off
      // only narrows the read, and each goal checks its own window exactly.
      const after = `ins_${encodeTime(Math.max(0, Date.parse(event.receivedAt) - windowMs - LATE_GOAL_SLACK_MS), 10)}`;
      for (const status of ['completed', 'exited'] as const) {
        const ended = await this.#deps.store.instances.listByJourney(event.spaceId, journeyId, { profileIds, status, after, limit: LATE_GOAL_INSTANCES });
        for (const instance of ended) await this.#advance(instance, { kind: 'goal', event }, profile);
      }
    }
  }

  /** Runs one instance on an input and writes the result, re-reading it after a concurrent change. */
  async #advance(start: InstanceRecord, input: RunInput, knownProfile: ProfileRecord | null): Promise<void> {
    let instance: InstanceRecord | null = start;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS && instance; attempt++) {
      await this.#writer.materialize(instance);
      const version = await this.#deps.live.version(instance.journeyId, instance.version);
      if (!version) return;
      const effective: RunInput = version.record.state === 'exiting' && input.kind !== 'exit'
        ? { kind: 'exit', reason: `version ${instance.version} was archived` } : input;
      const profile = knownProfile ?? await this.#liveProfile(instance.spaceId, instance.profileId);
      if (!profile) return;
      const now = this.#deps.clock.now();
      const waitsFrom = effective.kind === 'timer' && instance.wakeAt !== null ? Math.min(instance.wakeAt, now) : null;
      const env = { ...await this.#env(version, profile, instance.spaceId, instance, waitsFrom ?? now), ...(waitsFrom !== null ? { waitsFrom } : {}) };
      const result = runInstance(instance, effective, env);
      if (!result.changed) return;
      if (await this.#writer.update(result.instance, instance)) {
        if (result.instance.wakeAt !== null) this.#deps.onTimer?.(result.instance.wakeAt);
        return;
      }
      instance = await this.#deps.store.instances.get(start.spaceId, start.id);
    }
  }

  /**
   * The profile an instance runs with when no event brought one (timers, exits): the live one its
   * profile was merged into, if it was, so a run after a merge sees the joined traits, audiences and events.
   */
  async #liveProfile(spaceId: string, profileId: string): Promise<ProfileRecord | null> {
    const profile = await this.#deps.store.profiles.get(spaceId, profileId);
    if (!profile || profile.mergedInto === null) return profile;
    return (await followMerges(this.#deps.store.profiles, profile))?.profile ?? null;
  }

  /** The environment of a run now; look-backs reach back from `lookFrom` (a late timer's due time). */
  async #env(version: LiveVersion, profile: ProfileRecord, spaceId: string, instance: Pick<InstanceRecord, 'identifier' | 'triggerEventId'>, lookFrom?: number): Promise<RunEnv> {
    const d = version.definition;
    const now = this.#deps.clock.now();
    const recentEvents = await this.#recentEvents(version, profile, Math.min(lookFrom ?? now, now));
    return {
      spaceId, journeyId: version.record.journeyId, journeyName: d.name, version: version.record.version, definition: d,
      now, profile,
      // Read only when a data split of this version can test membership: runs are the timer hot path.
      audienceIds: version.usesAudiences ? await this.#deps.audiences.memberAudienceIds(spaceId, profile.id) : NO_AUDIENCES,
      ...(version.stickySplit ? { stickyKey: await stickyKey(this.#deps.store.instances, spaceId, version.record.journeyId, profile) } : {}),
      recentEvents,
      identifierPath: version.identifierPath,
      earlierEventsAfter: await this.#earlierEventsAfter(version, profile, spaceId, instance, recentEvents),
      random: this.#deps.random ?? Math.random, newId,
    };
  }

  /**
   * See RunEnv.earlierEventsAfter. The store is read only when a look-back candidate from before
   * the trigger could be the instance's (it carries its identifier value, when the journey has
   * one): rare, so runs stay free of the read.
   */
  async #earlierEventsAfter(
    version: LiveVersion, profile: ProfileRecord, spaceId: string, instance: Pick<InstanceRecord, 'identifier' | 'triggerEventId'>,
    recentEvents: readonly EventRecord[],
  ): Promise<string | null> {
    const path = version.identifierPath;
    const value = instance.identifier;
    if (path !== null && value === null) return null;
    const mine = (e: EventRecord) => path === null || identifierOf(e, path, readPath) === value;
    if (!recentEvents.some((e) => e.id < instance.triggerEventId && mine(e))) return null;
    const earlier = await this.#deps.store.instances.listByJourney(spaceId, version.record.journeyId, {
      profileIds: [profile.id, ...profile.mergedFrom], limit: EARLIER_INSTANCES_READ,
    });
    // Too many to be sure which ended last: such events do not count.
    if (earlier.length >= EARLIER_INSTANCES_READ) return null;
    let after = EPOCH;
    // Without an identifier the profile has one instance at a time: the last to end is what matters.
    for (const i of earlier) if ((path === null || i.identifier === value) && i.endedAt !== null && i.endedAt > after) after = i.endedAt;
    return after;
  }

  /** The profile's recent events a hold-until step of this version could look back on. */
  async #recentEvents(version: LiveVersion, profile: ProfileRecord, now: number): Promise<EventRecord[]> {
    if (!version.lookback) return [];
    const { events: names, longestMs } = version.lookback;
    const since = new Date(now - longestMs).toISOString();
    const wanted = profile.recentEvents.filter((e) => names.has(e.name) && e.receivedAt >= since);
    const events = await Promise.all(wanted.map((e) => this.#deps.store.events.get(profile.spaceId, e.id)));
    return events.filter((e): e is EventRecord => e !== null);
  }

  async #entries(event: EventRecord, performer: ProfileRecord, state: JourneyEntryState, version: LiveVersion): Promise<void> {
    const entry = version.definition.entry;
    // Only a backlog that arrived before this version was published fails here (entriesFor lists live versions): not recorded.
    if (!checkLive(state, version.record, event).ok) return;
    const trigger = checkTrigger(entry, event);
    if (!trigger.ok) return this.#ignore(event, performer.id, version, trigger);
    const accepting = checkAcceptingEntries(state);
    if (!accepting.ok) return this.#ignore(event, performer.id, version, accepting);
    const targets = entryTargets(entry, event);
    if ('none' in targets) return this.#ignore(event, performer.id, version, { check: 'who_enters', reason: targets.none });
    const profiles = 'performer' in targets
      ? [performer]
      : await Promise.all(targets.userIds.map((userId) => this.#deps.profiles.ensureUser(event.spaceId, userId, event.receivedAt)));
    for (const profile of profiles) {
      await this.#locks.run(profile.id, () => this.#enter(event, profile, version));
    }
  }

  async #enter(event: EventRecord, profile: ProfileRecord, version: LiveVersion): Promise<void> {
    const { store } = this.#deps;
    const d = version.definition;
    const journeyId = version.record.journeyId;
    const instanceId = triggerInstanceId(journeyId, profile.id, event.id);
    const existing = await store.instances.get(event.spaceId, instanceId)
      ?? (Date.parse(event.receivedAt) < this.#legacyIdsBefore
        ? await store.instances.get(event.spaceId, legacyTriggerInstanceId(journeyId, profile.id, event.id))
        : null);
    if (existing) {
      // This trigger already started its instance (before a crash): finish its effects, never record it as ignored.
      await this.#writer.materialize(existing);
      if (existing.wakeAt != null) this.#deps.onTimer?.(existing.wakeAt);
      return;
    }
    const audience = await checkAudience(d.entry, () => this.#deps.audiences.memberAudienceIds(event.spaceId, profile.id));
    if (!audience.ok) return this.#ignore(event, profile.id, version, audience);
    const identifier = identifierOf(event, version.identifierPath, readPath) ?? null;
    const reentry = await checkReentry(d, identifier, storedReentryFacts(store.instances, event.spaceId, journeyId, profile));
    if (!reentry.ok) return this.#ignore(event, profile.id, version, reentry);

    // One clock reading for the entry time and the first run, so timers measure from entry exactly.
    const env = await this.#env(version, profile, event.spaceId, { identifier, triggerEventId: event.id });
    const at = new Date(env.now).toISOString();
    const fresh: InstanceRecord = {
      id: instanceId,
      spaceId: event.spaceId, journeyId, version: version.record.version, profileId: profile.id, identifier,
      status: 'active', stepId: null, wait: null, wakeAt: null, context: { [event.name!]: event.message }, loops: {}, iteration: 0,
      conversions: {}, triggerEventId: event.id, lastEventId: event.id, consumedEventId: null,
      enteredAt: at, updatedAt: at, endedAt: null, endReason: null, outbox: [], rev: 0,
    };
    const result = runInstance(fresh, { kind: 'start' }, env);
    const inserted = await store.instances.insert(result.instance);
    if (inserted === 'active_conflict') return this.#ignore(event, profile.id, version, activeConflict(identifier));
    const stored = inserted === 'ok' ? result.instance : await store.instances.get(event.spaceId, fresh.id);
    if (stored && inserted === 'ok') await this.#writer.afterWrite(stored);
    else if (stored) await this.#writer.materialize(stored);
    if (stored?.wakeAt != null) this.#deps.onTimer?.(stored.wakeAt);
  }

  /** Records a trigger that started no instance, with the failed check and reason (idempotent per event, journey and profile). */
  async #ignore(event: EventRecord, profileId: string, version: LiveVersion, refusal: Pick<EntryRefusal, 'check' | 'reason'>): Promise<void> {
    await this.#deps.store.activities.append([{
      id: `${event.id}-${version.record.journeyId}-${profileId}`, spaceId: event.spaceId, journeyId: version.record.journeyId,
      version: version.record.version, instanceId: null, profileId, type: 'trigger_ignored', stepId: null, eventId: event.id,
      at: new Date(this.#deps.clock.now()).toISOString(), reason: refusal.reason, data: { check: refusal.check },
    }]);
  }
}
