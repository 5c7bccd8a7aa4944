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

const CPU_TIMEOUT_MESSAGE = 'the function exceeded its CPU time limit';
const WALL_TIMEOUT_MESSAGE = 'the function did not finish within its wall-clock limit';

/** The error of a call whose code used more CPU time than allowed. */
export function cpuTimeoutError(limits: FailureLimits): FunctionError {
  return { name: 'TimeoutError', message: `${CPU_TIMEOUT_MESSAGE} of ${limits.cpuTimeoutMs} ms` };
}

/** The error of a call that did not finish within its wall-clock limit. */
export function wallTimeoutError(limits: { wallTimeoutMs: number }): FunctionError {
  return { name: 'TimeoutError', message: `${WALL_TIMEOUT_MESSAGE} of ${limits.wallTimeoutMs} ms` };
}

/** Which limit or condition of the sandbox ended a failed call (not the function's own errors). */
export type SandboxFailureKind = 'cpu_timeout' | 'wall_timeout' | 'memory_limit' | 'request_limit' | 'sandbox_reset' | 'invalid_return';

/**
 * The sandbox condition behind a call's error, or null when the function's own code failed. A
 * TimeoutError is the sandbox's only with its own messages: a request timeout the function did not
 * catch has the same name.
 */
export function sandboxFailureKind(error: FunctionError): SandboxFailureKind | null {
  switch (error.name) {
    case 'TimeoutError':
      if (error.message.startsWith(CPU_TIMEOUT_MESSAGE)) return 'cpu_timeout';
      return error.message.startsWith(WALL_TIMEOUT_MESSAGE) ? 'wall_timeout' : null;
    case 'MemoryLimitError': return 'memory_limit';
    case 'RequestLimitError': return 'request_limit';
    case 'SandboxResetError': return 'sandbox_reset';
    case 'InvalidReturnValue': return 'invalid_return';
    default: return null;
  }
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
