// What one call of a destination function produces, as plain data. Errors are identified by
// `name` only: classes thrown inside the isolate do not survive the boundary.

/** The handlers a destination function may define (Segment's names). */
export type HandlerName = 'onTrack' | 'onIdentify' | 'onPage' | 'onScreen' | 'onGroup' | 'onAlias' | 'onDelete' | 'onBatch';

/** Every handler name, in Segment's documentation order. */
export const HANDLER_NAMES: readonly HandlerName[] = ['onTrack', 'onIdentify', 'onPage', 'onScreen', 'onGroup', 'onAlias', 'onDelete', 'onBatch'];

/** One `console.*` line written by the function. */
export interface FunctionLog {
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  message: string;
  /** ISO-8601 time the line was written. */
  at: string;
}

/** One outbound request the function made through `fetch`. */
export interface FunctionRequest {
  method: string;
  url: string;
  /** HTTP status, or null when no response came back (refused, failed, aborted). */
  status: number | null;
  durationMs: number;
  /** `name: message` of the failure when status is null. */
  error?: string;
}

/** An error as it crosses the boundary. */
export interface FunctionError {
  name: string;
  message: string;
}

/** Time spent on the call; coldStart means a context (and maybe the isolate) was built for it. */
export interface InvocationTiming {
  totalMs: number;
  coldStart: boolean;
}

/** The outcome of one call: the handler's return value or its error, with logs and requests. */
export type InvocationResult =
  | { ok: true; value: unknown; logs: FunctionLog[]; requests: FunctionRequest[]; timing: InvocationTiming }
  | { ok: false; error: FunctionError; logs: FunctionLog[]; requests: FunctionRequest[]; timing: InvocationTiming };

/**
 * Error names the sandbox itself produces (the function's own errors keep their names):
 * - TimeoutError: CPU or wall-clock limit reached (retryable).
 * - MemoryLimitError: the isolate ran out of memory and was disposed (permanent).
 * - RequestLimitError: more fetches than allowed in one call (permanent).
 * - SandboxResetError: the isolate was disposed under the call for another reason, e.g. the
 *   sandbox shutting down or being evicted (retryable: the function did nothing wrong).
 * - InvalidReturnValue: the handler returned something that is not JSON (permanent).
 */
export const SANDBOX_ERROR_NAMES = ['TimeoutError', 'MemoryLimitError', 'RequestLimitError', 'SandboxResetError', 'InvalidReturnValue'] as const;
