import type { EngineConfig } from '../config.ts';
import { EngineError } from '../errors.ts';
import type { EventRecord, EventStore, MessageType } from '../store/event-store.ts';
import { normalizeMessage, type BatchEnvelope } from './normalize-message.ts';
import { isMessageType, validateBatchEnvelope, validateMessage } from './validate-message.ts';
import type { IngestMetrics } from '../metrics/ingest-metrics.ts';
import type { Arrival, ArrivalFence } from './arrival-fence.ts';

/** What the client is told after its messages are durably stored. */
export interface IngestResult {
  stored: number;
  duplicates: number;
}

/** Options of the ingest service; `onStored` wakes the event processor. */
export interface IngestServiceOptions {
  events: EventStore;
  config: Pick<EngineConfig, 'dedupeWindowMs' | 'maxMessageBytes'>;
  onStored: () => void;
  now?: () => number;
  /** Counts the messages appended, by type and outcome. */
  metrics?: IngestMetrics;
  /** Where an arrival is marked from its stamp until its commit (see arrival-fence.ts). */
  arrivals?: ArrivalFence;
}

/**
 * Validates, normalizes and durably appends Segment messages. A request is all-or-nothing at
 * validation: one bad message rejects the whole batch before anything is written.
 */
export class IngestService {
  readonly #options: IngestServiceOptions;
  readonly #now: () => number;

  constructor(options: IngestServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Accepts one message posted to `/v1/<type>`. */
  async single(spaceId: string, type: MessageType, body: unknown): Promise<IngestResult> {
    validateMessage(body, type, '', null);
    const raw = body as Record<string, unknown>;
    if (raw['type'] !== undefined && raw['type'] !== type) {
      throw new EngineError('invalid_message', `/type is '${String(raw['type'])}' but the message was posted to /v1/${type}`, { path: '/type' });
    }
    const arrival = this.#arrive();
    try {
      return await this.#append([normalizeMessage(raw, type, spaceId, arrival.at)], arrival.at);
    } finally {
      arrival.leave();
    }
  }

  /**
   * Accepts a `/v1/batch` (or `/v1/import`) body. `messageBytes`: each message's size as sent (see
   * readBatchBody); without it, or when it does not count the messages, each is measured serialized.
   */
  async batch(spaceId: string, body: unknown, messageBytes: readonly number[] | null = null): Promise<IngestResult> {
    validateBatchEnvelope(body);
    const arrival = this.#arrive();
    try {
      return await this.#appendBatch(spaceId, body, messageBytes?.length === body.batch.length ? messageBytes : null, arrival.at);
    } finally {
      arrival.leave();
    }
  }

  async #appendBatch(
    spaceId: string, body: { batch: unknown[]; context?: object; integrations?: object; sentAt?: string }, messageBytes: readonly number[] | null, now: number,
  ): Promise<IngestResult> {
    const envelope: BatchEnvelope = {
      ...(body.context ? { context: body.context } : {}),
      ...(body.integrations ? { integrations: body.integrations } : {}),
      ...(body.sentAt ? { sentAt: body.sentAt } : {}),
    };
    const events: EventRecord[] = body.batch.map((item, index) => {
      const prefix = `/batch/${index}`;
      const type = (item as Record<string, unknown> | null)?.['type'];
      if (!isMessageType(type)) {
        throw new EngineError('invalid_message',
          `${prefix}/type must be one of track, identify, page, screen, group, alias (batch message ${index})`,
          { path: `${prefix}/type`, index });
      }
      const size = messageBytes?.[index] ?? Buffer.byteLength(JSON.stringify(item));
      if (size > this.#options.config.maxMessageBytes) {
        throw new EngineError('message_too_large',
          `batch message ${index} is ${size} bytes; the limit is ${this.#options.config.maxMessageBytes}`,
          { path: prefix, index, limit: this.#options.config.maxMessageBytes });
      }
      validateMessage(item, type, prefix, index);
      return normalizeMessage(item as Record<string, unknown>, type, spaceId, now, envelope);
    });
    return this.#append(events, now);
  }

  /** Marks an arrival (its time read after the mark is visible to the processing thread). */
  #arrive(): Arrival {
    return this.#options.arrivals ? this.#options.arrivals.enter(this.#now) : { at: this.#now(), leave: () => {} };
  }

  async #append(events: EventRecord[], now: number): Promise<IngestResult> {
    const outcomes = await this.#options.events.append(events, { dedupeWindowMs: this.#options.config.dedupeWindowMs, now });
    this.#options.metrics?.appended(events, outcomes);
    const stored = outcomes.filter((o) => o === 'stored').length;
    if (stored > 0) this.#options.onStored();
    return { stored, duplicates: outcomes.length - stored };
  }
}
