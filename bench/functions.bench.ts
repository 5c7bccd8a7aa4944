/**
 * Destination functions: the FunctionSandbox (isolated-vm) measured in this process, with no
 * engine and no HTTP. The process pins itself to one CPU first (BENCH_FUNCTION_CPU, default 0):
 * isolated-vm runs isolate code on threads of its own, and the targets are per core.
 * Phases (BENCH_PHASES picks some):
 * - warm: the mapping function of issue 5 called back to back, one call in flight, for
 *   BENCH_SECONDS (default 5) after a 1 s warm-up; calls/s and the latency of each `invoke`.
 * - concurrent: the same with BENCH_FUNCTION_CONCURRENCY (default 8) calls in flight on the same
 *   function (the sandbox gives each its own context in the one isolate).
 * - overhead: an async handler that returns its input at once; the latency of `invoke` is the
 *   sandbox's overhead (copying a 1 KB event in and out included; also with a tiny payload).
 * - cold: the first call of BENCH_FUNCTION_COLD (default 50) distinct functions (isolate from the
 *   snapshot + compile + context + call), then the first call that needs a new context in each
 *   (now warm) isolate, then a step-by-step breakdown through the sandbox's building blocks.
 * - memory: BENCH_FUNCTION_ISOLATES (default 50) warm isolates of distinct functions; the heap
 *   FunctionSandbox.stats() reports per isolate and the process's RSS growth / isolates.
 * Every answer is checked (ok, and the mapped total for the mapping function).
 */
import { benchOptions } from './bench-options.ts';
import { distribution, type Distribution } from './support/distribution.ts';
import { coldBreakdown } from './support/functions-breakdown.ts';
import { ECHO_CODE, MAPPING_CODE, distinctMappingCode, expectedTotal, fullGc, noFetch, pinToCpu, rssBytes, trackEvents, type TrackEvent } from './support/functions-fixtures.ts';
import { calibrateCpuMs, machineInfo } from './support/machine.ts';
import type { FunctionSandbox as Sandbox, InvokeRequest } from '../functions-runtime/function-sandbox.ts';

const TARGETS = { warmPerS: 20_000, overheadP99Ms: 1, coldStartMs: 10, isolateMb: 5 };
const WARMUP_SECONDS = 1;
const BREAKDOWN_SAMPLES = 20;
const MEMORY_CALLS_PER_ISOLATE = 20;
const MB = 1024 * 1024;

const options = benchOptions();
const machine = machineInfo(); // before pinning: the CPU count is the machine's, not the affinity's
// Before isolated-vm loads (the dynamic import below), so that every thread it starts is pinned too.
const pinning = pinToCpu(options.functionCpu);
const { FunctionSandbox } = await import('../functions-runtime/function-sandbox.ts');
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const r3 = (n: number) => Math.round(n * 1000) / 1000;
const log = (line: string) => console.log(`functions: ${line}`);
const dist = (d: Distribution, digits = 3) => `p50 ${fmt(d.p50, digits)} ms, p90 ${fmt(d.p90, digits)}, p99 ${fmt(d.p99, digits)}, p99.9 ${fmt(d.p999, digits)}, max ${fmt(d.max, digits)} (n=${fmt(d.count)})`;
const distJson = (d: Distribution) => ({ p50: r3(d.p50), p90: r3(d.p90), p99: r3(d.p99), p999: r3(d.p999), max: r3(d.max), mean: r3(d.mean), n: d.count });
const wanted = (phase: string) => options.phases === null || options.phases.includes(phase);

calibrateCpuMs();
const calibrationMs = calibrateCpuMs();
log(`${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}; CPU calibration ${fmt(calibrationMs, 1)} ms; ${pinning}`);

const events = trackEvents(512);
const newSandbox = (maxIsolates = 64) => new FunctionSandbox({ fetch: noFetch, maxIsolates });

/** One load phase's figures. */
interface LoopReport {
  calls: number;
  perS: number;
  latency: Distribution;
  /** Process CPU time / wall time over the phase (≤ 1 when pinned to one core). */
  coresUsed: number;
  /** Process CPU per call, µs. */
  cpuUsPerCall: number;
  failures: number;
  firstFailure: string | null;
  coldCalls: number;
  /** Calls completed in each second of the phase (shows a rate that changes as the phase goes on). */
  perSecond: number[];
}

