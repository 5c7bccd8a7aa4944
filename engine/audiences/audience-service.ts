import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import { EngineError, notFound } from '../errors.ts';
import { pageOf } from '../http/page-of.ts';
import { compileConditions, type SubjectMatcher } from '../conditions/compile-conditions.ts';
import { isMember, type AudienceRecord, type AudienceStore } from '../store/audience-store.ts';
import type { ProfileRecord } from '../store/profile-store.ts';
import type { ProfileFinder } from '../profiles/profile-finder.ts';
import type { AudienceInput } from './audience-input.ts';
import type { ProfileRef } from '../profiles/profile-ref.ts';

interface RuleAudience { audience: AudienceRecord; matches: SubjectMatcher }

const CACHE_TTL_MS = 5_000;
const BACKFILL_PAGE = 500;

/**
 * Audiences: CRUD, rule evaluation when traits change, a resumable backfill when a rule is set,
 * and explicit membership. Compiled rules are cached per space; this process's changes clear
 * the cache at once, other processes' changes are seen within a few seconds.
 */
export class AudienceService {
  readonly #store: AudienceStore;
  readonly #profiles: ProfileFinder;
  readonly #logger: Logger;
  readonly #rules = new Map<string, { list: RuleAudience[]; expires: number }>();
  /** Bumped by every change: a read that started before one is used but not cached. */
  #generation = 0;

  readonly #onRulesChanged: () => void;

  /** `onRulesChanged` tells other holders of compiled rules (the processing thread) to reload. */
  constructor(store: AudienceStore, profiles: ProfileFinder, logger: Logger, onRulesChanged: () => void = () => {}) {
    this.#store = store;
    this.#profiles = profiles;
    this.#logger = logger;
    this.#onRulesChanged = onRulesChanged;
  }

  /** Forgets compiled rules; the next evaluation reloads them. */
  invalidate(): void {
    this.#generation++;
    this.#rules.clear();
  }

