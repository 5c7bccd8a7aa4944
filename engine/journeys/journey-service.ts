import { randomUUID } from 'node:crypto';
import { EngineError, notFound } from '../errors.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';
import type { JourneyRecord, JourneyStatus, JourneyVersionRecord } from '../store/journey-store.ts';
import type { JourneyDefinition } from './definition/journey-definition.ts';
import type { JourneyProblem } from './definition/journey-problem.ts';
import { validateJourney } from './definition/validate-journey.ts';
import { validateJourneyReferences } from './definition/validate-references.ts';
import { withDefaults } from './definition/journey-defaults.ts';
import { sendsOf, withActivationKeys } from './activation-keys.ts';
import { validateSendTargets, withSendDefaults, type DestinationActions, type FunctionState } from './send-targets.ts';

/** Dependencies of the journey lifecycle. */
export interface JourneyServiceDeps {
  store: Store;
  /**
   * Engine time (default: the system clock). Why: a version's publishedAt is compared with events'
   * receivedAt, stamped by the engine clock; under the test clock the wall clock would disagree.
   */
  clock?: Clock;
  /** Called after every lifecycle change so the runtime reloads what is live. */
  onChange: () => void;
  /** Exits every active instance of a version (durably scheduled by the engine). */
  exitVersion: (spaceId: string, journeyId: string, version: number, reason: string) => Promise<void>;
  /** A space's destinations with their actions' fields (send targets, mapping defaults). */
  destinationActions: (spaceId: string) => DestinationActions;
  /** Whether a space's functions exist and are deployed (send targets). */
  functionState: (spaceId: string) => FunctionState;
}

/**
 * The journey lifecycle: draft → published → paused → archived, with frozen versions. Editing a
 * published journey makes a new draft version; publishing it lets the previous version's
 * instances drain or exits them. Each step is one record write, ordered so that retrying an
 * interrupted operation completes it, or, once the journey record is written, so that processing
 * completes it (runtime/version-repair.ts).
 */
export class JourneyService {
  readonly #d: JourneyServiceDeps;

  constructor(deps: JourneyServiceDeps) {
    this.#d = deps;
  }

  async create(spaceId: string, doc: JourneyDefinition): Promise<JourneyRecord> {
    const id = `jrn_${randomUUID()}`;
    const draft = await withSendDefaults(withActivationKeys(doc), this.#d.destinationActions(spaceId));
    await this.#ensureNameFree(spaceId, draft.name, id);
    await this.#claimKeys(spaceId, id, draft);
    const now = this.#now();
    const journey: JourneyRecord = {
      id, spaceId, name: draft.name, description: draft.description ?? null, status: 'draft', draft, draftVersion: 1,
      liveVersion: null, createdAt: now, updatedAt: now, rev: 1,
    };
    if (await this.#d.store.journeys.insert(journey) === 'conflict') {
      throw new EngineError('conflict', `a journey named '${draft.name}' already exists in this space`, { path: '/name' });
    }
    return journey;
  }

  async get(spaceId: string, id: string): Promise<JourneyRecord> {
    const journey = await this.#d.store.journeys.get(spaceId, id);
    if (!journey) throw notFound('journey', id);
    return journey;
  }

  list(spaceId: string, status?: JourneyStatus): Promise<JourneyRecord[]> {
    return this.#d.store.journeys.list(spaceId, status ? { status } : {});
  }

  /** Replaces the draft; on a published or paused journey this starts the next version's draft. */
  async update(spaceId: string, id: string, doc: JourneyDefinition): Promise<JourneyRecord> {
    const current = await this.get(spaceId, id);
    if (current.status === 'archived') throw new EngineError('invalid_transition', `journey '${id}' is archived and cannot be edited; duplicate it instead`);
    const draft = await withSendDefaults(withActivationKeys(doc), this.#d.destinationActions(spaceId));
    await this.#ensureNameFree(spaceId, draft.name, id);
    await this.#claimKeys(spaceId, id, draft);
    return this.#save({
      ...current, name: draft.name, description: draft.description ?? null, draft,
      draftVersion: current.draftVersion ?? (current.liveVersion ?? 0) + 1,
    }, current.rev);
  }

