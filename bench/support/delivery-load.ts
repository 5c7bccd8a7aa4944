/**
 * CPU load of a delivery benchmark phase: the engine's per thread (from /proc, without touching
 * the engine), this process's (generator + sink), iowait and other processes'.
 */
import type { EngineStats } from './engine-messages.ts';
import { coresUsed, readCpuTimes, type CpuTimes } from './machine.ts';
import { procCoresBetween, readProcCpu, type ProcCpu } from './proc-cpu.ts';
import { fmt, log, OTHER_LOAD_WARNING_CORES, r2 } from './delivery-common.ts';

export interface Load {
  engineCores: number;
  /** Engine cores per thread: the HTTP thread (ingest, API) and the processing worker (events, journeys, deliveries). */
  httpThreadCores: number | null;
  workerThreadCores: number | null;
  generatorCores: number;
  otherCores: number | null;
  /** Cores' worth of time the machine spent waiting on I/O (the engine's fsyncs, mostly). */
  iowaitCores: number | null;
  stats: EngineStats;
}

/** CPU readings at one instant: the engine's (from /proc, per thread), the machine's and this process's. */
export interface Snapshot { at: number; proc: ProcCpu | null; machine: CpuTimes | null; generator: NodeJS.CpuUsage }

export function snapshot(pid: number): Snapshot {
  return { at: performance.now(), proc: readProcCpu(pid), machine: readCpuTimes(), generator: process.cpuUsage() };
}

/** The load between two snapshots; `stats` (RSS, the HTTP thread's loop) as the engine reports them at the end. */
export function loadBetween(a: Snapshot, b: Snapshot, stats: EngineStats, cpus: number): Load {
  const wallMs = b.at - a.at;
  const machineCores = coresUsed(a.machine, b.machine, cpus);
  const generatorCores = (b.generator.user + b.generator.system - a.generator.user - a.generator.system) / 1000 / wallMs;
  const proc = procCoresBetween(a.proc, b.proc);
  const engineCores = proc?.total ?? NaN;
  const otherCores = machineCores && proc ? Math.max(0, machineCores.busy - engineCores - generatorCores) : null;
  // Node names its main thread 'MainThread' and worker threads 'WorkerThread' (Linux thread names).
  return {
    engineCores, httpThreadCores: proc?.threads['MainThread'] ?? null, workerThreadCores: proc?.threads['WorkerThread'] ?? null,
    generatorCores, otherCores, iowaitCores: machineCores?.iowait ?? null, stats,
  };
}

/** Snapshots every `everyMs` until stopped, to cut a phase's load at a moment known only afterwards. */
export function sampler(pid: number, everyMs: number): { stop(): Snapshot[] } {
  const samples = [snapshot(pid)];
  const timer = setInterval(() => samples.push(snapshot(pid)), everyMs);
  return { stop() { clearInterval(timer); samples.push(snapshot(pid)); return samples; } };
}

/** The first snapshot at or after `at` (the last one when none is). */
export function snapshotAt(snapshots: readonly Snapshot[], at: number): Snapshot {
  return snapshots.find((x) => x.at >= at) ?? snapshots.at(-1)!;
}

export const pct = (cores: number | null) => (cores === null || !Number.isFinite(cores) ? 'n/a' : `${fmt(100 * cores)}%`);

export function logLoad(load: Load): void {
  log(`  engine CPU ${pct(load.engineCores)} of a core (HTTP thread ${pct(load.httpThreadCores)}, processing worker ${pct(load.workerThreadCores)});`
    + ` HTTP event loop busy ${fmt(100 * load.stats.loopUtilization)}%, loop delay p99 ${fmt(load.stats.loopDelayP99Ms, 1)} ms, RSS ${fmt(load.stats.rssMb)} MB;`
    + ` generator + sink ${pct(load.generatorCores)};`
    + ` iowait ${load.iowaitCores === null ? 'n/a' : `${fmt(load.iowaitCores, 2)} cores`}; other processes ${load.otherCores === null ? 'n/a' : `${fmt(load.otherCores, 2)} cores`}`);
  if ((load.otherCores ?? 0) > OTHER_LOAD_WARNING_CORES) log(`  WARNING: other processes used ${fmt(load.otherCores!, 2)} cores during this phase; its figures are disturbed`);
}

/** A load as the BENCH json shows it. */
export function loadJson(l: Load | undefined) {
  return l ? {
    engine_cpu_pct: r2(100 * l.engineCores), http_thread_cpu_pct: l.httpThreadCores === null ? null : r2(100 * l.httpThreadCores),
    worker_thread_cpu_pct: l.workerThreadCores === null ? null : r2(100 * l.workerThreadCores), generator_cpu_pct: r2(100 * l.generatorCores),
    iowait_cores: l.iowaitCores === null ? null : r2(l.iowaitCores), other_load_cores: l.otherCores === null ? null : r2(l.otherCores),
  } : null;
}
