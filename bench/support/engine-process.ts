/**
 * Child-process entry: runs a real engine on a data directory (argv[2]) with durable writes
 * (synchronous=FULL) and quiet logs, and answers the benchmark's IPC requests (engine-messages.ts).
 * argv[3], when given, is a JSON object of engine config overrides (e.g. `{"testClock":true}`;
 * `{"mongodbUri":…}` puts the engine on that MongoDB database instead of SQLite in the directory).
 * It is not a benchmark itself, so the runner does not pick it up.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import v8 from 'node:v8';
import { monitorEventLoopDelay, performance as perf } from 'node:perf_hooks';
import { startEngine } from '../../engine/engine.ts';
import { testConfig, type EngineConfig } from '../../engine/config.ts';
import { createLogger } from '../../engine/logger.ts';
import { SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import type { EngineReply, EngineRequest } from './engine-messages.ts';
import { openEngineReader } from './engine-reader.ts';

function reply(message: EngineReply): void {
  process.send!(message);
}

const dataDir = process.argv[2];
if (!dataDir || !process.send) {
  console.error('engine-process.ts is started by bench/support/engine-handle.ts with a data directory');
  process.exit(2);
}

/** The default ingest limits with the backlog bounds turned off. */
function withoutBackpressure(): Partial<EngineConfig> {
  const limits = testConfig().ingestLimits;
  return { ingestLimits: { ...limits, maxPendingEvents: 0, maxLagMs: 0 } };
}

const overrides = (process.argv[3] ? JSON.parse(process.argv[3]) : {}) as Partial<EngineConfig>;
const engine = await startEngine(
  // Backpressure off: benchmarks build backlogs on purpose (the journeys bench, bursts) and measure them.
  testConfig({ dataDir, sqliteSynchronous: 'full', logLevel: 'error', port: 0, host: '127.0.0.1', ...withoutBackpressure(), ...overrides }),
  { logger: createLogger('error') },
);
const dbFile = path.join(dataDir, SQLITE_FILE);
// A second, read-only connection for the backlog count, so the engine's own code is not involved.
const reader = await openEngineReader(overrides.mongodbUri ? { kind: 'mongodb', uri: overrides.mongodbUri } : { kind: 'sqlite', dbFile });
const backlog = (): Promise<number> => reader.pendingEvents();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
let lastElu = perf.eventLoopUtilization();

async function drain(timeoutMs: number): Promise<EngineReply> {
  const backlogBefore = await backlog();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const complete = await Promise.race([
    engine.settle().then(() => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
  ]);
  clearTimeout(timer);
  const ms = performance.now() - started;
  return { kind: 'drained', backlogBefore, backlogAfter: await backlog(), ms, complete };
}

async function settle(timeoutMs: number): Promise<EngineReply> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const fired = await Promise.race([
    engine.settle(),
    new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); }),
  ]);
  clearTimeout(timer);
  return { kind: 'settled', fired: fired ?? 0, ms: performance.now() - started, complete: fired !== null };
}

// In-process CPU profiling (inspector), so each phase gets its own profile without the start-up.
let profiler: Session | null = null;

async function startProfile(): Promise<void> {
  profiler ??= new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}

async function stopProfile(file: string): Promise<void> {
  if (!profiler) throw new Error('no CPU profile was started');
  const { profile } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  fs.writeFileSync(file, JSON.stringify(profile));
}

/** The V8 heaps of the worker threads, from a diagnostic report (process.memoryUsage() covers only this thread's heap). */
function workerHeaps(): { workerHeapUsedMb: number; workerHeapTotalMb: number } {
  type Heap = { totalMemory?: number; usedMemory?: number };
  const report = process.report.getReport() as unknown as { workers?: Array<{ javascriptHeap?: Heap }> };
  let used = 0;
  let total = 0;
  for (const w of report.workers ?? []) {
    used += w.javascriptHeap?.usedMemory ?? 0;
    total += w.javascriptHeap?.totalMemory ?? 0;
  }
  return { workerHeapUsedMb: used / 2 ** 20, workerHeapTotalMb: total / 2 ** 20 };
}

async function handle(request: EngineRequest): Promise<void> {
  switch (request.kind) {
    case 'stats': {
      const cpu = process.cpuUsage();
      const elu = perf.eventLoopUtilization(lastElu);
      const memory = process.memoryUsage();
      const heap = v8.getHeapStatistics();
      lastElu = perf.eventLoopUtilization();
      // Counted after the CPU and loop readings, so the count's own cost is not part of the phase's figures.
      const pending = await backlog();
      reply({ kind: 'stats', stats: {
        cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000,
        rssMb: memory.rss / 2 ** 20, heapUsedMb: memory.heapUsed / 2 ** 20, heapTotalMb: memory.heapTotal / 2 ** 20,
        externalMb: memory.external / 2 ** 20, backlog: pending,
        v8MallocedMb: heap.malloced_memory / 2 ** 20, v8PeakMallocedMb: heap.peak_malloced_memory / 2 ** 20,
        ...workerHeaps(),
        loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6,
        loopUtilization: elu.utilization,
      } });
      loopDelay.reset();
      return;
    }
    case 'drain':
      reply(await drain(request.timeoutMs));
      return;
    case 'settle':
      reply(await settle(request.timeoutMs));
      return;
    case 'profile-start':
      await startProfile();
      reply({ kind: 'profiling' });
      return;
    case 'profile-stop':
      await stopProfile(request.file);
      reply({ kind: 'profiled', file: request.file });
      return;
    case 'stop':
      await reader.close();
      await engine.close();
      process.send!({ kind: 'stopped' } satisfies EngineReply, () => process.exit(0));
      return;
    default: {
      const unknown: never = request;
      throw new Error(`unknown request ${JSON.stringify(unknown)}`);
    }
  }
}

process.on('message', (request: EngineRequest) => {
  handle(request).catch((error: unknown) => reply({ kind: 'failed', message: String((error as Error)?.stack ?? error) }));
});
// The benchmark is gone: stop rather than linger as an orphan.
process.on('disconnect', () => process.exit(1));

if (!engine.credentials.writeKey) throw new Error('the bootstrapped engine has no write key');
reply({ kind: 'ready', url: engine.url, writeKey: engine.credentials.writeKey, dbFile, adminToken: engine.credentials.adminToken });
