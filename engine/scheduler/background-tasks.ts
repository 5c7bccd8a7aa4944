import type { Logger } from '../logger.ts';

/** Tracks fire-and-forget work (backfills, exits of archived versions) so tests and shutdown can wait for it. */
export class BackgroundTasks {
  readonly #logger: Logger;
  readonly #running = new Set<Promise<void>>();

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Whether any task is still running. */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /** Starts a task; a failure is logged, never thrown at the caller. */
  run(name: string, task: () => Promise<void>): void {
    const p: Promise<void> = task()
      .catch((error: unknown) => { this.#logger.error('background task failed', { task: name, error }); })
      .finally(() => { this.#running.delete(p); });
    this.#running.add(p);
  }

  /** Resolves once every task started so far (and any they start) has finished. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }
}