/** Calls `key` back to back from `inFlight` loops for `seconds`; `check` validates each answer. */
async function loop(sandbox: Sandbox, request: Omit<InvokeRequest, 'payload'>, payloads: readonly unknown[], seconds: number, inFlight: number, check: (payload: unknown, value: unknown) => boolean): Promise<LoopReport> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  let coldCalls = 0;
  let next = 0;
  const perSecond: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const end = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const payload = payloads[next++ % payloads.length];
      const t0 = performance.now();
      const result = await sandbox.invoke({ ...request, payload });
      const done = performance.now();
      latencies.push(done - t0);
      const second = Math.floor((done - started) / 1000);
      while (perSecond.length <= second) perSecond.push(0);
      perSecond[second]!++;
      if (result.timing.coldStart) coldCalls++;
      if (!result.ok || !check(payload, result.value)) {
        failures++;
        firstFailure ??= JSON.stringify(result.ok ? { unexpected: result.value } : result.error).slice(0, 300);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuUs = cpu.user + cpu.system;
  return {
    calls: latencies.length, perS: (latencies.length / wallMs) * 1000, latency: distribution(latencies),
    coresUsed: cpuUs / (wallMs * 1000), cpuUsPerCall: cpuUs / latencies.length, failures, firstFailure, coldCalls,
    perSecond: perSecond.slice(0, Math.floor(seconds)),
  };
}

/** A warm-up (not recorded), then the measured phase. */
async function phase(label: string, sandbox: Sandbox, request: Omit<InvokeRequest, 'payload'>, payloads: readonly unknown[], inFlight: number, check: (payload: unknown, value: unknown) => boolean): Promise<LoopReport> {
  await loop(sandbox, request, payloads, WARMUP_SECONDS, inFlight, check);
  const report = await loop(sandbox, request, payloads, options.functionSeconds, inFlight, check);
  log(`${label}: ${fmt(report.perS)} calls/s (${fmt(report.calls)} calls in ${options.functionSeconds} s, ${inFlight} in flight); `
    + `latency ${dist(report.latency)}; ${fmt(report.coresUsed, 2)} cores, ${fmt(report.cpuUsPerCall, 1)} µs CPU/call`
    + `; per second ${report.perSecond.map((n) => fmt(n)).join(' ')}`
    + `${report.coldCalls > 0 ? `; ${report.coldCalls} cold` : ''}${report.failures > 0 ? `; ${fmt(report.failures)} FAILED, first: ${report.firstFailure}` : ''}`);
  return report;
}

const checkMapping = (payload: unknown, value: unknown) => (value as { total?: unknown } | null)?.total === expectedTotal(payload as TrackEvent);
const checkEcho = (payload: unknown, value: unknown) => (value as { messageId?: unknown } | null)?.messageId === (payload as { messageId?: unknown }).messageId;
const checkTiny = (payload: unknown, value: unknown) => (value as { n?: unknown } | null)?.n === (payload as { n: number }).n;
const mapping = { key: 'fn_mapping@1', code: MAPPING_CODE, handler: 'onTrack' as const, settings: { apiKey: 'k' } };
const echo = { key: 'fn_echo@1', code: ECHO_CODE, handler: 'onTrack' as const, settings: {} };
const tinyEcho = { key: 'fn_echo_tiny@1', code: ECHO_CODE, handler: 'onTrack' as const, settings: {} };
const tinyPayloads = Array.from({ length: 64 }, (_unused, n) => ({ type: 'track', event: 'x', n }));

// The first isolate of the process builds the shared heap snapshot (once): timed apart from cold starts.
const first = newSandbox();
const firstStarted = performance.now();
const firstResult = await first.invoke({ ...mapping, key: 'fn_first@1', payload: events[0] });
const firstIsolateMs = performance.now() - firstStarted;
first.dispose();
if (!firstResult.ok) throw new Error(`the mapping function failed: ${JSON.stringify(firstResult.error)}`);
log(`first isolate of the process (builds the shared snapshot once): ${fmt(firstIsolateMs, 1)} ms`);

