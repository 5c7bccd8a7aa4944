import type { JourneyStore, JourneyVersionRecord } from '../../store/journey-store.ts';
import { JOURNEY_LIMITS, type JourneyDefinition } from '../definition/journey-definition.ts';
import { durationMs } from '../definition/duration.ts';
import { entryVersionOf } from './entry-decision.ts';

/** A version the runtime can run, with what matching needs precomputed. */
export interface LiveVersion {
  record: JourneyVersionRecord;
  definition: JourneyDefinition;
  /** Event names that goals, exit rules or hold-until branches listen to. */
  followUpEvents: ReadonlySet<string>;
  identifierPath: string | null;
  /** Whether a data split tests audience membership (only then do runs read memberships). */
  usesAudiences: boolean;
  /** Whether a random split is sticky (only then do runs look up the person's first entry). */
  stickySplit: boolean;
  /** Events hold-until steps may look back on, and the longest look-back (null without holds). */
  lookback: { events: ReadonlySet<string>; longestMs: number } | null;
  /** Goal event name → the longest window of its goals (ms): how far back an ended instance may still convert. */
  goalWindows: ReadonlyMap<string, number>;
}

/** Lifecycle facts of a journey that decide whether it takes new entries. */
export interface JourneyEntryState {
  journeyId: string;
  name: string;
  status: 'draft' | 'published' | 'paused' | 'archived';
  liveVersion: number | null;
}

const TTL_MS = 2_000;

/** The key of an event name within a space in the maps below. */
function spaceEvent(spaceId: string, eventName: string): string {
  return `${spaceId}\u0000${eventName}`;
}

/** The identifier property path of a multiple-active-sessions journey, else null. */
export function identifierPathOf(d: JourneyDefinition): string | null {
  return d.entry.reentry?.mode === 'multiple_active' ? d.entry.reentry.identifier : null;
}

function followUpEvents(d: JourneyDefinition): Set<string> {
  const names = new Set<string>();
  for (const goal of d.goals ?? []) names.add(goal.event);
  for (const rule of d.exitRules ?? []) names.add(rule.event);
  for (const step of d.steps) if (step.type === 'hold_until') for (const b of step.branches) names.add(b.event);
  return names;
}

function lookbackOf(d: JourneyDefinition): LiveVersion['lookback'] {
  const holds = d.steps.filter((s) => s.type === 'hold_until');
  if (holds.length === 0) return null;
  return {
    events: new Set(holds.flatMap((s) => s.branches.map((b) => b.event))),
    longestMs: Math.max(...holds.map((s) => durationMs(s.lookback ?? d.settings?.lookback ?? JOURNEY_LIMITS.defaultLookback))),
  };
}

function goalWindowsOf(d: JourneyDefinition): Map<string, number> {
  const windows = new Map<string, number>();
  for (const goal of d.goals ?? []) windows.set(goal.event, Math.max(windows.get(goal.event) ?? 0, durationMs(goal.within)));
  return windows;
}

/**
 * The runtime's cached view of every version that may still have instances, and of which
 * journeys take entries on which event. This process's lifecycle changes invalidate it at once;
 * other processes' changes are picked up within a couple of seconds.
 */
export class LiveJourneys {
  readonly #store: JourneyStore;
  #versions = new Map<string, LiveVersion>();
  #entries = new Map<string, Array<{ state: JourneyEntryState; version: LiveVersion }>>();
  /** `<space>\0<event name>` → versions with a goal on that event. */
  #goals = new Map<string, LiveVersion[]>();
  /** `<space>\0<event name>` of every event some version listens to (see listensTo). */
  #listened = new Set<string>();
  #loadedAt = 0;
  /** Bumped by invalidate(): a load started before the bump must not count as fresh. */
  #generation = 0;
  /** The generation the data held now was loaded at. */
  #loadedGeneration = -1;
  /** The load in flight; resolves with the generation it started at. */
  #loading: Promise<number> | null = null;

  constructor(store: JourneyStore) {
    this.#store = store;
  }

  /** Forgets everything; the next read reloads. */
  invalidate(): void {
    this.#generation++;
  }

  /** Versions of a space with a goal on `eventName` (ended instances of them may still convert). */
  async withGoalOn(spaceId: string, eventName: string): Promise<readonly LiveVersion[]> {
    await this.#fresh();
    return this.#goals.get(spaceEvent(spaceId, eventName)) ?? [];
  }

