/** The IPC protocol between a benchmark (parent) and the engine it runs in a child process. */

/** Requests the benchmark sends to the engine process. */
export type EngineRequest =
  | { kind: 'stats' }
  | { kind: 'drain'; timeoutMs: number }
  | { kind: 'stop' };

/** CPU and memory of the engine process at one instant. */
export interface EngineStats {
  cpuUserMs: number;
  cpuSystemMs: number;
  rssMb: number;
  /** Stored events the processor has not processed yet. */
  backlog: number;
  /** Event-loop delay since the previous stats request: how long a ready request could wait. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** Replies and notices of the engine process. */
export type EngineReply =
  | { kind: 'ready'; url: string; writeKey: string; dbFile: string }
  | { kind: 'stats'; stats: EngineStats }
  | { kind: 'drained'; backlogBefore: number; backlogAfter: number; ms: number; complete: boolean }
  | { kind: 'stopped' }
  | { kind: 'failed'; message: string };
