import { createHash } from 'node:crypto';
import type { Collection, Db, UpdateFilter } from 'mongodb';
import {
  HOURS_PER_DAY, mergeCounterChanges, splitRange,
  type CounterChange, type FigureStore, type HourRange, type JourneyCounts,
} from '../journey-counters.ts';
import { KeyedMutex, createIndexesOneByOne, isDuplicateKey } from './mongo-support.ts';

/** Span of a gauge document (flows use 1 for hours and 24 for days). */
const GAUGE_SPAN = 0;
/**
 * Batch ids remembered per counter document. A batch is replayed only when the process that
 * applied it died before marking its cause done, so it is among the last few hundred to touch the
 * document; a longer list makes every increment rewrite a larger document (FerretDB rewrites the
 * whole document: 200 short ids keep each update near 4 KB).
 */
const APPLIED_KEPT = 200;

/** A batch id shortened to 16 characters (96 bits of a SHA-256: no collision among the last 200). */
function shortId(batchId: string): string {
  return createHash('sha256').update(batchId).digest('base64url').slice(0, 16);
}

/** One journey's counters for one span and bucket (or its gauges): key → count. */
interface CounterDoc {
  _id: string;
  spaceId: string;
  journeyId: string;
  span: number;
  bucket: number;
  c: Record<string, number>;
  /** Recent batches applied to this document: a replayed batch is recognised and skipped. */
  applied: string[];
}

/**
 * MongoDB counters. Without multi-document transactions, a batch of changes (one outbox, one
 * delivery change) is applied to each document at most once: the update only matches while the
 * batch id is absent from the document's `applied` list, and adds it in the same update.
 */
export class MongoFigureStore implements FigureStore {
  readonly #counters: Collection<CounterDoc>;
  /** This process's updates of one counter document, one at a time (FerretDB's $inc is a read then a write; see KeyedMutex). */
  readonly #locks = new KeyedMutex();

  constructor(db: Db) {
    this.#counters = db.collection<CounterDoc>('journey_counters');
  }

  /** Creates the index that reads a journey's buckets of a span in order, and the gauges' one. */
  async ensureIndexes(): Promise<void> {
    await createIndexesOneByOne(this.#counters, [
      { key: { journeyId: 1, span: 1, bucket: 1 }, name: 'journey_span_bucket' },
      { key: { span: 1 }, name: 'span' },
    ]);
  }

  /** Applies a batch of changes once, whatever the number of times it is offered. */
  async apply(batch: string, changes: readonly CounterChange[]): Promise<void> {
    const batchId = shortId(batch);
    const docs = new Map<string, { spaceId: string; journeyId: string; span: number; bucket: number; inc: Record<string, number> }>();
    const add = (c: CounterChange, span: number, bucket: number) => {
      const id = `${c.spaceId}|${c.journeyId}|${span}|${bucket}`;
      let doc = docs.get(id);
      if (!doc) docs.set(id, doc = { spaceId: c.spaceId, journeyId: c.journeyId, span, bucket, inc: {} });
      doc.inc[`c.${c.key}`] = (doc.inc[`c.${c.key}`] ?? 0) + c.delta;
    };
    for (const c of mergeCounterChanges(changes)) {
      if (c.hour === null) add(c, GAUGE_SPAN, 0);
      else {
        add(c, 1, c.hour);
        add(c, HOURS_PER_DAY, Math.floor(c.hour / HOURS_PER_DAY));
      }
    }
    await Promise.all([...docs].map(([id, d]) => this.#locks.run(id, () => this.#applyOnce(id, batchId, d))));
  }

  async #applyOnce(id: string, batchId: string, d: { spaceId: string; journeyId: string; span: number; bucket: number; inc: Record<string, number> }): Promise<void> {
    const update = {
      $inc: d.inc,
      $push: { applied: { $each: [batchId], $slice: -APPLIED_KEPT } },
      $setOnInsert: { spaceId: d.spaceId, journeyId: d.journeyId, span: d.span, bucket: d.bucket },
    } as unknown as UpdateFilter<CounterDoc>;
    try {
      await this.#counters.updateOne({ _id: id, applied: { $ne: batchId } }, update, { upsert: true });
    } catch (error) {
      // The upsert found the document holding this batch already (applied before), or another
      // process created the document first: then apply to it, still guarded by the batch id.
      if (!isDuplicateKey(error)) throw error;
      await this.#counters.updateOne({ _id: id, applied: { $ne: batchId } }, update);
    }
  }

  async journey(spaceId: string, journeyId: string, range: HourRange | null): Promise<JourneyCounts> {
    const flows: Record<string, number> = {};
    const add = async (span: number, from: number, to: number) => {
      const docs = await this.#counters.find({ journeyId, spaceId, span, bucket: { $gte: from, $lt: to } }, { projection: { c: 1 } }).toArray();
      for (const doc of docs) for (const [key, n] of Object.entries(doc.c)) flows[key] = (flows[key] ?? 0) + n;
    };
    const reads: Array<Promise<void>> = [];
    if (range === null) reads.push(add(HOURS_PER_DAY, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    else {
      const { days, hours } = splitRange(range);
      if (days) reads.push(add(HOURS_PER_DAY, days[0], days[1]));
      for (const [from, to] of hours) reads.push(add(1, from, to));
    }
    const [gaugeDoc] = await Promise.all([
      this.#counters.findOne({ _id: `${spaceId}|${journeyId}|${GAUGE_SPAN}|0` }, { projection: { c: 1 } }),
      ...reads,
    ]);
    return { flows, gauges: { ...(gaugeDoc?.c ?? {}) } };
  }

  async gaugeTotals(keys: readonly string[]): Promise<Record<string, number>> {
    const totals: Record<string, number> = Object.fromEntries(keys.map((k) => [k, 0]));
    if (keys.length === 0) return totals;
    const projection = Object.fromEntries(keys.map((k) => [`c.${k}`, 1]));
    for await (const doc of this.#counters.find({ span: GAUGE_SPAN }, { projection })) {
      for (const key of keys) totals[key]! += doc.c?.[key] ?? 0;
    }
    return totals;
  }
}
