import { Worker } from 'node:worker_threads';
import type { EngineConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ProcessingHandle } from './processing-handle.ts';
import type { FromWorker, ProcessingWorkerData, ToWorker } from './processing-messages.ts';

/** Processing on its own thread, driven by messages. */
export class WorkerProcessing implements ProcessingHandle {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, (value: number) => void>();
  #nextId = 1;
  #wakePending = false;
  #stopped: Promise<void> | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'settled') this.#resolve(message.id, message.fired);
      else if (message.type === 'stopped') this.#resolve(message.id, 0);
    });
  }

  /** Starts the worker and waits until it is processing. */
  static async start(config: EngineConfig, logger: Logger): Promise<WorkerProcessing> {
    const data: ProcessingWorkerData = { config, silent: logger.silent ?? false };
    const worker = new Worker(new URL('./processing-worker.ts', import.meta.url), { workerData: data });
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

  settle(): Promise<number> {
    return this.#request((id) => ({ type: 'settle', id }));
  }

  stopProcessing(): Promise<void> {
    this.#stopped ??= this.#request((id) => ({ type: 'stop', id })).then(() => undefined);
    return this.#stopped;
  }

  async close(): Promise<void> {
    await this.stopProcessing();
    await this.#worker.terminate();
  }

  #post(message: ToWorker): void {
    this.#worker.postMessage(message);
  }

  #request(make: (id: number) => ToWorker): Promise<number> {
    const id = this.#nextId++;
    return new Promise<number>((resolve) => {
      this.#waiting.set(id, resolve);
      this.#post(make(id));
    });
  }

  #resolve(id: number, value: number): void {
    this.#waiting.get(id)?.(value);
    this.#waiting.delete(id);
  }
}