let warm: LoopReport | null = null;
let concurrent: LoopReport | null = null;
let overhead: LoopReport | null = null;
let overheadTiny: LoopReport | null = null;
let cold: { first: Distribution; newContext: Distribution; failures: number; breakdown: Awaited<ReturnType<typeof coldBreakdown>> } | null = null;
let memory: { isolates: number; rssPerIsolateMb: number; heapPerIsolateMb: number; heapMaxMb: number; rssBeforeMb: number; rssAfterMb: number; rssReleasedMb: number; contexts: number } | null = null;

// Memory first: isolates disposed by earlier phases would leave freed pages that new ones reuse.
if (wanted('memory')) {
  const k = options.functionIsolates;
  const sandbox = newSandbox(k + 8);
  try {
    await fullGc();
    const rssBefore = rssBytes();
    for (let i = 0; i < k; i++) {
      for (let c = 0; c < MEMORY_CALLS_PER_ISOLATE; c++) {
        const payload = events[(i + c) % events.length]!;
        const result = await sandbox.invoke({ ...mapping, key: `fn_mem_${i}@1`, code: distinctMappingCode(10_000 + i), payload });
        if (!result.ok || !checkMapping(payload, result.value)) throw new Error(`memory phase call failed: ${JSON.stringify(result)}`);
      }
    }
    await fullGc();
    const rssAfter = rssBytes();
    const stats = await sandbox.stats();
    const heaps = stats.perIsolate.map((s) => s.heapUsedBytes);
    sandbox.dispose();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await fullGc();
    const rssReleased = rssBytes();
    memory = {
      isolates: stats.isolates, rssPerIsolateMb: (rssAfter - rssBefore) / k / MB,
      heapPerIsolateMb: heaps.reduce((a, b) => a + b, 0) / heaps.length / MB, heapMaxMb: Math.max(...heaps) / MB,
      rssBeforeMb: rssBefore / MB, rssAfterMb: rssAfter / MB, rssReleasedMb: rssReleased / MB,
      contexts: stats.perIsolate.reduce((a, s) => a + s.contexts, 0),
    };
    log(`memory: ${k} warm isolates (${MEMORY_CALLS_PER_ISOLATE} calls each, ${memory.contexts} contexts): RSS ${fmt(memory.rssBeforeMb, 1)} → ${fmt(memory.rssAfterMb, 1)} MB = ${fmt(memory.rssPerIsolateMb, 2)} MB per isolate; `
      + `stats() heap ${fmt(memory.heapPerIsolateMb, 2)} MB per isolate (max ${fmt(memory.heapMaxMb, 2)}); RSS after disposing them ${fmt(memory.rssReleasedMb, 1)} MB`);
  } finally {
    sandbox.dispose();
  }
}

if (wanted('warm') || wanted('concurrent') || wanted('overhead')) {
  const sandbox = newSandbox();
  try {
    if (wanted('warm')) warm = await phase('warm mapping, sequential', sandbox, mapping, events, 1, checkMapping);
    if (wanted('concurrent')) concurrent = await phase(`warm mapping, ${options.functionConcurrency} in flight`, sandbox, { ...mapping, key: 'fn_mapping_concurrent@1' }, events, options.functionConcurrency, checkMapping);
    if (wanted('overhead')) {
      overhead = await phase('overhead (async echo of a 1 KB event), sequential', sandbox, echo, events, 1, checkEcho);
      overheadTiny = await phase('overhead (async echo of a 3-field event), sequential', sandbox, tinyEcho, tinyPayloads, 1, checkTiny);
    }
    const stats = await sandbox.stats();
    log(`after the warm phases: ${stats.perIsolate.map((s) => `${s.key} ${s.contexts} context(s), heap ${fmt(s.heapUsedBytes / MB, 2)} MB`).join('; ')}`);
  } finally {
    sandbox.dispose();
  }
}

