import type { Clock } from '../clock.ts';
import { EngineError, invalidRequest, notFound } from '../errors.ts';
import { objectWithKeys } from '../http/object-body.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryQuery, DeliveryRecord, DeliveryStatus } from '../store/delivery-store.ts';

/** A delivery as the API shows it. */
export type DeliveryView = Omit<DeliveryRecord, 'spaceId'>;

/** Statuses a delivery can be re-driven from. */
const REDRIVABLE: ReadonlySet<DeliveryStatus> = new Set(['failed', 'retrying']);

/** Most deliveries one bulk re-drive touches. */
export const MAX_BULK_REDRIVE = 10_000;

/** What a bulk re-drive selects. */
export interface RedriveFilter {
  status: 'failed' | 'retrying';
  journeyId?: string;
  ids?: string[];
  limit: number;
}

/** Deliveries through the API: listing, and re-driving failed (or waiting) ones. */
export class DeliveryService {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #onRedrive: () => void;

  /** `onRedrive` tells the dispatcher that deliveries are due now. */
  constructor(options: { store: Store; clock: Clock; onRedrive: () => void }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#onRedrive = options.onRedrive;
  }

  async list(spaceId: string, query: DeliveryQuery): Promise<DeliveryRecord[]> {
    return this.#store.deliveries.list(spaceId, query);
  }

  async get(spaceId: string, id: string): Promise<DeliveryRecord> {
    const delivery = await this.#store.deliveries.get(spaceId, id);
    if (!delivery) throw notFound('delivery', id);
    return delivery;
  }

  async forInstance(spaceId: string, instanceId: string): Promise<DeliveryRecord[]> {
    if (!(await this.#store.instances.get(spaceId, instanceId))) throw notFound('instance', instanceId);
    return this.#store.deliveries.listByInstance(spaceId, instanceId);
  }

  /** Sends a failed or retrying delivery again now, with a new retry window and the same idempotency key. */
  async redrive(spaceId: string, id: string): Promise<DeliveryRecord> {
    const delivery = await this.get(spaceId, id);
    if (!REDRIVABLE.has(delivery.status)) {
      throw new EngineError('invalid_transition', `delivery '${id}' is ${delivery.status}; only failed or retrying deliveries can be re-driven`
        + (delivery.status === 'delivered' ? ' (a confirmed send is never repeated)' : ''));
    }
    const next = this.#redriven(delivery);
    if (await this.#store.deliveries.update(next, delivery.rev) === 'version_conflict') {
      throw new EngineError('version_conflict', `delivery '${id}' changed while being re-driven; read it again and retry`);
    }
    this.#onRedrive();
    return next;
  }

  /** Re-drives every delivery the filter selects (up to its limit); answers how many. */
  async redriveMany(spaceId: string, filter: RedriveFilter): Promise<{ redriven: number; skipped: number }> {
    let redriven = 0;
    let skipped = 0;
    const wanted = filter.ids ? new Set(filter.ids) : null;
    let after: string | null = null;
    while (redriven < filter.limit) {
      const page = await this.#store.deliveries.list(spaceId, {
        status: filter.status, ...(filter.journeyId ? { journeyId: filter.journeyId } : {}), after, limit: 500,
      });
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      const chosen = page.filter((d) => !wanted || wanted.has(d.id)).slice(0, filter.limit - redriven);
      // Issued together, so the page is one group commit rather than one commit per row.
      const results = await Promise.all(chosen.map((d) => this.#store.deliveries.update(this.#redriven(d), d.rev)));
      // A delivery the dispatcher changed meanwhile is left to it.
      for (const result of results) if (result === 'ok') redriven++; else skipped++;
      // Each page is sent while the next is being re-driven.
      if (results.includes('ok')) this.#onRedrive();
    }
    return { redriven, skipped };
  }

  #redriven(d: DeliveryRecord): DeliveryRecord {
    const now = this.#clock.now();
    return {
      ...d, status: 'pending', nextAttemptAt: now, firstAttemptAt: null, windowAttempts: 0, reason: null,
      updatedAt: new Date(now).toISOString(), rev: d.rev + 1,
    };
  }
}

/** Reads a bulk re-drive body; throws invalid_request with the path of the first bad field. */
export function parseRedriveFilter(body: unknown): RedriveFilter {
  const b = objectWithKeys(body === undefined ? {} : body, ['status', 'journeyId', 'ids', 'limit']);
  // Absent means 'failed'; null is not a status.
  const status = b['status'] === undefined ? 'failed' : b['status'];
  if (status !== 'failed' && status !== 'retrying') throw invalidRequest("status must be 'failed' or 'retrying'", '/status');
  const filter: RedriveFilter = { status, limit: MAX_BULK_REDRIVE };
  if (b['journeyId'] !== undefined) {
    if (typeof b['journeyId'] !== 'string' || b['journeyId'] === '') throw invalidRequest('journeyId must be a journey id', '/journeyId');
    filter.journeyId = b['journeyId'];
  }
  if (b['ids'] !== undefined) {
    const ids = b['ids'];
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK_REDRIVE || !ids.every((id) => typeof id === 'string')) {
      throw invalidRequest(`ids must be a non-empty array of at most ${MAX_BULK_REDRIVE} delivery ids`, '/ids');
    }
    filter.ids = ids as string[];
  }
  if (b['limit'] !== undefined) {
    const limit = b['limit'];
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_BULK_REDRIVE) {
      throw invalidRequest(`limit must be an integer from 1 to ${MAX_BULK_REDRIVE}`, '/limit');
    }
    filter.limit = limit;
  }
  return filter;
}

/** The API view of a delivery. */
export function viewDelivery(d: DeliveryRecord): DeliveryView {
  const { spaceId: _space, ...rest } = d;
  return rest;
}
