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
    // Why 12 MB (4 MB semi-spaces, what `--max-semi-space-size=4` of `npm start` gives every thread): no measured cost in the ingest and journeys benchmarks.
    maxYoungGenerationSizeMb: 12,
    // Why: 1 GB is ~10× the most the thread used, plus 8 full batches of the largest messages allowed, so that a
    // legitimate burst never runs it out of memory; below 2 GB, V8 grows the heap to ~1.6× its live size, not 4×.
    maxOldGenerationSizeMb: 1024 + Math.ceil((8 * config.processorBatchSize * config.maxMessageBytes) / MB),
  };
}

/** Processing on its own thread, driven by messages. */
export class WorkerProcessing implements ProcessingHandle {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 1;
  #wakePending = false;
  #stopped: Promise<void> | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: FromWorker) => {
      if ('id' in message) {
        this.#waiting.get(message.id)?.resolve(message);
        this.#waiting.delete(message.id);
      }
    });
    // A worker that is gone answers nothing more: fail what waits rather than leave it hanging.
    worker.on('exit', (code) => {
      const error = new Error(`the processing worker exited (code ${code})`);
      for (const waiting of this.#waiting.values()) waiting.reject(error);
      this.#waiting.clear();
    });
  }

  /** Starts the worker and waits until it is processing. */
  static async start(config: EngineConfig, logger: Logger, arrivals: ArrivalFence): Promise<WorkerProcessing> {
    const data: ProcessingWorkerData = { config, silent: logger.silent ?? false, arrivals: arrivals.buffer };
    const worker = new Worker(new URL('./processing-worker.ts', import.meta.url), { workerData: data, resourceLimits: processingHeapLimits(config) });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'started') resolve();
        else if (message.type === 'start-failed') reject(new Error(`processing worker failed to start: ${message.message}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`processing worker exited with code ${code}`)));
    });
    worker.on('error', (error) => logger.error('processing worker failed', { error }));
    return new WorkerProcessing(worker);
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
    // A worker that already exited has nothing left to stop.
    await this.stopProcessing().catch(() => undefined);
    await this.#worker.terminate();
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  /** Posts a request and waits for the answer with its id (rejects after `timeoutMs`, when given). */
  #request(make: (id: number) => ToWorker, timeoutMs?: number): Promise<WorkerAnswer> {
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
