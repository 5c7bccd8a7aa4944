/**
 * The engine under test, as a child process on one data directory that the chaos run SIGKILLs
 * and starts again. Every process it started is kept (for their stderr) and every kill is dated,
 * since a send the engine repeats must be explained by a kill (chaos-delivery-checks.ts).
 */
import { startEngineProcess, type EngineProcess } from '../support/engine-process.ts';

/** Options of the engine under test. */
export interface ChaosEngineOptions {
  dataDir: string;
  writeKey: string;
  adminToken: string;
  /** Extra environment of every engine process. */
  env: Record<string, string>;
  log: (line: string) => void;
}

/** A started engine that may be killed and started again. */
export class ChaosEngine {
  readonly #o: ChaosEngineOptions;
  readonly #processes: EngineProcess[] = [];
  #current: EngineProcess | null = null;
  #lastUrl: string | null = null;
  #starting: Promise<EngineProcess> | null = null;
  /** Date.now() once each SIGKILLed process had exited. */
  readonly kills: number[] = [];

  constructor(options: ChaosEngineOptions) {
    this.#o = options;
  }

  /** The running process, or null while the engine is down or starting. */
  get current(): EngineProcess | null {
    return this.#current;
  }

  /** Where clients send events: the running process, or the last one's address while none runs (refused, as a dead host is). */
  get url(): string | null {
    return this.#current?.url ?? this.#lastUrl;
  }

  /** Starts a process on the data directory (resolves once it answers /health). */
  start(): Promise<EngineProcess> {
    this.#starting ??= (async () => {
      const started = Date.now();
      const engine = await startEngineProcess({
        dataDir: this.#o.dataDir, writeKey: this.#o.writeKey, adminToken: this.#o.adminToken,
        // Real time: timers and retries run on the wall clock, across the kills.
        testClock: false,
        // Recovery after a kill replays work; on a loaded machine it can take a while.
        startTimeoutMs: 60_000,
        env: this.#o.env,
      });
      this.#processes.push(engine);
      this.#current = engine;
      this.#lastUrl = engine.url;
      this.#starting = null;
      this.#o.log(`engine up (pid ${engine.pid}, ${engine.url}) in ${Date.now() - started} ms`);
      return engine;
    })();
    return this.#starting;
  }

  /** The running process, waiting for one that is starting. */
  async ready(): Promise<EngineProcess> {
    if (this.#current) return this.#current;
    return this.#starting ?? this.start();
  }

  /** SIGKILLs the running process (waiting for one that is starting first). */
  async kill(): Promise<void> {
    const engine = await this.ready();
    this.#current = null;
    await engine.kill();
    // Dated once the process is gone: whatever it sent happened before this time.
    this.kills.push(Date.now());
    this.#o.log(`engine SIGKILLed (pid ${engine.pid}), kill ${this.kills.length}`);
  }

  /** Kills every process still running (the end of the run). */
  async stopAll(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    this.#current = null;
    for (const engine of this.#processes) await engine.kill();
  }

  /** What each process wrote to stderr (error logs, crashes), labelled by pid. */
  stderr(): string[] {
    return this.#processes.filter((p) => p.stderr().trim() !== '').map((p) => `--- engine pid ${p.pid} stderr:\n${p.stderr().trim()}`);
  }
}