if (wanted('cold')) {
  // The warm phases leave a large host heap of garbage; collecting it here keeps its pause out of
  // whichever cold start would meet it (the phase measures cold starts, not the previous phase).
  await fullGc();
  const n = options.functionColdStarts;
  const sandbox = newSandbox(n + 8);
  try {
    const firstCalls: number[] = [];
    const newContexts: number[] = [];
    let failures = 0;
    for (let i = 0; i < n; i++) {
      const payload = events[i % events.length]!;
      const t0 = performance.now();
      const result = await sandbox.invoke({ ...mapping, key: `fn_cold_${i}@1`, code: distinctMappingCode(i), payload });
      firstCalls.push(performance.now() - t0);
      if (!result.ok || !result.timing.coldStart || !checkMapping(payload, result.value)) failures++;
    }
    // Two calls at once on a warm isolate with one idle context: one takes it, the other needs a new one.
    for (let i = 0; i < n; i++) {
      const request = { ...mapping, key: `fn_cold_${i}@1`, code: distinctMappingCode(i), payload: events[(i + 1) % events.length] };
      const timed = async () => { const t0 = performance.now(); const result = await sandbox.invoke(request); return { result, ms: performance.now() - t0 }; };
      const both = await Promise.all([timed(), timed()]);
      const fresh = both.filter((b) => b.result.timing.coldStart);
      if (fresh.length !== 1 || both.some((b) => !b.result.ok)) failures++;
      if (fresh[0]) newContexts.push(fresh[0].ms);
    }
    const breakdown = await coldBreakdown(BREAKDOWN_SAMPLES, events);
    cold = { first: distribution(firstCalls), newContext: distribution(newContexts), failures, breakdown };
    log(`cold start (first call of a new function: isolate + compile + context + call): ${dist(cold.first, 2)}${failures > 0 ? `; ${failures} FAILED` : ''}`);
    log(`new context in a warm isolate (second of two simultaneous calls): ${dist(cold.newContext, 2)}`);
    const b = breakdown.cold;
    log(`cold start steps, p50 (p99) ms over ${BREAKDOWN_SAMPLES}: isolate from snapshot ${fmt(b.isolate.p50, 2)} (${fmt(b.isolate.p99, 2)}), compile ${fmt(b.compile.p50, 2)} (${fmt(b.compile.p99, 2)}), `
      + `context ${fmt(b.context.p50, 2)} (${fmt(b.context.p99, 2)}) [= createContext ${fmt(b.bareContext.p50, 2)} + __sandboxConnect ${fmt(b.connect.p50, 2)} + run code ${fmt(b.runCode.p50, 2)}], first call ${fmt(b.firstCall.p50, 2)} (${fmt(b.firstCall.p99, 2)}), `
      + `second call ${fmt(b.secondCall.p50, 3)}; for comparison an isolate without snapshot ${fmt(b.plainIsolate.p50, 2)}`);
    const h = breakdown.heap;
    log(`one warm isolate's heap after ${h.calls} calls: total ${fmt(h.totalHeapSize / MB, 2)} MB, physical ${fmt(h.totalPhysicalSize / MB, 2)} MB, used ${fmt(h.usedHeapSize / MB, 2)} MB, `
      + `malloced ${fmt(h.mallocedMemory / MB, 2)} MB, external ${fmt(h.externallyAllocatedSize / MB, 2)} MB`);
  } finally {
    sandbox.dispose();
  }
}

