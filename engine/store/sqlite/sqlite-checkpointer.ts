import { Worker } from 'node:worker_threads';
import type { WalTruncationRule } from './wal-quiet-watch.ts';
import type { WalRestartSize } from './wal-restart.ts';

/** What the checkpoint thread is started with. */
export interface CheckpointWorkerData {
  /** Database files, each checkpointed in turn every round. */
  files: string[];
  intervalMs: number;
  busyTimeoutMs: number;
  /** When a WAL file is truncated (see WalQuietWatch). */
  walTruncation: WalTruncationRule;
  /** When a WAL too busy to restart by itself is restarted (see restartIfLarge), by size: the files' page sizes may differ. */
  walRestart: WalRestartSize;
  /** The files whose log events the thread adds to user_events every round (see UserIndexer), or null. */
  userIndex: { mainFile: string; logFile: string } | null;
}

/** What the checkpoint thread reports after each round. */
export type FromCheckpointWorker =
  /** log and checkpointed: WAL frames, summed over the files; restarts: RESTART checkpoints the round ran (restartIfLarge). */
  | { type: 'round'; log: number; checkpointed: number; restarts: number }
  | { type: 'error'; message: string };

/**
 * Runs SQLite's WAL checkpoints on a thread of their own (sqlite-checkpoint-worker.ts), for a
 * file whose writers have turned their automatic checkpoints off; the same thread keeps the user
 * index of the event log (sqlite-user-index.ts) off the threads that write.
 *
 * Why: with automatic checkpoints, whichever connection commits past 1,000 WAL pages copies the
 * WAL into the database inside that commit, on the thread that serves ingest or processing (about
 * half of a commit's time, measured). A passive checkpoint on its own connection never blocks a
 * writer, and a page changed many times between two rounds is copied once.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #rounds = 0;
  #restarts = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: FromCheckpointWorker) => {
      if (message.type !== 'round') return;
      this.#rounds++;
      this.#restarts += message.restarts;
    });
  }

  /** Starts checkpointing `files` every `intervalMs`; `onError` hears a failed round or a failed thread. */
  static start(data: CheckpointWorkerData, onError: (message: string) => void): SqliteCheckpointer {
    const worker = new Worker(new URL('./sqlite-checkpoint-worker.ts', import.meta.url), { workerData: data });
    worker.on('message', (message: FromCheckpointWorker) => {
      if (message.type === 'error') onError(message.message);
    });
    worker.on('error', (error) => onError(error.message));
    // Checkpoints alone never keep the process alive.
    worker.unref();
    return new SqliteCheckpointer(worker);
  }

  /** Checkpoint rounds completed so far (tests read it). */
  get rounds(): number {
    return this.#rounds;
  }

  /** RESTART checkpoints the thread ran on WALs that writes never let restart, so far (tests read it). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Stops the thread after its round in flight and closes its connection. */
  async stop(): Promise<void> {
    // Held while stopping: a caller with nothing else alive (a script that opened a store) would
    // otherwise see its process leave with the close still pending and the connections open.
    this.#worker.ref();
    this.#worker.postMessage({ type: 'stop' });
    await this.#exited;
  }
}
