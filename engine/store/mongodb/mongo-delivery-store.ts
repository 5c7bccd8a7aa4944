import crypto from 'node:crypto';
import type { AnyBulkWriteOperation, Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { OPEN_DELIVERY_STATUSES, type DeliveryQuery, type DeliveryRecord, type DeliveryStatus, type DeliveryStore } from '../delivery-store.ts';
import { fromJson, isDuplicateKey, toJson, createIndexesOneByOne, bulkWriteInChunks } from './mongo-support.ts';
import { deliveryCounters } from '../journey-counters.ts';
import type { MongoFigureStore } from './mongo-figure-store.ts';

/**
 * One delivery. `body` is the whole record as JSON text; `nextAttemptAt` (absent when null) and
 * `rev` are the truth for what claims change without rewriting the body, as in SQLite.
 */
interface DeliveryDoc {
  _id: string;
  spaceId: string;
  idempotencyKey: string;
  journeyId: string;
  instanceId: string;
  status: DeliveryStatus;
  nextAttemptAt?: number;
  rev: number;
  /** The token of the claim that last leased it: tells a claimer which of its conditional updates applied. */
  claim?: string;
  /** Set by a claim, removed by the next update: its `nextAttemptAt` is a lease, not a retry's backoff. */
  leased?: true;
  body: string;
}

const OPEN = [...OPEN_DELIVERY_STATUSES];

/** Claim rounds when other processes take some of the candidates first. */
const CLAIM_ROUNDS = 3;

/** How long a claim document outlives its lease: far longer than any claimer takes between reading and claiming. */
const CLAIM_RETENTION_MS = 60 * 60_000;
const CLAIM_SWEEP_INTERVAL_MS = 10 * 60_000;

/** One lease taken by a claim: `<delivery id>:<revision the lease made>`, unique by _id. */
interface ClaimDoc {
  _id: string;
  spaceId: string;
  until: number;
}

function parse(doc: Pick<DeliveryDoc, 'body' | 'nextAttemptAt' | 'rev'>): DeliveryRecord {
  const d = fromJson<DeliveryRecord>(doc.body);
  d.nextAttemptAt = doc.nextAttemptAt ?? null;
  d.rev = doc.rev;
  return d;
}

/**
 * MongoDB adapter of DeliveryStore; the idempotency key is unique per space (unique index), every
 * change is a compare-and-set on `rev`, and claims are conditional updates settled by a claim
 * document (unique _id), safe with several processes claiming at once.
 */
export class MongoDeliveryStore implements DeliveryStore {
  readonly #deliveries: Collection<DeliveryDoc>;
  readonly #claims: Collection<ClaimDoc>;
  readonly #figures: MongoFigureStore;
  #nextSweepAt = 0;

  constructor(db: Db, figures: MongoFigureStore) {
    this.#deliveries = db.collection<DeliveryDoc>('deliveries');
    this.#claims = db.collection<ClaimDoc>('delivery_claims');
    this.#figures = figures;
  }

  /** Creates the indexes the queries and the one-send-per-key rule rely on. */
  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#deliveries, [
      { key: { spaceId: 1, idempotencyKey: 1 }, name: 'space_idempotency_key', unique: true },
      { key: { nextAttemptAt: 1 }, name: 'next_attempt_at', sparse: true },
      { key: { spaceId: 1, status: 1, _id: 1 }, name: 'space_status_id' },
      { key: { spaceId: 1, journeyId: 1, _id: 1 }, name: 'space_journey_id' },
    ]);
    await createIndexesOneByOne(this.#claims, [{ key: { until: 1 }, name: 'until' }]);
  }

  async insertIfAbsent(d: DeliveryRecord): Promise<'inserted' | 'exists'> {
    const doc: DeliveryDoc = {
      _id: d.id, spaceId: d.spaceId, idempotencyKey: d.idempotencyKey, journeyId: d.journeyId, instanceId: d.instanceId,
      status: d.status, rev: d.rev, body: toJson(d),
    };
    if (d.nextAttemptAt !== null) doc.nextAttemptAt = d.nextAttemptAt;
    try {
      await this.#deliveries.insertOne(doc);
      return 'inserted';
    } catch (error) {
      // Its key (or its id) is stored already, as SQLite's INSERT OR IGNORE.
      if (isDuplicateKey(error)) return 'exists';
      throw error;
    }
  }

  async get(spaceId: string, id: string): Promise<DeliveryRecord | null> {
    const doc = await this.#deliveries.findOne({ _id: id, spaceId });
    return doc ? parse(doc) : null;
  }

  async update(d: DeliveryRecord, expectedRev: number): Promise<'ok' | 'version_conflict'> {
    const update: UpdateFilter<DeliveryDoc> = d.nextAttemptAt === null
      ? { $set: { status: d.status, rev: d.rev, body: toJson(d) }, $unset: { nextAttemptAt: '', leased: '' } }
      : { $set: { status: d.status, rev: d.rev, body: toJson(d), nextAttemptAt: d.nextAttemptAt }, $unset: { leased: '' } };
    // No projection: FerretDB v1 does not implement one on findAndModify.
    const before = await this.#deliveries.findOneAndUpdate({ _id: d.id, spaceId: d.spaceId, rev: expectedRev }, update, { returnDocument: 'before' });
    if (before === null) return 'version_conflict';
    // Keyed by the new revision: a retried counter update for this change applies once. (A crash
    // between the two writes loses this change's counts; nothing replays a delivery update.)
    await this.#figures.apply(`${d.id}@${d.rev}`, deliveryCounters({ status: before.status, updatedAt: fromJson<DeliveryRecord>(before.body).updatedAt }, d));
    return 'ok';
  }

  /**
   * Reads the due candidates and leases them in unordered bulk writes of conditional updates
   * (each on the revision read, stamping this claim's token); reads back which carry the token
   * when some did not match; then records each lease as a claim document keyed by delivery and
   * new revision, inserted under the unique _id: only deliveries whose claim this call inserted
   * are returned. The claim document is what makes two claimers exclusive on a server whose
   * conditional updates are not atomic (FerretDB v1 applies an update after a separate read, so
   * two racing `{_id, rev}` updates can both match); on MongoDB the conditional update already
   * is, and the insert never finds a duplicate. Leasing before inserting the claim means a crash
   * in between leaves a lease that simply runs out: the next claim is for a newer revision.
   */
  async claimDue(now: number, leaseUntil: number, limit: number, options: { onlyLeased?: boolean } = {}): Promise<DeliveryRecord[]> {
    if (limit <= 0) return [];
    await this.#sweepClaims(now);
    const claimed: DeliveryRecord[] = [];
    const seen: string[] = [];
    for (let round = 0; round < CLAIM_ROUNDS && claimed.length < limit; round += 1) {
      const filter: Filter<DeliveryDoc> = options.onlyLeased
        ? { nextAttemptAt: { $lte: now }, $or: [{ status: 'pending' }, { status: 'retrying', leased: true }] }
        : { nextAttemptAt: { $lte: now }, status: { $in: OPEN } };
      if (seen.length > 0) filter._id = { $nin: seen };
      const candidates = await this.#deliveries.find(filter, { projection: { claim: 0 } })
        .sort({ nextAttemptAt: 1 }).limit(limit - claimed.length).toArray();
      if (candidates.length === 0) break;
      seen.push(...candidates.map((c) => c._id));
      const token = crypto.randomUUID();
      const ops: AnyBulkWriteOperation<DeliveryDoc>[] = candidates.map((c) => ({
        updateOne: { filter: { _id: c._id, rev: c.rev }, update: { $set: { nextAttemptAt: leaseUntil, rev: c.rev + 1, claim: token, leased: true } } },
      }));
      const { landed } = await bulkWriteInChunks(this.#deliveries, ops);
      let leased = candidates;
      if (landed < candidates.length) {
        const mine = await this.#deliveries.find({ _id: { $in: candidates.map((c) => c._id) }, claim: token }, { projection: { _id: 1 } }).toArray();
        const ids = new Set(mine.map((d) => d._id));
        leased = candidates.filter((c) => ids.has(c._id));
      }
      const won = await this.#recordClaims(leased, leaseUntil);
      for (const c of won) claimed.push(parse({ body: c.body, nextAttemptAt: leaseUntil, rev: c.rev + 1 }));
      // Every candidate taken: none went to another process, so there are no others to look for.
      if (won.length === candidates.length) break;
    }
    return claimed;
  }

  /** Inserts one claim document per leased delivery; answers the deliveries whose claim this call inserted. */
  async #recordClaims(leased: DeliveryDoc[], leaseUntil: number): Promise<DeliveryDoc[]> {
    if (leased.length === 0) return [];
    try {
      await this.#claims.insertMany(leased.map((c) => ({ _id: `${c._id}:${c.rev + 1}`, spaceId: c.spaceId, until: leaseUntil })), { ordered: false });
      return leased;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const errors = (error as { writeErrors?: Array<{ index: number }> | { index: number } }).writeErrors;
      const lost = new Set((Array.isArray(errors) ? errors : errors ? [errors] : []).map((w) => w.index));
      // A single-document insert reports its duplicate without a write error list.
      if (lost.size === 0) return [];
      return leased.filter((_, index) => !lost.has(index));
    }
  }

  /** Drops claim documents long past their lease (by `now`, at most once per interval): no claimer contends for them any more. */
  async #sweepClaims(now: number): Promise<void> {
    if (now < this.#nextSweepAt) return;
    this.#nextSweepAt = now + CLAIM_SWEEP_INTERVAL_MS;
    await this.#claims.deleteMany({ until: { $lt: now - CLAIM_RETENTION_MS } });
  }

  async nextDueAt(): Promise<number | null> {
    const [first] = await this.#deliveries
      .find({ nextAttemptAt: { $exists: true }, status: { $in: OPEN } }, { projection: { nextAttemptAt: 1 } })
      .sort({ nextAttemptAt: 1 }).limit(1).toArray();
    return first?.nextAttemptAt ?? null;
  }

  async list(spaceId: string, query: DeliveryQuery): Promise<DeliveryRecord[]> {
    if (query.limit <= 0) return [];
    const filter: Filter<DeliveryDoc> = { spaceId, _id: { $gt: query.after ?? '' } };
    if (query.status !== undefined) filter.status = query.status;
    if (query.journeyId !== undefined) filter.journeyId = query.journeyId;
    return (await this.#deliveries.find(filter).sort({ _id: 1 }).limit(query.limit).toArray()).map(parse);
  }

  async listByInstance(spaceId: string, instanceId: string): Promise<DeliveryRecord[]> {
    // Idempotency keys are "<instance id>:<step>:<iteration>" (':' sorts just before ';'): the
    // unique (space, key) index answers this as a range, so instanceId needs no index of its own.
    const docs = await this.#deliveries
      .find({ spaceId, idempotencyKey: { $gte: `${instanceId}:`, $lt: `${instanceId};` }, instanceId })
      .sort({ _id: 1 }).toArray();
    return docs.map(parse);
  }

  async listByJourney(spaceId: string, journeyId: string, options: { after?: string | null; limit: number }): Promise<DeliveryRecord[]> {
    if (options.limit <= 0) return [];
    const docs = await this.#deliveries.find({ spaceId, journeyId, _id: { $gt: options.after ?? '' } })
      .sort({ _id: 1 }).limit(options.limit).toArray();
    return docs.map(parse);
  }
}
