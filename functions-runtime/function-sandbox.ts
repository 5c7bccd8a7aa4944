import { FunctionIsolate } from './function-isolate.ts';
import type { HostFetch } from './host-fetch-types.ts';
import type { HandlerName, InvocationResult } from './invocation-result.ts';
import { ivm, type IsolatedVM } from './isolated-vm.ts';
import type { CallLimits } from './sandbox-call.ts';
import { classifySandboxFailure } from './sandbox-failure.ts';
import { findSyntaxProblem, type SyntaxProblem } from './syntax-problem.ts';

/** Limits and pool sizes of a FunctionSandbox; every field but `fetch` has a default. */
export interface FunctionSandboxOptions {
  /** Makes the functions' outbound requests (the SSRF-guarded host fetch in production). */
  fetch: HostFetch;
  /** Heap limit per isolate (default 128). */
  memoryLimitMb?: number;
  /** CPU time a single run of the function's code may take (default 5000). */
  cpuTimeoutMs?: number;
  /** Total time a call may take, awaiting included (default 10000). */
  wallTimeoutMs?: number;
  /** Warm isolates kept, one per function version; least recently used is evicted (default 64). */
  maxIsolates?: number;
  /** An isolate unused this long is disposed (default 300000). */
  idleEvictMs?: number;
  /** Log output kept per call; beyond it, a truncation marker (default 65536). */
  maxLogBytes?: number;
  /** fetch calls allowed per call; one more fails the call with RequestLimitError (default 100). */
  maxRequestsPerCall?: number;
  /** Calls of one function running at once, each in its own context; more wait (default 16). */
  maxConcurrentCallsPerFunction?: number;
}

/** One call: which function version, its code, which handler, and fresh data for it. */
export interface InvokeRequest {
  /** Function version id, e.g. "fn_1@3": one warm isolate per key. A key's code must not change. */
  key: string;
  code: string;
  handler: HandlerName;
  /** The event, or an array of events for onBatch. */
  payload: unknown;
  settings: Record<string, unknown>;
}

/** Figures for benchmarks and health checks. */
export interface SandboxStats {
  isolates: number;
  perIsolate: Array<{ key: string; heapUsedBytes: number; contexts: number; busy: number }>;
}

/** Runs destination functions in isolated-vm: bounded pool of warm isolates, limits on every call. */
export class FunctionSandbox {
  private readonly limits: CallLimits;
  private readonly maxIsolates: number;
  private readonly idleEvictMs: number;
  private readonly maxConcurrentCalls: number;
  // Insertion order is recency order: a key is deleted and re-set on every use (LRU at the front).
  private readonly pool = new Map<string, Promise<FunctionIsolate>>();
  private readonly sweeper: NodeJS.Timeout;
  private syntaxIsolate: IsolatedVM.Isolate | undefined;
  private nextCallId = 0;
  private disposed = false;

  constructor(options: FunctionSandboxOptions) {
    this.limits = {
      fetch: options.fetch,
      memoryLimitMb: options.memoryLimitMb ?? 128,
      cpuTimeoutMs: options.cpuTimeoutMs ?? 5_000,
      wallTimeoutMs: options.wallTimeoutMs ?? 10_000,
      maxLogBytes: options.maxLogBytes ?? 65_536,
      maxRequestsPerCall: options.maxRequestsPerCall ?? 100,
    };
    this.maxIsolates = options.maxIsolates ?? 64;
    this.idleEvictMs = options.idleEvictMs ?? 300_000;
    this.maxConcurrentCalls = options.maxConcurrentCallsPerFunction ?? 16;
    const sweepEveryMs = Math.min(60_000, Math.max(10, Math.floor(this.idleEvictMs / 2)));
    this.sweeper = setInterval(() => void this.evictIdle(), sweepEveryMs);
    this.sweeper.unref();
  }

