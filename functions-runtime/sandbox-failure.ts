import type { FunctionError } from './invocation-result.ts';

/** What a failure seen from the host means for the call and for the context it ran in. */
export interface SandboxFailure {
  error: FunctionError;
  /** False when the context may hold half-run code (a timeout) or is gone with its isolate. */
  contextReusable: boolean;
}

/** The limits quoted in failure messages. */
export interface FailureLimits {
  cpuTimeoutMs: number;
  memoryLimitMb: number;
}

/** The error of a call whose code used more CPU time than allowed. */
export function cpuTimeoutError(limits: FailureLimits): FunctionError {
  return { name: 'TimeoutError', message: `the function exceeded its CPU time limit of ${limits.cpuTimeoutMs} ms` };
}

/**
 * Turns an error thrown by an isolated-vm operation (apply, run, createContext) into the
 * function's error. isolated-vm reports its own conditions only through messages, so this is the
 * one place that reads them.
 */
export function classifySandboxFailure(thrown: unknown, isolateDisposed: boolean, limits: FailureLimits): SandboxFailure {
  const name = thrown instanceof Error ? thrown.name : 'Error';
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (/memory limit/i.test(message)) {
    return { error: { name: 'MemoryLimitError', message: `the function exceeded its memory limit of ${limits.memoryLimitMb} MB` }, contextReusable: false };
  }
  if (/Script execution timed out/.test(message)) {
    return { error: cpuTimeoutError(limits), contextReusable: false };
  }
  if (isolateDisposed || /Isolate (is|was) disposed/.test(message)) {
    return { error: { name: 'SandboxResetError', message: 'the function\'s sandbox was disposed during the call' }, contextReusable: false };
  }
  // Anything else was thrown by the function's own code (top-level code, a timer callback).
  return { error: { name, message }, contextReusable: true };
}