  /**
   * Whether any version of the space that may still have instances listens to `eventName` (a
   * goal, an exit rule or a hold-until branch). When none does, no instance can advance on the
   * event, so the runtime skips reading the profile's active instances: a read at a random place
   * of the store for every processed event, most of which (page views, say) nothing waits for.
   */
  async listensTo(spaceId: string, eventName: string): Promise<boolean> {
    await this.#fresh();
    return this.#listened.has(spaceEvent(spaceId, eventName));
  }

  /**
   * True when the versions loaded are fresh and none of the space's listens to `eventName` nor
   * starts on it; false otherwise, stale included (the async methods then reload). Synchronous,
   * so that the runtime skips an event nothing cares about (page views, say) without a promise
   * per step: the await chain of that path was a fifth of what the processing thread allocated
   * in batch ingest (bench/RESULTS.md, nineteenth session).
   */
  quietFor(spaceId: string, eventName: string): boolean {
    if (!this.#isFresh()) return false;
    const key = spaceEvent(spaceId, eventName);
    return !this.#listened.has(key) && !this.#entries.has(key);
  }

  /** A version by journey id and number (retired versions are not kept). */
  async version(journeyId: string, version: number): Promise<LiveVersion | null> {
    await this.#fresh();
    return this.#versions.get(`${journeyId}#${version}`) ?? null;
  }

  /** Journeys of a space whose live version's entry event is `eventName` (published or paused). */
  async entriesFor(spaceId: string, eventName: string): Promise<Array<{ state: JourneyEntryState; version: LiveVersion }>> {
    await this.#fresh();
    return this.#entries.get(spaceEvent(spaceId, eventName)) ?? [];
  }

  /** Entry-by-property journeys of a space triggered by this event (for ordering keys). */
  async propertyEntries(spaceId: string, eventName: string): Promise<string[]> {
    return (await this.entriesFor(spaceId, eventName))
      .flatMap(({ version }) => (version.definition.entry.whoEnters?.type === 'property' ? [version.definition.entry.whoEnters.path] : []));
  }

  /** Loaded within the TTL and not invalidated since. */
  #isFresh(): boolean {
    return this.#loadedGeneration === this.#generation && Date.now() - this.#loadedAt < TTL_MS;
  }

  /**
   * Reloads when stale. Why a generation and not just a time: a load already in flight when
   * invalidate() is called read the store before the change, so waiting for it is not enough;
   * a caller waits for a load that started after its own view of the invalidations.
   */
  async #fresh(): Promise<void> {
    if (this.#isFresh()) return;
    const wanted = this.#generation;
    for (;;) {
      this.#loading ??= this.#load().finally(() => { this.#loading = null; });
      if (await this.#loading >= wanted) return;
    }
  }

  /** Loads every live version; answers the generation it started at. */
  async #load(): Promise<number> {
    const startedAt = Date.now();
    const generation = this.#generation;
    const records = await this.#store.listActiveVersions();
    const versions = new Map<string, LiveVersion>();
    for (const record of records) {
      const d = record.definition;
      versions.set(`${record.journeyId}#${record.version}`, {
        record, definition: d, followUpEvents: followUpEvents(d),
        identifierPath: identifierPathOf(d),
        usesAudiences: d.steps.some((s) => s.type === 'data_split' && s.branches.some((b) => (b.audiences ?? []).length > 0)),
        stickySplit: d.steps.some((s) => s.type === 'random_split' && s.sticky === true),
        lookback: lookbackOf(d),
        goalWindows: goalWindowsOf(d),
      });
    }
    const entries = new Map<string, Array<{ state: JourneyEntryState; version: LiveVersion }>>();
    const spaces = new Set(records.map((r) => r.spaceId));
    for (const spaceId of spaces) {
      for (const j of await this.#store.list(spaceId, {})) {
        const entryVersion = entryVersionOf(j);
        if (entryVersion === null) continue;
        const version = versions.get(`${j.id}#${entryVersion}`);
        if (!version) continue;
        const key = spaceEvent(spaceId, version.definition.entry.event);
        const list = entries.get(key) ?? [];
        list.push({ state: { journeyId: j.id, name: j.name, status: j.status, liveVersion: entryVersion }, version });
        entries.set(key, list);
      }
    }
    const goals = new Map<string, LiveVersion[]>();
    const listened = new Set<string>();
    for (const v of versions.values()) {
      for (const name of v.goalWindows.keys()) {
        const key = spaceEvent(v.record.spaceId, name);
        goals.set(key, [...(goals.get(key) ?? []), v]);
      }
      for (const name of v.followUpEvents) listened.add(spaceEvent(v.record.spaceId, name));
    }
    this.#versions = versions;
    this.#entries = entries;
    this.#goals = goals;
    this.#listened = listened;
    this.#loadedAt = startedAt;
    this.#loadedGeneration = generation;
    return generation;
  }
}
