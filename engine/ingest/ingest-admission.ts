import type { EngineConfig } from '../config.ts';
import { EngineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { IngestMetrics } from '../metrics/ingest-metrics.ts';
import type { EventStore } from '../store/event-store.ts';
import { IngestBackpressure } from './ingest-backpressure.ts';
import { WriteKeyRateLimiter } from './write-key-rate-limiter.ts';

/** Seconds an `overloaded` client is asked to wait: in-flight requests finish within milliseconds. */
const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/** Options of the ingest admission checks. */
export interface IngestAdmissionOptions {
  limits: EngineConfig['ingestLimits'];
  events: Pick<EventStore, 'backlog'>;
  /** Engine time (events' `receivedAt`). */
  now: () => number;
  logger: Logger;
  metrics?: Pick<IngestMetrics, 'backpressure'>;
  /** How often the backlog is read (default 250 ms). */
  backlogRefreshMs?: number;
}

/**
 * Whether an ingest request may go on, decided before anything is stored and without a store
 * query: refused with 503 `overloaded` past `maxConcurrentRequests` requests in flight (which
 * bounds the request bodies held in memory and the appends queued for the store, e.g. the SQLite
 * group-commit queue), with 429 `backpressure` while processing is behind, and with 429
 * `rate_limited` past the write key's rate. Every refusal carries `Retry-After`.
 */
export class IngestAdmission {
  readonly backpressure: IngestBackpressure;
  readonly rateLimiter: WriteKeyRateLimiter;
  readonly #maxConcurrent: number;
  #inFlight = 0;

  constructor(options: IngestAdmissionOptions) {
    const { limits } = options;
    this.#maxConcurrent = limits.maxConcurrentRequests;
    this.backpressure = new IngestBackpressure({
      events: options.events, maxPendingEvents: limits.maxPendingEvents, maxLagMs: limits.maxLagMs,
      now: options.now, logger: options.logger,
      ...(options.backlogRefreshMs !== undefined ? { refreshMs: options.backlogRefreshMs } : {}),
      ...(options.metrics ? { onChange: (refusing: boolean) => options.metrics?.backpressure(refusing) } : {}),
    });
    this.rateLimiter = new WriteKeyRateLimiter({ ratePerSecond: limits.ratePerSecond, burst: limits.rateBurst });
  }

  /** Starts watching the backlog (reads it once before answering). */
  start(): Promise<void> {
    return this.backpressure.start();
  }

  /** Stops the timers. */
  async stop(): Promise<void> {
    this.rateLimiter.stop();
    await this.backpressure.stop();
  }

  /** Ingest requests between `enter` and `leave` now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * A request begins (before its body is read): throws `overloaded` or `backpressure`, else
   * counts it in flight until `leave`.
   */
  enter(): void {
    if (this.#maxConcurrent > 0 && this.#inFlight >= this.#maxConcurrent) {
      throw new EngineError('overloaded',
        `the engine is handling ${this.#inFlight} ingest requests already; nothing was stored: retry after ${OVERLOADED_RETRY_AFTER_SECONDS} s`,
        { retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS }, { retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS });
    }
    this.backpressure.check();
    this.#inFlight++;
  }

  /** A request that `enter` let in has ended. */
  leave(): void {
    this.#inFlight--;
  }

  /** Charges a request's `events` to its write key (a credential id); throws `rate_limited` past the key's rate. */
  charge(writeKeyId: string, events: number): void {
    const retryAfterSeconds = this.rateLimiter.take(writeKeyId, events);
    if (retryAfterSeconds === 0) return;
    throw new EngineError('rate_limited',
      `this write key may send ${this.rateLimiter.ratePerSecond} events per second; nothing was stored: retry after ${retryAfterSeconds} s`,
      { retryAfterSeconds }, { retryAfterSeconds });
  }
}
