import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import type { EventRecord } from '../store/event-store.ts';
import type { ProfileService } from '../profiles/profile-service.ts';
import type { AudienceService } from '../audiences/audience-service.ts';
import type { JourneyRuntime } from '../journeys/runtime/journey-runtime.ts';
import { catalogSightings } from '../catalog/catalog-sightings.ts';
import { groupByIdentity } from './group-by-identity.ts';
import type { ProcessingMetrics } from '../metrics/processing-metrics.ts';

/** Dependencies of the event processor. */
export interface EventProcessorDeps {
  store: Store;
  profiles: ProfileService;
  audiences: AudienceService;
  journeys: JourneyRuntime;
  logger: Logger;
  /** Events taken per round (default 500). */
  batchSize: number;
  /** How often to look for events stored by other processes when not woken (default 1000 ms). */
  idlePollMs?: number;
  /** Whether this process may apply events now (it holds the processing lease); always, when absent. */
  mayRun?: () => boolean;
  /** Counts the events processed. */
  metrics?: ProcessingMetrics;
}

/**
 * Turns stored events into state: profiles, audience memberships and the event catalog. It reads
 * the log in order, so after a crash it resumes from the last event marked processed; every
 * effect is idempotent, so re-processing the events of an interrupted round changes nothing.
 * Events of one profile are applied one after another; different profiles run in parallel.
 */
export class EventProcessor {
  readonly #deps: EventProcessorDeps;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #woken = false;
  #idleWaiters: Array<() => void> = [];
  /** The highest event id this processor marked processed (null until its first round). */
  #appliedUpTo: string | null = null;

  constructor(deps: EventProcessorDeps) {
    this.#deps = deps;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops after the current round. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  /** Tells the processor new events were stored. */
  wake(): void {
    // Not the processor: new events are the holder's to apply (it polls for them).
    if (this.#deps.mayRun && !this.#deps.mayRun()) return;
    this.#woken = true;
    this.#wake?.();
  }

  /** Resolves once every event stored so far has been processed (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    if ((await this.#deps.store.events.pending(1)).length === 0) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#woken = false;
      let events: EventRecord[] = [];
      const mayRun = this.#deps.mayRun?.() ?? true;
      try {
        // Another process is the processor: only watch whether the log is drained (for idle()).
        events = await this.#deps.store.events.pending(mayRun ? this.#deps.batchSize : 1);
        if (events.length > 0 && mayRun) await this.#processRound(events);
      } catch (error) {
        this.#deps.logger.error('event processing round failed; retrying', { error });
        await sleep(500);
        continue;
      }
      if (events.length === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      if (((events.length === 0 && !this.#woken) || !mayRun) && this.#running) await this.#sleepUntilWoken();
    }
  }

  #sleepUntilWoken(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#deps.idlePollMs ?? 1000);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }

  async #processRound(events: EventRecord[]): Promise<void> {
    const { store } = this.#deps;
    const keys = await Promise.all(events.map((e) => this.#keysOf(e)));
    const groups = groupByIdentity(events, (_e, i) => keys[i]!);
    // Every group finishes before a failed round is retried: no profile is ever worked on twice at once.
    const settled = await Promise.allSettled(groups.map((group) => this.#processGroup(group)));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    await store.catalog.record(catalogSightings(events));
    await store.events.markProcessed(events);
    this.#deps.metrics?.processed(events.length);
    for (const e of events) if (this.#appliedUpTo === null || e.id > this.#appliedUpTo) this.#appliedUpTo = e.id;
  }

  /** Identities of an event and the profiles they currently resolve to. */
  async #keysOf(event: EventRecord): Promise<string[]> {
    const keys: string[] = [];
    const ids: Array<['userId' | 'anonymousId', string]> = [];
    if (event.userId) ids.push(['userId', event.userId]);
    if (event.anonymousId) ids.push(['anonymousId', event.anonymousId]);
    if (event.type === 'alias' && event.message['previousId'] != null) {
      const previousId = String(event.message['previousId']);
      ids.push(['userId', previousId], ['anonymousId', previousId]);
    }
    for (const [kind, value] of ids) {
      keys.push(`${kind}:${value}`);
      const live = await this.#deps.store.profiles.liveProfileId(event.spaceId, kind, value);
      if (live) keys.push(`profile:${live}`);
    }
    // Users an event enters into journeys through a property are ordered with it too.
    const extra = this.#deps.journeys.orderingKeys(event);
    for (const key of Array.isArray(extra) ? extra : await extra) {
      keys.push(key);
      const live = await this.#deps.store.profiles.liveProfileId(event.spaceId, 'userId', key.slice('userId:'.length));
      if (live) keys.push(`profile:${live}`);
    }
    return keys;
  }

  async #processGroup(group: EventRecord[]): Promise<void> {
    for (const event of group) {
      try {
        // Ids are assigned at ingest, so with several ingesting processes an event can become
        // visible after newer ones were applied: below what this processor already marked
        // processed, a pending event is late, not a replay (replays are of unmarked rounds).
        const late = this.#appliedUpTo !== null && event.id < this.#appliedUpTo;
        const change = await this.#deps.profiles.applyEvent(event, { late });
        for (const joined of change.joined) await this.#deps.audiences.moveMemberships(joined, change.profile);
        if (change.traitsChanged || change.joined.length > 0) await this.#deps.audiences.evaluateProfile(change.profile);
        const handled = this.#deps.journeys.handleEvent(event, change.profile, { late });
        if (handled !== null) await handled;
      } catch (error) {
        // A failing store (a lock, a failover) is not the event's fault: the round is retried from
        // the log (what was applied is skipped as a replay), and this profile's later events wait.
        if (this.#deps.store.isTransientError(error)) throw error;
        // A poison event must not stall the log: record it and move on.
        this.#deps.logger.error('event could not be applied to its profile', { eventId: event.id, spaceId: event.spaceId, error });
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
