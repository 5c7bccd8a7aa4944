import { EngineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { EventStore } from '../store/event-store.ts';

/** How often the backlog is read from the store (one or two indexed queries). */
export const BACKLOG_REFRESH_MS = 250;

/**
 * Hysteresis: once refusing, ingest resumes only when the backlog is back under this fraction of
 * every bound, so that it does not flap at the bound while processing catches up.
 */
const RESUME_FRACTION = 0.8;

/** The longest `Retry-After` asked for; analytics-node honours up to 300 s. */
const MAX_RETRY_AFTER_SECONDS = 60;

/** Options of the backpressure gate; a bound of 0 is off, both off turns the gate off. */
export interface IngestBackpressureOptions {
  events: Pick<EventStore, 'backlog'>;
  /** Stored events not yet processed beyond which ingest is refused. */
  maxPendingEvents: number;
  /** Age of the oldest unprocessed event beyond which ingest is refused (ms). */
  maxLagMs: number;
  /** Engine time, the clock `receivedAt` is stamped with. */
  now: () => number;
  /** Wall-clock time, for how long refusing has lasted (default Date.now). */
  wallNow?: () => number;
  logger: Logger;
  /** How often the backlog is read (default BACKLOG_REFRESH_MS). */
  refreshMs?: number;
  /** Called when refusing starts (true) or stops (false), for the metric. */
  onChange?: (refusing: boolean) => void;
}

/** The backlog as last read. */
interface Reading {
  pending: number;
  lagMs: number;
}

/**
 * Refuses ingest (429 `backpressure`) while processing is behind: more than `maxPendingEvents`
 * stored events wait, or the oldest has waited more than `maxLagMs`. Segment clients keep their
 * events and send them again after `Retry-After`, so nothing is dropped; without this, a flood
 * the processor cannot keep up with would only grow the lag without bound.
 *
 * The request path reads one field: the backlog is read from the store every `refreshMs` by a
 * timer (never two reads at once), not per request. It describes the shared store, so every
 * engine process on one MongoDB decides alike. Refusing starts when a bound is passed and stops
 * once the backlog is under RESUME_FRACTION of every bound. `Retry-After` grows with how long
 * refusing has lasted (half of it, 1 to 60 s): a short burst is retried at once, a long stall
 * does not bring every client back each second.
 */
export class IngestBackpressure {
  readonly #options: IngestBackpressureOptions;
  readonly #enabled: boolean;
  readonly #wallNow: () => number;
  /** Since when ingest is refused (wall-clock ms), or null while accepting. */
  #refusingSince: number | null = null;
  #last: Reading = { pending: 0, lagMs: 0 };
  #timer: NodeJS.Timeout | null = null;
  #reading: Promise<void> | null = null;

  constructor(options: IngestBackpressureOptions) {
    this.#options = options;
    this.#enabled = options.maxPendingEvents > 0 || options.maxLagMs > 0;
    this.#wallNow = options.wallNow ?? Date.now;
  }

  /** Reads the backlog now, then every refreshMs (the timer does not hold the process open). */
  async start(): Promise<void> {
    if (!this.#enabled || this.#timer !== null) return;
    this.#timer = setInterval(() => { void this.refresh(); }, this.#options.refreshMs ?? BACKLOG_REFRESH_MS);
    this.#timer.unref();
    await this.refresh();
  }

  /** Stops reading the backlog (and accepts from then on). */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#reading;
    this.#refusingSince = null;
  }

  /** Throws the 429 to answer while processing is behind: one comparison, no store query. */
  check(): void {
    if (this.#refusingSince === null) return;
    const since = this.#refusingSince;
    const retryAfterSeconds = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((this.#wallNow() - since) / 2000)));
    const { pending, lagMs } = this.#last;
    throw new EngineError('backpressure',
      `processing is behind (${pending} events waiting, the oldest for ${Math.round(lagMs / 1000)} s); nothing was stored: retry after ${retryAfterSeconds} s`,
      { retryAfterSeconds }, { retryAfterSeconds });
  }

  /** Whether ingest is refused now. */
  get refusing(): boolean {
    return this.#refusingSince !== null;
  }

  /** Reads the backlog and decides (the timer calls it; a call during a read waits for that read). */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => { this.#reading = null; });
    return this.#reading;
  }

  async #read(): Promise<void> {
    const { maxPendingEvents, maxLagMs } = this.#options;
    let reading: Reading;
    try {
      // One more than the bound is enough to know it is passed, and keeps the count's cost bounded.
      const backlog = await this.#options.events.backlog(maxPendingEvents > 0 ? maxPendingEvents + 1 : 0);
      const now = this.#options.now();
      const lagMs = backlog.oldestReceivedAt === null ? 0 : Math.max(0, now - Date.parse(backlog.oldestReceivedAt));
      reading = { pending: backlog.pending, lagMs };
    } catch (error) {
      // Keep the last decision: a store that cannot answer this query fails the appends too.
      this.#options.logger.warn('the event backlog could not be read; ingest backpressure keeps its last state', { error });
      return;
    }
    this.#last = reading;
    const over = (maxPendingEvents > 0 && reading.pending > maxPendingEvents) || (maxLagMs > 0 && reading.lagMs > maxLagMs);
    const under = (maxPendingEvents === 0 || reading.pending <= maxPendingEvents * RESUME_FRACTION)
      && (maxLagMs === 0 || reading.lagMs <= maxLagMs * RESUME_FRACTION);
    if (this.#refusingSince === null && over) {
      this.#refusingSince = this.#wallNow();
      this.#options.logger.warn('processing is behind: ingest answers 429 until it catches up', { ...reading, maxPendingEvents, maxLagMs });
      this.#options.onChange?.(true);
    } else if (this.#refusingSince !== null && under) {
      this.#refusingSince = null;
      this.#options.logger.info('processing caught up: ingest accepts events again', reading);
      this.#options.onChange?.(false);
    }
  }
}