  /** Runs one handler call; never rejects: every failure is an `{ ok: false, error }` result. */
  async invoke(request: InvokeRequest): Promise<InvocationResult> {
    const started = performance.now();
    const callId = ++this.nextCallId;
    let coldStart = false;
    let isolate: FunctionIsolate | undefined;
    try {
      if (this.disposed) throw new Error('Isolate is disposed: the sandbox was disposed');
      isolate = await this.isolateFor(request.key, request.code);
      const lease = await isolate.lease();
      coldStart = lease.cold;
      let outcome;
      try {
        outcome = await lease.context.run(callId, request.handler, request.payload, request.settings);
      } finally {
        isolate.giveBack(lease.context, outcome?.contextReusable ?? false);
      }
      const timing = { totalMs: elapsed(started), coldStart };
      if (isolate.disposed) this.forget(request.key, isolate);
      return outcome.ok
        ? { ok: true, value: outcome.value, logs: outcome.logs, requests: outcome.requests, timing }
        : { ok: false, error: outcome.error, logs: outcome.logs, requests: outcome.requests, timing };
    } catch (thrown) {
      // Failures before the handler ran: syntax error, top-level code that threw or timed out.
      if (isolate?.disposed) this.forget(request.key, isolate);
      const failure = classifySandboxFailure(thrown, isolate?.disposed ?? false, this.limits);
      return { ok: false, error: failure.error, logs: [], requests: [], timing: { totalMs: elapsed(started), coldStart: true } };
    }
  }

  /** The first syntax error in `code` (1-based line and column), or null; nothing is run. */
  checkSyntax(code: string): SyntaxProblem | null {
    if (this.syntaxIsolate === undefined || this.syntaxIsolate.isDisposed) this.syntaxIsolate = new ivm.Isolate({ memoryLimit: 32 });
    return findSyntaxProblem(this.syntaxIsolate, code);
  }

  /** Isolates alive and the heap each one uses. */
  async stats(): Promise<SandboxStats> {
    const isolates = await this.settledIsolates();
    const perIsolate = await Promise.all(isolates.map(async (isolate) => ({
      key: isolate.key,
      heapUsedBytes: await isolate.heapUsedBytes(),
      contexts: isolate.contextCount,
      busy: isolate.busy,
    })));
    return { isolates: perIsolate.length, perIsolate };
  }

  /** Disposes every isolate; calls in flight fail with SandboxResetError, later calls too. */
  dispose(): void {
    this.disposed = true;
    clearInterval(this.sweeper);
    for (const entry of this.pool.values()) entry.then((isolate) => isolate.dispose(), () => undefined);
    this.pool.clear();
    if (this.syntaxIsolate !== undefined && !this.syntaxIsolate.isDisposed) this.syntaxIsolate.dispose();
  }

  private async isolateFor(key: string, code: string): Promise<FunctionIsolate> {
    const existing = this.pool.get(key);
    if (existing !== undefined) {
      const isolate = await existing.catch(() => undefined);
      if (isolate !== undefined && !isolate.disposed && isolate.code === code) {
        this.touch(key, existing);
        return isolate;
      }
      // Replaced code or a dead isolate: build afresh. A failed build is retried on the next call.
      if (this.pool.get(key) === existing) this.pool.delete(key);
      if (isolate !== undefined && !isolate.disposed) isolate.dispose();
    }
    const created = FunctionIsolate.create(key, code, this.limits, this.maxConcurrentCalls);
    this.pool.set(key, created);
    created.catch(() => { if (this.pool.get(key) === created) this.pool.delete(key); });
    void this.evictOverCapacity();
    return created;
  }

  private touch(key: string, entry: Promise<FunctionIsolate>): void {
    this.pool.delete(key);
    this.pool.set(key, entry);
  }

  private forget(key: string, isolate: FunctionIsolate): void {
    const entry = this.pool.get(key);
    if (entry === undefined) return;
    void entry.then((current) => { if (current === isolate && this.pool.get(key) === entry) this.pool.delete(key); }, () => undefined);
  }

  // Evicts least recently used isolates with no call in flight; busy ones stay (briefly over the cap).
  private async evictOverCapacity(): Promise<void> {
    let excess = this.pool.size - this.maxIsolates;
    if (excess <= 0) return;
    for (const [key, entry] of this.pool) {
      if (excess <= 0) break;
      const isolate = await entry.catch(() => undefined);
      if (isolate === undefined || isolate.busy > 0 || this.pool.get(key) !== entry) continue;
      this.pool.delete(key);
      isolate.dispose();
      excess--;
    }
  }

  private async evictIdle(): Promise<void> {
    const now = Date.now();
    for (const [key, entry] of this.pool) {
      const isolate = await entry.catch(() => undefined);
      if (isolate === undefined || isolate.busy > 0 || now - isolate.lastUsedAt < this.idleEvictMs) continue;
      if (this.pool.get(key) === entry) this.pool.delete(key);
      isolate.dispose();
    }
  }

  private async settledIsolates(): Promise<FunctionIsolate[]> {
    const isolates = await Promise.all([...this.pool.values()].map((entry) => entry.catch(() => undefined)));
    return isolates.filter((isolate): isolate is FunctionIsolate => isolate !== undefined && !isolate.disposed);
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