const verdict = (ok: boolean | null) => (ok === null ? 'SKIPPED' : ok ? 'PASS' : 'FAIL');
const bestWarm = [warm, concurrent].filter((r): r is LoopReport => r !== null).sort((a, b) => b.perS - a.perS)[0] ?? null;
const pass = {
  warm_per_s: bestWarm ? bestWarm.failures === 0 && bestWarm.perS >= TARGETS.warmPerS : null,
  overhead_p99: overhead ? overhead.failures === 0 && overhead.latency.p99 <= TARGETS.overheadP99Ms : null,
  cold_start: cold ? cold.failures === 0 && cold.first.p99 <= TARGETS.coldStartMs : null,
  memory_per_isolate: memory ? memory.rssPerIsolateMb <= TARGETS.isolateMb && memory.heapPerIsolateMb <= TARGETS.isolateMb : null,
};
const onWhich = bestWarm === null ? '' : bestWarm === warm ? ' (sequential)' : ` (${options.functionConcurrency} in flight)`;
log(`target >= ${fmt(TARGETS.warmPerS)} warm invocations/s on one core: ${verdict(pass.warm_per_s)}${bestWarm ? ` (${fmt(bestWarm.perS)}/s${onWhich}; sequential ${warm ? fmt(warm.perS) : '-'}/s, ${options.functionConcurrency} in flight ${concurrent ? fmt(concurrent.perS) : '-'}/s)` : ''}`);
log(`target sandbox overhead p99 <= ${TARGETS.overheadP99Ms} ms (async handler, no I/O): ${verdict(pass.overhead_p99)}${overhead ? ` (${fmt(overhead.latency.p99, 3)} ms with a 1 KB event; ${overheadTiny ? fmt(overheadTiny.latency.p99, 3) : '-'} ms with a tiny one)` : ''}`);
log(`target cold start <= ${TARGETS.coldStartMs} ms (judged on p99): ${verdict(pass.cold_start)}${cold ? ` (p50 ${fmt(cold.first.p50, 2)} ms, p99 ${fmt(cold.first.p99, 2)} ms)` : ''}`);
log(`target <= ${TARGETS.isolateMb} MB per warm isolate (RSS growth and stats() heap): ${verdict(pass.memory_per_isolate)}${memory ? ` (RSS ${fmt(memory.rssPerIsolateMb, 2)} MB, heap ${fmt(memory.heapPerIsolateMb, 2)} MB)` : ''}`);

const loopJson = (r: LoopReport | null) => (r ? {
  per_s: Math.round(r.perS), calls: r.calls, latency_ms: distJson(r.latency), cores_used: r3(r.coresUsed), cpu_us_per_call: r3(r.cpuUsPerCall), failures: r.failures,
  per_second: r.perSecond,
} : null);
console.log(`BENCH ${JSON.stringify({
  name: 'functions',
  seconds: options.functionSeconds, pinned_cpu: options.functionCpu, pinning,
  first_isolate_ms: r3(firstIsolateMs),
  warm_per_s: warm ? Math.round(warm.perS) : null, warm_p50_ms: warm ? r3(warm.latency.p50) : null, warm_p99_ms: warm ? r3(warm.latency.p99) : null,
  warm: loopJson(warm), concurrent: concurrent ? { in_flight: options.functionConcurrency, ...loopJson(concurrent) } : null,
  overhead_p50_ms: overhead ? r3(overhead.latency.p50) : null, overhead_p99_ms: overhead ? r3(overhead.latency.p99) : null,
  overhead: loopJson(overhead), overhead_tiny: loopJson(overheadTiny),
  cold_start_p50_ms: cold ? r3(cold.first.p50) : null, cold_start_p99_ms: cold ? r3(cold.first.p99) : null,
  cold_start: cold ? distJson(cold.first) : null, new_context: cold ? distJson(cold.newContext) : null,
  cold_steps_p50_ms: cold ? Object.fromEntries(Object.entries(cold.breakdown.cold).map(([step, d]) => [step, r3(d.p50)])) : null,
  memory: memory ? {
    isolates: memory.isolates, rss_per_isolate_mb: r3(memory.rssPerIsolateMb), heap_per_isolate_mb: r3(memory.heapPerIsolateMb), heap_max_mb: r3(memory.heapMaxMb),
    rss_before_mb: r3(memory.rssBeforeMb), rss_after_mb: r3(memory.rssAfterMb), rss_released_mb: r3(memory.rssReleasedMb),
  } : null,
  warm_isolate_heap_mb: cold ? { total: r3(cold.breakdown.heap.totalHeapSize / MB), physical: r3(cold.breakdown.heap.totalPhysicalSize / MB), used: r3(cold.breakdown.heap.usedHeapSize / MB) } : null,
  pass, cpu_calibration_ms: Math.round(calibrationMs * 100) / 100,
  machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
})}`);
process.exit(0);
