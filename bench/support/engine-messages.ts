/** The IPC protocol between a benchmark (parent) and the engine it runs in a child process. */

/** Requests the benchmark sends to the engine process. */
export type EngineRequest =
  | { kind: 'stats' }
  | { kind: 'drain'; timeoutMs: number }
  | { kind: 'profile-start' }
  /** Stops the CPU profile started last and writes it (V8 .cpuprofile JSON) to `file`. */
  | { kind: 'profile-stop'; file: string }
  /** Waits for RunningEngine.settle(): events processed, due timers fired, background work done. */
  | { kind: 'settle'; timeoutMs: number }
  | { kind: 'stop' };

/** CPU and memory of the engine process at one instant. */
export interface EngineStats {
  cpuUserMs: number;
  cpuSystemMs: number;
  rssMb: number;
  /** V8 heap in use and reserved, and memory outside it held by JS objects (process.memoryUsage()). */
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  /** V8's own malloc'ed memory (compiler zones and the like) now and at its peak (v8.getHeapStatistics()). */
  v8MallocedMb: number;
  v8PeakMallocedMb: number;
  /** V8 heaps of the engine's worker threads (the processing worker), used and reserved, summed; 0 without workers. */
  workerHeapUsedMb: number;
  workerHeapTotalMb: number;
  /** Stored events the processor has not processed yet. */
  backlog: number;
  /** Event-loop delay since the previous stats request: how long a ready request could wait. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /**
   * Share of wall time since the previous stats request that the event loop was not idle. Above
   * the CPU share, the difference is time the main thread spent blocked in synchronous I/O (fsync).
   */
  loopUtilization: number;
}

/** Replies and notices of the engine process. */
export type EngineReply =
  | { kind: 'ready'; url: string; writeKey: string; dbFile: string; adminToken: string | null }
  | { kind: 'stats'; stats: EngineStats }
  | { kind: 'drained'; backlogBefore: number; backlogAfter: number; ms: number; complete: boolean }
  | { kind: 'settled'; fired: number; ms: number; complete: boolean }
  | { kind: 'profiling' }
  | { kind: 'profiled'; file: string }
  | { kind: 'stopped' }
  | { kind: 'failed'; message: string };