  async create(spaceId: string, input: AudienceInput): Promise<AudienceRecord> {
    const now = new Date().toISOString();
    const audience: AudienceRecord = {
      id: `aud_${randomUUID()}`, spaceId, name: input.name, description: input.description, rule: input.rule,
      ruleVersion: 1, backfilledAt: input.rule ? null : now, version: 1, createdAt: now, updatedAt: now,
    };
    if (await this.#store.insert(audience) === 'conflict') {
      throw new EngineError('conflict', `an audience named '${input.name}' already exists in this space`, { path: '/name' });
    }
    this.#rulesChanged(spaceId);
    if (audience.rule) await this.backfill(audience);
    return (await this.#store.get(spaceId, audience.id)) ?? audience;
  }

  async update(spaceId: string, id: string, input: AudienceInput): Promise<AudienceRecord> {
    const current = await this.get(spaceId, id);
    const ruleChanged = JSON.stringify(current.rule) !== JSON.stringify(input.rule);
    const now = new Date().toISOString();
    const next: AudienceRecord = {
      ...current, name: input.name, description: input.description, rule: input.rule,
      ruleVersion: ruleChanged ? current.ruleVersion + 1 : current.ruleVersion,
      backfilledAt: ruleChanged ? null : current.backfilledAt, version: current.version + 1, updatedAt: now,
    };
    const result = await this.#store.update(next, current.version);
    if (result === 'conflict') throw new EngineError('conflict', `an audience named '${input.name}' already exists in this space`, { path: '/name' });
    if (result === 'version_conflict') throw new EngineError('version_conflict', `audience '${id}' changed while being updated; retry`);
    this.#rulesChanged(spaceId);
    if (ruleChanged) await this.backfill(next);
    return (await this.#store.get(spaceId, id)) ?? next;
  }

  async get(spaceId: string, id: string): Promise<AudienceRecord> {
    const audience = await this.#store.get(spaceId, id);
    if (!audience) throw notFound('audience', id);
    return audience;
  }

  list(spaceId: string): Promise<AudienceRecord[]> {
    return this.#store.list(spaceId);
  }

  async delete(spaceId: string, id: string): Promise<void> {
    if (!await this.#store.delete(spaceId, id)) throw notFound('audience', id);
    this.#rulesChanged(spaceId);
  }

  /** Re-evaluates every rule audience of the profile's space against its traits. */
  async evaluateProfile(profile: ProfileRecord): Promise<void> {
    const rules = await this.#ruleAudiences(profile.spaceId);
    if (rules.length === 0) return;
    const memberships = new Map((await this.#store.membershipsOfProfile(profile.spaceId, profile.id)).map((m) => [m.audienceId, m]));
    const at = new Date().toISOString();
    await Promise.all(rules.map(async ({ audience, matches }) => {
      const byRule = matches(profile.traits);
      if ((memberships.get(audience.id)?.byRule ?? false) === byRule) return;
      await this.#store.setByRule(profile.spaceId, audience.id, profile.id, byRule, profile.version, at);
    }));
  }

  /**
   * When `from` was joined into `to`: its explicit decisions, additions and removals, carry over
   * (unless `to` has its own explicit decision: a person removed by hand stays out once they
   * identify) and `from` stops being a member anywhere. Idempotent.
   */
  async moveMemberships(from: ProfileRecord, to: ProfileRecord): Promise<void> {
    const own = new Map((await this.#store.membershipsOfProfile(to.spaceId, to.id)).map((m) => [m.audienceId, m]));
    const at = new Date().toISOString();
    for (const m of await this.#store.membershipsOfProfile(from.spaceId, from.id)) {
      if (m.manual !== null && (own.get(m.audienceId)?.manual ?? null) === null) {
        await this.#store.setManual(to.spaceId, m.audienceId, to.id, m.manual, at);
      }
      await this.#store.setManual(from.spaceId, m.audienceId, from.id, null, at);
      await this.#store.setByRule(from.spaceId, m.audienceId, from.id, false, Number.MAX_SAFE_INTEGER, at);
    }
  }

  /** Evaluates an audience's rule over every profile of its space, then marks it backfilled. */
  async backfill(audience: AudienceRecord): Promise<void> {
    // A rule removed by an update ends every rule-based membership (explicit ones stay).
    const matches: SubjectMatcher = audience.rule ? compileConditions(audience.rule) : () => false;
    let after: string | null = null;
    for (;;) {
      const page = await this.#profiles.page(audience.spaceId, after, BACKFILL_PAGE);
      const at = new Date().toISOString();
      await Promise.all(page.map((p) => this.#store.setByRule(audience.spaceId, audience.id, p.id, matches(p.traits), p.version, at)));
      if (page.length < BACKFILL_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    const current = await this.#store.get(audience.spaceId, audience.id);
    // A newer rule version started its own backfill; leave the flag to it.
    if (!current || current.ruleVersion !== audience.ruleVersion) return;
    await this.#store.update({ ...current, backfilledAt: new Date().toISOString(), version: current.version + 1 }, current.version);
  }

  /** Resumes backfills interrupted by a stop (audiences whose rule was never fully evaluated). */
  async resumeBackfills(spaceIds: string[]): Promise<void> {
    for (const spaceId of spaceIds) {
      for (const audience of await this.#store.list(spaceId)) {
        if (audience.backfilledAt === null) {
          this.#logger.info('resuming audience backfill', { spaceId, audienceId: audience.id });
          await this.backfill(audience);
        }
      }
    }
  }

  /** Adds and removes profiles explicitly; every reference is resolved before anything is written. */
  async changeMembers(spaceId: string, id: string, change: { add: ProfileRef[]; remove: ProfileRef[] }): Promise<{ added: number; removed: number }> {
    await this.get(spaceId, id);
    const resolveAll = (refs: ProfileRef[], key: string) => Promise.all(refs.map(async (ref, i) => {
      const profile = await this.#profiles.byRef(spaceId, ref);
      if (!profile) {
        throw new EngineError('not_found', `no profile matches ${JSON.stringify(ref)} at /${key}/${i}`, { path: `/${key}/${i}` });
      }
      return profile;
    }));
    const add = await resolveAll(change.add, 'add');
    const remove = await resolveAll(change.remove, 'remove');
    const at = new Date().toISOString();
    await Promise.all([
      ...add.map((p) => this.#store.setManual(spaceId, id, p.id, 'added', at)),
      ...remove.map((p) => this.#store.setManual(spaceId, id, p.id, 'removed', at)),
    ]);
    return { added: add.length, removed: remove.length };
  }

  /** The audiences a profile is a member of. */
  async audiencesOf(spaceId: string, profileId: string): Promise<Array<{ id: string; name: string; via: 'rule' | 'manual' }>> {
    const memberships = new Map((await this.#store.membershipsOfProfile(spaceId, profileId)).filter(isMember).map((m) => [m.audienceId, m]));
    // In the audience listing's order (by name): the stores keep memberships in no order of their own.
    return (await this.#store.list(spaceId)).flatMap((audience) => {
      const m = memberships.get(audience.id);
      return m ? [{ id: audience.id, name: audience.name, via: m.manual === 'added' ? 'manual' as const : 'rule' as const }] : [];
    });
  }

  /** Ids of the audiences a profile is a member of. */
  async memberAudienceIds(spaceId: string, profileId: string): Promise<Set<string>> {
    return new Set((await this.#store.membershipsOfProfile(spaceId, profileId)).filter(isMember).map((m) => m.audienceId));
  }

  /** Member profile ids of an audience, paginated by profile id. */
  async members(spaceId: string, id: string, after: string | null, limit: number): Promise<{ profileIds: string[]; nextCursor: string | null }> {
    await this.get(spaceId, id);
    const { items, nextCursor } = pageOf(await this.#store.members(spaceId, id, { after, limit: limit + 1 }), limit, (profileId) => profileId);
    return { profileIds: items, nextCursor };
  }

  #rulesChanged(spaceId: string): void {
    this.#generation++;
    this.#rules.delete(spaceId);
    this.#onRulesChanged();
  }

  async #ruleAudiences(spaceId: string): Promise<RuleAudience[]> {
    const cached = this.#rules.get(spaceId);
    if (cached && cached.expires > Date.now()) return cached.list;
    const generation = this.#generation;
    const list = (await this.#store.list(spaceId))
      .filter((a): a is AudienceRecord & { rule: NonNullable<AudienceRecord['rule']> } => a.rule !== null)
      .map((audience) => ({ audience, matches: compileConditions(audience.rule) }));
    // Read before a change that came meanwhile: caching it would hide the change for the TTL.
    if (generation === this.#generation) this.#rules.set(spaceId, { list, expires: Date.now() + CACHE_TTL_MS });
    return list;
  }
}
