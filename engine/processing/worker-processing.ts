import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ArrivalFence } from '../ingest/arrival-fence.ts';
import type { EngineConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { MetricsSnapshot } from '../metrics/metrics-snapshot.ts';
import type { ProcessingHandle, ProcessingStatus } from './processing-handle.ts';
import type { FromWorker, ProcessingWorkerData, ToWorker, WorkerAnswer } from './processing-messages.ts';

interface Waiting {
  resolve: (answer: WorkerAnswer) => void;
  reject: (error: Error) => void;
}

const MB = 1024 * 1024;

/**
 * The processing thread's V8 heap limits. With V8's defaults (64 MB of semi-spaces, and an old
 * generation allowed to grow to 4× what survives a collection once its limit is 2 GB or more), the
 * thread reserved ~200 MB around ~50–90 MB used with 1M active instances (journeys benchmark).
 */
export function processingHeapLimits(config: Pick<EngineConfig, 'processorBatchSize' | 'maxMessageBytes'>): ResourceLimits {
  return {
    // Why 12 MB (4 MB semi-spaces): no measured cost in the ingest and journeys benchmarks. `npm start`'s process-wide
    // `--max-semi-space-size=4` caps every thread at this anyway; set here for engines started without it (tests, embedding).
    maxYoungGenerationSizeMb: 12,
    // Why: 1 GB is ~10× the most the thread used, plus 8 full batches of the largest messages allowed, so that a
    // legitimate burst never runs it out of memory; below 2 GB, V8 grows the heap to ~1.6× its live size, not 4×.
    maxOldGenerationSizeMb: 1024 + Math.ceil((8 * config.processorBatchSize * config.maxMessageBytes) / MB),
  };
}

/** How soon a processing thread that died is replaced: doubling from the first delay up to the last. */
const RESTART_FIRST_DELAY_MS = 250;
const RESTART_MAX_DELAY_MS = 30_000;
/** A thread that ran this long before dying counts as healthy: the next replacement starts at the first delay again. */
const HEALTHY_RUN_MS = 60_000;

/** Starts a processing thread and waits until it is processing. */
async function spawnWorker(config: EngineConfig, logger: Logger, arrivals: ArrivalFence): Promise<Worker> {
  const data: ProcessingWorkerData = { config, silent: logger.silent ?? false, arrivals: arrivals.buffer };
  const worker = new Worker(new URL('./processing-worker.ts', import.meta.url), { workerData: data, resourceLimits: processingHeapLimits(config) });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'started') resolve();
        else if (message.type === 'start-failed') reject(new Error(`processing worker failed to start: ${message.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`processing worker exited with code ${code}`)));
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return worker;
}

/**
 * Processing on its own thread, driven by messages. A thread that dies (out of memory, a native
 * fault) is replaced, after a delay that doubles while replacements keep dying: everything it was
 * doing is durable (events wait in the log, timers and deliveries in the store), so the new thread
 * takes up where the old one stopped. Meanwhile ingest goes on and readiness reports processing down.
 */
export class WorkerProcessing implements ProcessingHandle {
  readonly #config: EngineConfig;
  readonly #logger: Logger;
  readonly #arrivals: ArrivalFence;
  #worker: Worker;
  #startedAt = Date.now();
  #restartDelayMs = RESTART_FIRST_DELAY_MS;
  #restartTimer: NodeJS.Timeout | null = null;
  #closing = false;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #wakePending = false;
  #stopped: Promise<void> | null = null;

  private constructor(worker: Worker, config: EngineConfig, logger: Logger, arrivals: ArrivalFence) {
    this.#config = config;
    this.#logger = logger;
    this.#arrivals = arrivals;
    this.#worker = worker;
    this.#attach(worker);
  }

  /** Starts the worker and waits until it is processing. */
  static async start(config: EngineConfig, logger: Logger, arrivals: ArrivalFence): Promise<WorkerProcessing> {
    return new WorkerProcessing(await spawnWorker(config, logger, arrivals), config, logger, arrivals);
  }

  /** The current processing thread (for diagnostics, and for tests that make it die). */
  get worker(): Worker {
    return this.#worker;
  }

  #attach(worker: Worker): void {
    worker.on('message', (message: FromWorker) => {
      if ('id' in message) {
        this.#waiting.get(message.id)?.resolve(message);
        this.#waiting.delete(message.id);
      }
    });
    worker.on('error', (error) => this.#logger.error('processing worker failed', { error }));
    worker.on('exit', (code) => {
      // A worker that is gone answers nothing more: fail what waits rather than leave it hanging.
      const error = new Error(`the processing worker exited (code ${code})`);
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
      if (this.#closing || this.#stopped !== null || worker !== this.#worker) return;
      if (Date.now() - this.#startedAt >= HEALTHY_RUN_MS) this.#restartDelayMs = RESTART_FIRST_DELAY_MS;
      this.#logger.error('processing worker exited unexpectedly; starting a new one', { code, inMs: this.#restartDelayMs });
      this.#scheduleRestart();
    });
  }

  #scheduleRestart(): void {
    const delay = this.#restartDelayMs;
    this.#restartDelayMs = Math.min(RESTART_MAX_DELAY_MS, delay * 2);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      spawnWorker(this.#config, this.#logger, this.#arrivals).then(async (worker) => {
        if (this.#closing || this.#stopped !== null) {
          await worker.terminate();
          return;
        }
        this.#worker = worker;
        this.#startedAt = Date.now();
        this.#attach(worker);
        this.#logger.info('processing worker restarted');
      }, (error: unknown) => {
        if (this.#closing) return;
        this.#logger.error('processing worker could not be restarted; trying again', { error, inMs: this.#restartDelayMs });
        this.#scheduleRestart();
      });
    }, delay);
  }

  wake(): void {
    // One message per turn of the event loop is enough, however many requests stored events.
    if (this.#wakePending) return;
    this.#wakePending = true;
    setImmediate(() => {
      this.#wakePending = false;
      this.#post({ type: 'wake' });
    });
  }

  invalidateJourneys(): void { this.#post({ type: 'invalidate-journeys' }); }
  invalidateDestinations(): void { this.#post({ type: 'invalidate-destinations' }); }
  wakeDeliveries(): void { this.#post({ type: 'wake-deliveries' }); }
  invalidateAudiences(): void { this.#post({ type: 'invalidate-audiences' }); }
  exitVersion(spaceId: string, journeyId: string, version: number, reason: string): void {
    this.#post({ type: 'exit-version', spaceId, journeyId, version, reason });
  }
  advanceClock(ms: number): void { this.#post({ type: 'advance-clock', ms }); }

  async settle(): Promise<number> {
    const answer = await this.#request((id) => ({ type: 'settle', id }));
    return answer.type === 'settled' ? answer.fired : 0;
  }

  async status(timeoutMs: number): Promise<ProcessingStatus> {
    const answer = await this.#request((id) => ({ type: 'status', id }), timeoutMs);
    if (answer.type !== 'status') throw new Error(`unexpected answer '${answer.type}' to a status request`);
    return answer.status;
  }

  async metrics(timeoutMs: number): Promise<MetricsSnapshot> {
    const answer = await this.#request((id) => ({ type: 'metrics', id }), timeoutMs);
    if (answer.type !== 'metrics' || answer.metrics === null) throw new Error('the processing worker could not read its metrics');
    return answer.metrics;
  }

  stopProcessing(): Promise<void> {
    this.#stopped ??= this.#request((id) => ({ type: 'stop', id })).then(() => undefined);
    return this.#stopped;
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    // A worker that already exited has nothing left to stop.
    await this.stopProcessing().catch(() => undefined);
    await this.#worker.terminate();
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  /** Posts a request and waits for the answer with its id (rejects after `timeoutMs`, when given). */
  #request(make: (id: number) => ToWorker, timeoutMs?: number): Promise<WorkerAnswer> {
    // Node sets threadId to -1 once a thread has stopped: between a death and its replacement, fail at once instead of waiting for no one.
    if (this.#worker.threadId === -1) return Promise.reject(new Error('the processing worker is being restarted'));
    const id = this.#nextId++;
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`the processing worker did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, {
        resolve: (answer) => { clearTimeout(timer); resolve(answer); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
      this.#post(make(id));
    });
  }
}
