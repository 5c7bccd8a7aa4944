import { isolateSnapshot } from './isolate-snapshot.ts';
import { ivm, type IsolatedVM } from './isolated-vm.ts';
import type { CallLimits } from './sandbox-call.ts';
import { SandboxContext } from './sandbox-context.ts';

/** The file name the function's code is compiled under (it appears in stack traces and syntax errors). */
export const FUNCTION_FILENAME = 'function.js';

/** A context handed out for one call; `cold` when it was built for that call. */
export interface LeasedContext {
  context: SandboxContext;
  cold: boolean;
}

/**
 * The warm isolate of one function version: the function's code compiled once, and a small pool
 * of contexts that run it. Calls of the same function may overlap (an async handler awaiting a
 * fetch), and logs, requests and timers must be attributed to the right call: V8 has no async
 * context tracking, so each call in flight gets a context of its own, taken from the pool.
 */
export class FunctionIsolate {
  readonly key: string;
  readonly code: string;
  lastUsedAt = Date.now();
  private readonly isolate: IsolatedVM.Isolate;
  private readonly script: IsolatedVM.Script;
  private readonly limits: CallLimits;
  private readonly maxContexts: number;
  private readonly idle: SandboxContext[] = [];
  private readonly waiters: Array<() => void> = [];
  private contexts = 0;
  private leased = 0;

  private constructor(key: string, code: string, isolate: IsolatedVM.Isolate, script: IsolatedVM.Script, limits: CallLimits, maxContexts: number) {
    this.key = key;
    this.code = code;
    this.isolate = isolate;
    this.script = script;
    this.limits = limits;
    this.maxContexts = maxContexts;
  }

  /** Creates the isolate from the shared snapshot and compiles the code (a SyntaxError rejects). */
  static async create(key: string, code: string, limits: CallLimits, maxContexts: number): Promise<FunctionIsolate> {
    const isolate = new ivm.Isolate({ memoryLimit: limits.memoryLimitMb, snapshot: isolateSnapshot() });
    try {
      const script = await isolate.compileScript(code, { filename: FUNCTION_FILENAME });
      return new FunctionIsolate(key, code, isolate, script, limits, maxContexts);
    } catch (error) {
      isolate.dispose();
      throw error;
    }
  }

  /** True once the isolate is gone (out of memory, evicted, sandbox disposed). */
  get disposed(): boolean {
    return this.isolate.isDisposed;
  }

  /** Calls currently holding a context. */
  get busy(): number {
    return this.leased;
  }

  /** Takes an idle context, builds one, or waits for one when `maxContexts` are all busy. */
  async lease(): Promise<LeasedContext> {
    this.lastUsedAt = Date.now();
    for (;;) {
      const idle = this.idle.pop();
      if (idle !== undefined) {
        this.leased++;
        return { context: idle, cold: false };
      }
      if (this.contexts < this.maxContexts) break;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.contexts++;
    this.leased++;
    try {
      return { context: await SandboxContext.create(this.isolate, this.script, this.limits), cold: true };
    } catch (error) {
      this.contexts--;
      this.leased--;
      this.waiters.shift()?.();
      throw error;
    }
  }

  /** Returns a context after a call; a context that may hold half-run code is dropped instead. */
  giveBack(context: SandboxContext, reusable: boolean): void {
    this.leased--;
    this.lastUsedAt = Date.now();
    if (reusable && !this.isolate.isDisposed) {
      this.idle.push(context);
    } else {
      context.release();
      this.contexts--;
    }
    this.waiters.shift()?.();
  }

  /** Heap in use, for stats. */
  async heapUsedBytes(): Promise<number> {
    if (this.isolate.isDisposed) return 0;
    const heap = await this.isolate.getHeapStatistics();
    return heap.used_heap_size + heap.externally_allocated_size;
  }

  /** Contexts alive (idle and busy). */
  get contextCount(): number {
    return this.contexts;
  }

  /** Disposes the isolate; calls still running in it fail with SandboxResetError. */
  dispose(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
    this.idle.length = 0;
    for (const wake of this.waiters.splice(0)) wake();
  }
}