  /** Deletes a journey that was never published (published ones are archived instead). */
  async delete(spaceId: string, id: string): Promise<void> {
    const current = await this.get(spaceId, id);
    if (current.liveVersion !== null) {
      throw new EngineError('invalid_transition', `journey '${id}' has been published; archive it instead of deleting it`);
    }
    await this.#d.store.journeys.delete(spaceId, id);
  }

  /** Every problem that would stop the draft (or the live version when there is no draft) from publishing. */
  async validate(spaceId: string, id: string): Promise<{ valid: boolean; version: number | null; problems: JourneyProblem[] }> {
    return this.validateRecord(await this.get(spaceId, id));
  }

  /** validate() of a journey record in hand (one just saved: no second read). */
  async validateRecord(journey: JourneyRecord): Promise<{ valid: boolean; version: number | null; problems: JourneyProblem[] }> {
    const spaceId = journey.spaceId;
    const doc = journey.draft ?? (journey.liveVersion !== null ? (await this.#version(journey, journey.liveVersion)).definition : null);
    if (!doc) return { valid: false, version: null, problems: [] };
    const problems = await this.#problems(spaceId, doc);
    return { valid: problems.length === 0, version: journey.draft ? journey.draftVersion : journey.liveVersion, problems };
  }

  /** Freezes the draft as the next version and makes it live. */
  async publish(spaceId: string, id: string, options: { previousVersion: 'drain' | 'archive' }): Promise<JourneyRecord> {
    const journey = await this.get(spaceId, id);
    if (journey.status === 'archived') throw new EngineError('invalid_transition', `journey '${id}' is archived`);
    if (!journey.draft || journey.draftVersion === null) {
      throw new EngineError('invalid_transition', `journey '${id}' has no draft to publish; edit it first`);
    }
    // Defaults again at publish: an action may have gained a field with a default since the draft was saved (a plugin upgrade).
    const draft = await withSendDefaults(journey.draft, this.#d.destinationActions(spaceId));
    const problems = await this.#problems(spaceId, draft);
    if (problems.length > 0) {
      throw new EngineError('invalid_journey', `the journey has ${problems.length} problem(s); first: ${problems[0]!.message}`,
        { path: problems[0]!.path, problems });
    }
    const version = journey.draftVersion;
    await this.#d.store.journeys.putVersion({
      spaceId, journeyId: id, version, definition: withDefaults(draft), state: 'live', publishedAt: this.#now(),
    });
    const previous = journey.liveVersion;
    // A paused journey stays paused: publishing a new version is not a resume.
    const status = journey.status === 'paused' ? 'paused' : 'published';
    const retiring = previous !== null && previous !== version
      ? { version: previous, state: options.previousVersion === 'archive' ? 'exiting' as const : 'draining' as const } : null;
    // The intent goes in the same write as the new liveVersion: a crash before #retire is finished from it.
    const saved = await this.#save({ ...journey, status, liveVersion: version, draft: null, draftVersion: null, retiring }, journey.rev);
    if (retiring) await this.#retire(spaceId, id, retiring.version, retiring.state);
    return saved;
  }

  async pause(spaceId: string, id: string): Promise<JourneyRecord> {
    const journey = await this.get(spaceId, id);
    if (journey.status !== 'published') throw new EngineError('invalid_transition', `only a published journey can be paused; this one is ${journey.status}`);
    return this.#save({ ...journey, status: 'paused' }, journey.rev);
  }

  async resume(spaceId: string, id: string): Promise<JourneyRecord> {
    const journey = await this.get(spaceId, id);
    if (journey.status !== 'paused') throw new EngineError('invalid_transition', `only a paused journey can be resumed; this one is ${journey.status}`);
    return this.#save({ ...journey, status: 'published' }, journey.rev);
  }

  /** No new entries, and every in-flight instance of every version exits. */
  async archive(spaceId: string, id: string): Promise<JourneyRecord> {
    const journey = await this.get(spaceId, id);
    if (journey.status === 'archived') throw new EngineError('invalid_transition', `journey '${id}' is already archived`);
    const saved = await this.#save({ ...journey, status: 'archived', draft: null, draftVersion: null }, journey.rev);
    for (const v of await this.#d.store.journeys.listVersions(spaceId, id)) {
      if (v.state !== 'retired') await this.#retire(spaceId, id, v.version, 'exiting');
    }
    return saved;
  }

  /**
   * Copies entry, steps, exit rules, goals and settings (sends with their event names, payload
   * configuration and mappings) into a new draft of the same space, under a new name, with new
   * activation keys; sends that were disabled are enabled in the copy.
   */
  async duplicate(spaceId: string, id: string, name: string): Promise<JourneyRecord> {
    const source = await this.get(spaceId, id);
    const doc = source.draft ?? (source.liveVersion !== null ? (await this.#version(source, source.liveVersion)).definition : null);
    if (!doc) throw notFound('journey definition', id);
    const copy = structuredClone(doc);
    copy.name = name;
    for (const { spec } of sendsOf(copy)) {
      delete spec.activationKey;
      if (spec.enabled === false) spec.enabled = true;
    }
    return this.create(spaceId, copy);
  }

  versions(spaceId: string, id: string): Promise<JourneyVersionRecord[]> {
    return this.get(spaceId, id).then(() => this.#d.store.journeys.listVersions(spaceId, id));
  }

  async #version(journey: JourneyRecord, version: number): Promise<JourneyVersionRecord> {
    const found = await this.#d.store.journeys.getVersion(journey.spaceId, journey.id, version);
    if (!found) throw notFound(`version ${version} of journey`, journey.id);
    return found;
  }

  async #problems(spaceId: string, doc: JourneyDefinition): Promise<JourneyProblem[]> {
    // Every problem at once: the space checks run even when the document has other problems.
    const problems = validateJourney(doc);
    return [...problems, ...await validateJourneyReferences(doc, {
      eventInCatalog: async (name) => (await this.#d.store.catalog.get(spaceId, name)) !== null,
      audienceExists: async (audienceId) => (await this.#d.store.audiences.get(spaceId, audienceId)) !== null,
    }), ...await validateSendTargets(doc, this.#d.destinationActions(spaceId), this.#d.functionState(spaceId))];
  }

  /**
   * Refuses a name another journey of the space has, before any activation key is claimed, so a
   * save refused for its name holds none of its keys (the journey write still catches a
   * concurrent save of the same name).
   */
  async #ensureNameFree(spaceId: string, name: string, journeyId: string): Promise<void> {
    if ((await this.#d.store.journeys.list(spaceId, {})).some((j) => j.name === name && j.id !== journeyId)) {
      throw new EngineError('conflict', `a journey named '${name}' already exists in this space`, { path: '/name' });
    }
  }

  async #claimKeys(spaceId: string, journeyId: string, doc: JourneyDefinition): Promise<void> {
    const sends = sendsOf(doc);
    const keys = sends.map((s) => s.spec.activationKey!).filter((k) => typeof k === 'string');
    const duplicateInDoc = keys.find((k, i) => keys.indexOf(k) !== i);
    if (duplicateInDoc) {
      const at = sends.filter((s) => s.spec.activationKey === duplicateInDoc)[1]!.path;
      throw new EngineError('conflict', `activation key '${duplicateInDoc}' is used twice in this journey`, { path: `${at}/activationKey` });
    }
    const taken = await this.#d.store.journeys.claimActivationKeys(spaceId, journeyId, keys);
    if (taken.length > 0) {
      const at = sends.find((s) => s.spec.activationKey === taken[0])!.path;
      throw new EngineError('conflict', `activation key '${taken[0]}' is already used by another journey of this space`, { path: `${at}/activationKey` });
    }
  }

  async #save(next: JourneyRecord, expectedRev: number): Promise<JourneyRecord> {
    const saved = { ...next, rev: expectedRev + 1, updatedAt: this.#now() };
    const result = await this.#d.store.journeys.update(saved, expectedRev);
    if (result === 'conflict') throw new EngineError('conflict', `a journey named '${next.name}' already exists in this space`, { path: '/name' });
    if (result === 'version_conflict') throw new EngineError('version_conflict', `journey '${next.id}' changed while being updated; retry`);
    this.#d.onChange();
    return saved;
  }

  #now(): string {
    return new Date((this.#d.clock ?? systemClock).now()).toISOString();
  }

  async #retire(spaceId: string, journeyId: string, version: number, state: 'draining' | 'exiting'): Promise<void> {
    await this.#d.store.journeys.setVersionState(spaceId, journeyId, version, state);
    this.#d.onChange();
    if (state === 'exiting') await this.#d.exitVersion(spaceId, journeyId, version, `version ${version} was archived`);
  }
}
