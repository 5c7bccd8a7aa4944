/**
 * Where a cold start's time goes, step by step, through the sandbox's own building blocks
 * (the shared snapshot, SandboxContext) — the same steps FunctionIsolate.create and lease() take —
 * plus a warm isolate's full heap statistics, which FunctionSandbox.stats() summarizes.
 */
import { FUNCTION_FILENAME } from '../../functions-runtime/function-isolate.ts';
import { isolateSnapshot } from '../../functions-runtime/isolate-snapshot.ts';
import { ivm } from '../../functions-runtime/isolated-vm.ts';
import type { CallLimits } from '../../functions-runtime/sandbox-call.ts';
import { SandboxContext } from '../../functions-runtime/sandbox-context.ts';
import { distribution, type Distribution } from './distribution.ts';
import { distinctMappingCode, noFetch, type TrackEvent } from './functions-fixtures.ts';

/** Per-step times of a cold start, ms. */
export interface ColdBreakdown {
  /** new ivm.Isolate from the snapshot (deserialisation of lodash + the runtime). */
  isolate: Distribution;
  /** isolate.compileScript of the function's code. */
  compile: Distribution;
  /** SandboxContext.create: createContext + __sandboxConnect (hardening) + running the function's code. */
  context: Distribution;
  /** of which, measured on a second context: a bare isolate.createContext() (from the snapshot), */
  bareContext: Distribution;
  /** then __sandboxConnect (plugs in the host callbacks, hardens the built-ins: isolate-harden.js), */
  connect: Distribution;
  /** then running the function's compiled code in it. */
  runCode: Distribution;
  /** The first call in the new context. */
  firstCall: Distribution;
  /** The second call (warm), for comparison. */
  secondCall: Distribution;
  /** new ivm.Isolate without a snapshot, for comparison. */
  plainIsolate: Distribution;
}

/** A warm isolate's heap, bytes (isolate.getHeapStatistics after `calls` calls). */
export interface WarmHeap {
  calls: number;
  totalHeapSize: number;
  totalPhysicalSize: number;
  usedHeapSize: number;
  mallocedMemory: number;
  externallyAllocatedSize: number;
}

const LIMITS: CallLimits = { fetch: noFetch, memoryLimitMb: 128, cpuTimeoutMs: 5_000, wallTimeoutMs: 10_000, maxLogBytes: 65_536, maxRequestsPerCall: 100 };

/** Builds `samples` isolates step by step, timing each step; keeps none. */
export async function coldBreakdown(samples: number, events: TrackEvent[]): Promise<{ cold: ColdBreakdown; heap: WarmHeap }> {
  const snapshot = isolateSnapshot();
  // Stand-ins for the host callbacks SandboxContext passes (never called: the function makes no requests).
  const callbacks = [0, 1, 2, 3].map(() => new ivm.Callback(() => undefined));
  const steps = { isolate: [] as number[], compile: [] as number[], context: [] as number[], bareContext: [] as number[], connect: [] as number[], runCode: [] as number[], firstCall: [] as number[], secondCall: [] as number[], plainIsolate: [] as number[] };
  let heap: WarmHeap | null = null;
  for (let i = 0; i < samples; i++) {
    let t = performance.now();
    const lap = () => { const now = performance.now(); const ms = now - t; t = now; return ms; };
    const isolate = new ivm.Isolate({ memoryLimit: LIMITS.memoryLimitMb, snapshot });
    steps.isolate.push(lap());
    const script = await isolate.compileScript(distinctMappingCode(1_000_000 + i), { filename: FUNCTION_FILENAME });
    steps.compile.push(lap());
    const context = await SandboxContext.create(isolate, script, LIMITS);
    steps.context.push(lap());
    const first = await context.run(i * 2 + 1, 'onTrack', events[i % events.length], {});
    steps.firstCall.push(lap());
    const second = await context.run(i * 2 + 2, 'onTrack', events[(i + 1) % events.length], {});
    steps.secondCall.push(lap());
    if (!first.ok || !second.ok) throw new Error(`breakdown call failed: ${JSON.stringify(first.ok ? second : first)}`);
    const bare = await isolate.createContext();
    steps.bareContext.push(lap());
    const entry = await bare.evalClosure('return __sandboxConnect($0, $1, $2, $3);', callbacks, { result: { reference: true } });
    steps.connect.push(lap());
    await script.run(bare);
    steps.runCode.push(lap());
    entry.release();
    bare.release();
    if (i === samples - 1) {
      const calls = 200;
      for (let c = 0; c < calls; c++) await context.run(10_000_000 + c, 'onTrack', events[c % events.length], {});
      const s = await isolate.getHeapStatistics();
      heap = {
        calls: calls + 2, totalHeapSize: s.total_heap_size, totalPhysicalSize: s.total_physical_size, usedHeapSize: s.used_heap_size,
        mallocedMemory: s.malloced_memory, externallyAllocatedSize: s.externally_allocated_size,
      };
    }
    context.release();
    isolate.dispose();
    t = performance.now();
    const plain = new ivm.Isolate({ memoryLimit: LIMITS.memoryLimitMb });
    steps.plainIsolate.push(lap());
    plain.dispose();
  }
  const d = (values: number[]) => distribution(values);
  return {
    cold: {
      isolate: d(steps.isolate), compile: d(steps.compile), context: d(steps.context), bareContext: d(steps.bareContext),
      connect: d(steps.connect), runCode: d(steps.runCode),
      firstCall: d(steps.firstCall), secondCall: d(steps.secondCall), plainIsolate: d(steps.plainIsolate),
    },
    heap: heap!,
  };
}
