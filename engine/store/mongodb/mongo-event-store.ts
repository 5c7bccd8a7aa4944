import type { Collection, Db, Filter } from 'mongodb';
import type { AppendOutcome, EventBacklog, EventQuery, EventRecord, EventStore, MessageType } from '../event-store.ts';
import { bulkWriteInChunks, createIndexesOneByOne, fromJson, insertUnordered, toJson } from './mongo-support.ts';

/**
 * One event. The document carries its own dedupe claim (`dedupeKey`, unique), so storing an
 * event and claiming its messageId are one atomic insert: an acknowledged event is stored exactly
 * once, and a crash can never leave a claim without its event or the reverse.
 */
interface EventDoc {
  /** The event id (ULID). */
  _id: string;
  spaceId: string;
  messageId: string;
  /** `space \0 messageId` while this event holds the messageId; `\0 pruned \0 id` once released. */
  dedupeKey: string;
  /** When the messageId was claimed (the `now` of append, epoch ms); unset by pruneDedupe. */
  dedupeAt?: number;
  /** The event id while not yet processed; unset by markProcessed. */
  pending?: string;
  type: MessageType;
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  timestamp: string;
  receivedAt: string;
  /** The normalized message as JSON text (user-shaped keys). */
  message: string;
}

/** Rounds of insert / inspect duplicates / release stale claims before append gives up. */
const MAX_APPEND_ROUNDS = 8;

function dedupeKeyOf(e: Pick<EventRecord, 'spaceId' | 'messageId'>): string {
  return `${e.spaceId}\u0000${e.messageId}`;
}

/** A released key: unique per event, and never a live key (those start with a non-empty space id). */
function prunedKey(id: string): string {
  return `\u0000pruned\u0000${id}`;
}

function toDoc(e: EventRecord, now: number): EventDoc {
  return {
    _id: e.id, spaceId: e.spaceId, messageId: e.messageId, dedupeKey: dedupeKeyOf(e), dedupeAt: now, pending: e.id,
    type: e.type, name: e.name, userId: e.userId, anonymousId: e.anonymousId, timestamp: e.timestamp,
    receivedAt: e.receivedAt, message: toJson(e.message),
  };
}

function toEvent(doc: EventDoc): EventRecord {
  return {
    id: doc._id, spaceId: doc.spaceId, messageId: doc.messageId, type: doc.type, name: doc.name,
    userId: doc.userId, anonymousId: doc.anonymousId, timestamp: doc.timestamp, receivedAt: doc.receivedAt,
    message: fromJson<Record<string, unknown>>(doc.message),
  };
}

/**
 * MongoDB adapter of EventStore, safe for several processes appending at once without
 * transactions: dedupe is a unique index on the event documents themselves, and the processing
 * position is a per-event `pending` field rather than one cursor, so an event inserted late with
 * an older id is still picked up.
 */
export class MongoEventStore implements EventStore {
  readonly #events: Collection<EventDoc>;

  constructor(db: Db) {
    this.#events = db.collection<EventDoc>('events');
  }

  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#events, [
      { key: { dedupeKey: 1 }, name: 'events_dedupe', unique: true },
      { key: { pending: 1 }, name: 'events_pending', unique: true, sparse: true },
      { key: { dedupeAt: 1 }, name: 'events_dedupe_age', sparse: true },
      { key: { spaceId: 1, _id: -1 }, name: 'events_space' },
      { key: { spaceId: 1, userId: 1, _id: -1 }, name: 'events_user' },
    ]);
  }

  async append(events: EventRecord[], options: { dedupeWindowMs: number; now: number }): Promise<AppendOutcome[]> {
    const outcomes: AppendOutcome[] = events.map(() => 'duplicate');
    const seen = new Set<string>();
    // Positions to store; a repeat within the call is a duplicate of its first occurrence, decided here.
    let round = events.flatMap((e, i) => {
      const key = dedupeKeyOf(e);
      if (seen.has(key)) return [];
      seen.add(key);
      return [i];
    });
    const windowStart = options.now - options.dedupeWindowMs;
    for (let attempt = 0; round.length > 0; attempt++) {
      if (attempt >= MAX_APPEND_ROUNDS) throw new Error(`append: messageIds kept changing holder after ${MAX_APPEND_ROUNDS} rounds`);
      const refused = await insertUnordered(this.#events, round.map((i) => toDoc(events[i]!, options.now)));
      const blocked = round.filter((i, n) => {
        if (!refused.has(n)) outcomes[i] = 'stored';
        return refused.has(n);
      });
      if (blocked.length === 0) break;
      const holders = await this.#events.find({ dedupeKey: { $in: blocked.map((i) => dedupeKeyOf(events[i]!)) } }, { projection: { dedupeKey: 1, dedupeAt: 1 } }).toArray();
      const holderOf = new Map(holders.map((h) => [h.dedupeKey, h] as const));
      const retry: number[] = [];
      const expired: EventDoc[] = [];
      for (const i of blocked) {
        const e = events[i]!;
        const holder = holderOf.get(dedupeKeyOf(e));
        if (!holder) {
          retry.push(i); // released in between
        } else if (holder._id === e.id) {
          outcomes[i] = 'stored'; // this very event, stored by an earlier try (a retried append)
        } else if ((holder.dedupeAt ?? -Infinity) > windowStart) {
          outcomes[i] = 'duplicate';
        } else {
          // Held, but since before the window or pruned: release it, then insert again.
          expired.push(holder);
          retry.push(i);
        }
      }
      await this.#forget(expired);
      round = retry;
    }
    return outcomes;
  }

  async pending(limit: number): Promise<EventRecord[]> {
    const docs = await this.#events.find({ pending: { $gte: '' } }).sort({ pending: 1 }).limit(limit).toArray();
    return docs.map(toEvent);
  }

  /**
   * Through events_pending: the oldest is its first entry; the count walks at most `countLimit`
   * entries of it, and only when something waits (so a caught-up engine pays one index lookup).
   */
  async backlog(countLimit: number): Promise<EventBacklog> {
    const oldest = await this.#events.find({ pending: { $gte: '' } }, { projection: { receivedAt: 1 } }).sort({ pending: 1 }).limit(1).next();
    if (oldest === null) return { pending: 0, oldestReceivedAt: null };
    // countDocuments reads `limit: 0` as no limit.
    const pending = countLimit < 1 ? 0 : await this.#events.countDocuments({ pending: { $gte: '' } }, { limit: countLimit });
    return { pending, oldestReceivedAt: oldest.receivedAt };
  }

  async markProcessed(events: readonly EventRecord[]): Promise<void> {
    if (events.length === 0) return;
    await this.#events.updateMany({ _id: { $in: events.map((e) => e.id) } }, { $unset: { pending: '' } });
  }

  async get(spaceId: string, id: string): Promise<EventRecord | null> {
    // By `_id` alone, the space checked here: FerretDB serves only a plain `_id` equality from the index.
    const doc = await this.#events.findOne({ _id: id });
    return doc && doc.spaceId === spaceId ? toEvent(doc) : null;
  }

  /**
   * Through the unique events_dedupe index, with no index of its own: the live dedupe key of a
   * messageId is held by the newest event stored with it (a repeat after the window renames the
   * older holder's key before it is stored), and pruneDedupe keeps keys. The one miss: an event
   * whose key a repeat released just before that repeat failed to store (a crash or a failed
   * append between the rename and the insert); it is found again once the repeat is retried.
   */
  async purgeProcessedBefore(beforeId: string, limit: number): Promise<number> {
    const done = { _id: { $lt: beforeId }, pending: { $exists: false } };
    const ids = await this.#events.find(done, { projection: { _id: 1 } }).limit(limit).toArray();
    if (ids.length === 0) return 0;
    return (await this.#events.deleteMany({ ...done, _id: { $in: ids.map((d) => d._id) } })).deletedCount;
  }

  async findByMessageId(spaceId: string, messageId: string, hint: { userId?: string } = {}): Promise<EventRecord | null> {
    const doc = await this.#events.findOne({ dedupeKey: dedupeKeyOf({ spaceId, messageId }) });
    if (!doc || doc.spaceId !== spaceId || doc.messageId !== messageId) return null;
    const event = toEvent(doc);
    return hint.userId === undefined || event.userId === hint.userId ? event : null;
  }

  /**
   * Newest first by id (ULIDs sort by time); the cursor is the last id of the page. A space's
   * events are read through events_space, a user's through events_user (the frequent lookup of
   * one person's history). anonymousId, type and name are filtered while walking one of those:
   * anonymous ids are random (an index on them costs every append for a rare query), and type and
   * name are too coarse to narrow a space's log much.
   */
  async list(spaceId: string, query: EventQuery): Promise<{ items: EventRecord[]; nextCursor: string | null }> {
    const filter: Filter<EventDoc> = { spaceId };
    if (query.userId !== undefined) filter.userId = query.userId;
    if (query.anonymousId !== undefined) filter.anonymousId = query.anonymousId;
    if (query.type !== undefined) filter.type = query.type;
    if (query.name !== undefined) filter.name = query.name;
    if (query.cursor !== undefined) filter._id = { $lt: query.cursor };
    const docs = await this.#events.find(filter).sort({ _id: -1 }).limit(query.limit + 1).toArray();
    const page = docs.slice(0, query.limit);
    return {
      items: page.map(toEvent),
      nextCursor: docs.length > query.limit && page.length > 0 ? page[page.length - 1]!._id : null,
    };
  }

  /**
   * Forgets by unsetting `dedupeAt` in one statement; the `dedupeKey` stays until the messageId
   * comes again, when append finds a holder without `dedupeAt`, treats it as outside the window
   * and renames its key then (so prune writes nothing per event beyond this one update).
   */
  async pruneDedupe(olderThan: number): Promise<number> {
    return (await this.#events.updateMany({ dedupeAt: { $lt: olderThan } }, { $unset: { dedupeAt: '' } })).modifiedCount;
  }

  /**
   * Makes events forget their messageIds, each only if it still holds the claim it was read with
   * (a rename to a fixed value, so two processes doing it at once agree); answers how many did.
   */
  async #forget(holders: ReadonlyArray<Pick<EventDoc, '_id' | 'dedupeKey'>>): Promise<number> {
    const live = holders.filter((h) => h.dedupeKey !== prunedKey(h._id));
    if (live.length === 0) return 0;
    const { landed } = await bulkWriteInChunks(this.#events, live.map((h) => ({
      updateOne: {
        filter: { _id: h._id, dedupeKey: h.dedupeKey },
        update: { $set: { dedupeKey: prunedKey(h._id) }, $unset: { dedupeAt: '' } },
      },
    })));
    return landed;
  }
}
