/**
 * Benchmark settings from the environment: the only module under bench/ that reads process.env.
 * Every figure has a default that keeps one benchmark's run near 90 s on the project's 2-core machine
 * (`timers` ~100 s since its sustained phase warms up).
 */

import type { ProfileOrder } from './support/profile-order.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Typed, frozen benchmark options. */
export interface BenchOptions {
  /** Measured seconds of each load phase (BENCH_SECONDS, default 10). */
  readonly phaseSeconds: number;
  /** ingest: warm-up seconds before the first phase, half batches, half single calls (BENCH_WARMUP_SECONDS, default 4). */
  readonly warmupSeconds: number;
  /**
   * delivery and timers: seconds of the same load before a steady-state latency is measured (delivery's
   * paced phase, timers' sustained phase; BENCH_WARMUP_SECONDS, default 15). Why longer than ingest's:
   * under load V8 moves the engine's hot functions up to its optimizing compiler all at once ~10 s in,
   * and that one compile wave stalls deliveries for ~400 ms (bench/RESULTS.md, tenth session); a just
   * started engine also fires timers at about half speed for its first seconds (eleventh session).
   */
  readonly latencyWarmupSeconds: number;
  /** Connections of the batch phase (BENCH_BATCH_CONNECTIONS, default 8). */
  readonly batchConnections: number;
  /** Events per batch request (BENCH_BATCH_SIZE, default 100). */
  readonly batchSize: number;
  /** Concurrent clients of the single-call phase (BENCH_SINGLE_CONNECTIONS, default 64). */
  readonly singleConnections: number;
  /** Offered rate of the paced phase in events/s (BENCH_PACED_RATE, default 5000). */
  readonly pacedRatePerSecond: number;
  /** Longest wait for the processor to drain its backlog after a phase (BENCH_DRAIN_TIMEOUT_SECONDS, default 20). */
  readonly drainTimeoutSeconds: number;
  /** When set, the engine's CPU is profiled per phase into this directory (BENCH_ENGINE_CPU_PROF_DIR). */
  readonly engineCpuProfileDir: string | null;
  /**
   * Extra Node options of the engine process (BENCH_ENGINE_NODE_ARGS, space-separated), e.g.
   * `--cpu-prof --cpu-prof-dir=/tmp/prof`: unlike BENCH_ENGINE_CPU_PROF_DIR (the main thread only),
   * --cpu-prof also profiles the processing worker thread; profiles are written when the engine stops.
   */
  readonly engineNodeArgs: readonly string[];
  /**
   * The engine's SQLITE_MMAP_MB (BENCH_SQLITE_MMAP_MB, default 0 like the engine's): how much of
   * the store file SQLite reads through a memory map.
   */
  readonly sqliteMmapMb: number;
  /** Keep the engine's data directory (and in mongodb mode its database) after the run (BENCH_KEEP_DATA=1). */
  readonly keepData: boolean;
  /**
   * The engine's store (BENCH_STORE): `sqlite` (default, a file in the data directory) or `mongodb`
   * (ingest and delivery only; each run uses a fresh database, dropped at the end).
   */
  readonly store: 'sqlite' | 'mongodb';
  /**
   * mongodb mode: the server, without a database (BENCH_MONGODB_URI, e.g. `mongodb://127.0.0.1:27017`);
   * null starts a FerretDB of its own (scripts/ferretdb.sh) for the run and stops it at the end.
   */
  readonly mongodbUri: string | null;
  /** event-log: events appended per run (BENCH_LOG_EVENTS, default 200000). */
  readonly logEvents: number;
  /** activity-rows: records appended per run (BENCH_ACTIVITY_RECORDS, default 60000). */
  readonly activityRecords: number;
  /** Only these phases of a benchmark (BENCH_PHASES, comma-separated, e.g. `single`); null runs all. */
  readonly phases: readonly string[] | null;
  /** timers: timers coming due per second in the sustained phase (BENCH_TIMER_RATE, default 10000). */
  readonly timerRatePerSecond: number;
  /** timers: seconds over which the sustained phase's timers come due (BENCH_TIMER_SECONDS, default 10). */
  readonly timerSeconds: number;
  /** timers: instances all due at the same instant in the burst phase (BENCH_TIMER_BURST, default 100000). */
  readonly timerBurst: number;
  /** journeys: published journeys (BENCH_JOURNEYS, default 100). */
  readonly journeyCount: number;
  /** journeys: active instances to measure with (BENCH_JOURNEY_INSTANCES, default 1000000). */
  readonly journeyInstances: number;
  /** journeys: active instances per profile (BENCH_JOURNEY_INSTANCES_PER_PROFILE, default 5). */
  readonly journeyInstancesPerProfile: number;
  /** journeys: instances first built through HTTP ingest to time it (BENCH_JOURNEY_CALIBRATION, default 50000). */
  readonly journeyCalibration: number;
  /** journeys: events of each measured phase, follow-ups and triggers (BENCH_JOURNEY_EVENTS, default 15000). */
  readonly journeyEvents: number;
  /**
   * How timers and journeys build their instances (BENCH_SETUP): `http` through ingest, `sqlite` as
   * copies of real rows written into the stopped engine's file, `auto` (default) http unless the
   * engine's measured entry rate says it would take longer than maxHttpSetupSeconds.
   */
  readonly setup: 'auto' | 'http' | 'sqlite';
  /** Longest setup through HTTP that `auto` accepts, per phase (BENCH_MAX_HTTP_SETUP_SECONDS, default 30). */
  readonly maxHttpSetupSeconds: number;
  /**
   * timers and journeys: the order their rows and events reach profiles in (BENCH_PROFILE_ORDER):
   * `random` (default, as real traffic does) or `sequential` (the order the rows were written in,
   * as before the eighteenth session; see support/profile-order.ts).
   */
  readonly profileOrder: ProfileOrder;
  /** delivery: entry events of the full-speed burst, sent through /v1/batch (BENCH_DELIVERY_BURST, default 50000). */
  readonly deliveryBurst: number;
  /** delivery: offered rate of the paced latency phase in events/s (BENCH_DELIVERY_RATE, default 1000). */
  readonly deliveryRatePerSecond: number;
  /** delivery: the webhook destination's delivery concurrency (BENCH_DELIVERY_CONCURRENCY, default 64). */
  readonly deliveryConcurrency: number;
  /** delivery: deliveries re-driven per run of the dispatch phase (BENCH_DELIVERY_DISPATCH, default 20000; 0 skips it). */
  readonly deliveryDispatch: number;
  /** functions: measured seconds of each load phase (BENCH_SECONDS, default 5 for this benchmark). */
  readonly functionSeconds: number;
  /** functions: calls in flight in the concurrent warm phase (BENCH_FUNCTION_CONCURRENCY, default 8). */
  readonly functionConcurrency: number;
  /** functions: distinct functions started cold, one first call each (BENCH_FUNCTION_COLD, default 50). */
  readonly functionColdStarts: number;
  /** functions: warm isolates created to measure memory per isolate (BENCH_FUNCTION_ISOLATES, default 50). */
  readonly functionIsolates: number;
  /** functions: the CPU the benchmark process pins itself to, or null not to pin (BENCH_FUNCTION_CPU, default 0; `none`). */
  readonly functionCpu: number | null;
  /** soak: seconds of steady load (BENCH_SOAK_SECONDS, default 600). */
  readonly soakSeconds: number;
  /** soak: entry events per second (BENCH_SOAK_RATE, default 200). */
  readonly soakRatePerSecond: number;
}

function num(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got '${raw}'`);
  return n;
}

function storeKind(raw: string | undefined): 'sqlite' | 'mongodb' {
  if (raw === undefined || raw === '') return 'sqlite';
  if (raw === 'sqlite' || raw === 'mongodb') return raw;
  throw new Error(`BENCH_STORE must be sqlite or mongodb, got '${raw}'`);
}

function serverUri(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!/^mongodb(\+srv)?:\/\/[^/?]+\/?(\?.*)?$/.test(raw)) {
    throw new Error(`BENCH_MONGODB_URI must be a mongodb:// server address without a database (each run names its own), got '${raw}'`);
  }
  return raw;
}

function profileOrder(raw: string | undefined): ProfileOrder {
  if (raw === undefined || raw === '') return 'random';
  if (raw === 'random' || raw === 'sequential') return raw;
  throw new Error(`BENCH_PROFILE_ORDER must be random or sequential, got '${raw}'`);
}

function setupMode(raw: string | undefined): 'auto' | 'http' | 'sqlite' {
  if (raw === undefined || raw === '') return 'auto';
  if (raw === 'auto' || raw === 'http' || raw === 'sqlite') return raw;
  throw new Error(`BENCH_SETUP must be auto, http or sqlite, got '${raw}'`);
}

/** Reads the benchmark options from `env` (the process environment by default). */
export function benchOptions(env: Env = process.env): BenchOptions {
  return Object.freeze({
    phaseSeconds: num(env, 'BENCH_SECONDS', 10, 0.5),
    warmupSeconds: num(env, 'BENCH_WARMUP_SECONDS', 4, 0),
    latencyWarmupSeconds: num(env, 'BENCH_WARMUP_SECONDS', 15, 0),
    batchConnections: Math.round(num(env, 'BENCH_BATCH_CONNECTIONS', 8, 1)),
    batchSize: Math.round(num(env, 'BENCH_BATCH_SIZE', 100, 1)),
    singleConnections: Math.round(num(env, 'BENCH_SINGLE_CONNECTIONS', 64, 1)),
    pacedRatePerSecond: num(env, 'BENCH_PACED_RATE', 5000, 1),
    drainTimeoutSeconds: num(env, 'BENCH_DRAIN_TIMEOUT_SECONDS', 20, 1),
    engineCpuProfileDir: env['BENCH_ENGINE_CPU_PROF_DIR'] || null,
    engineNodeArgs: Object.freeze((env['BENCH_ENGINE_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean)),
    sqliteMmapMb: Math.round(num(env, 'BENCH_SQLITE_MMAP_MB', 0, 0)),
    keepData: env['BENCH_KEEP_DATA'] === '1',
    store: storeKind(env['BENCH_STORE']),
    mongodbUri: serverUri(env['BENCH_MONGODB_URI']),
    logEvents: num(env, 'BENCH_LOG_EVENTS', 200_000, 10_000),
    activityRecords: num(env, 'BENCH_ACTIVITY_RECORDS', 60_000, 10_000),
    phases: env['BENCH_PHASES'] ? Object.freeze(env['BENCH_PHASES'].split(',').map((p) => p.trim()).filter(Boolean)) : null,
    timerRatePerSecond: Math.round(num(env, 'BENCH_TIMER_RATE', 10_000, 1)),
    timerSeconds: num(env, 'BENCH_TIMER_SECONDS', 10, 1),
    timerBurst: Math.round(num(env, 'BENCH_TIMER_BURST', 100_000, 1)),
    journeyCount: Math.round(num(env, 'BENCH_JOURNEYS', 100, 2)),
    journeyInstances: Math.round(num(env, 'BENCH_JOURNEY_INSTANCES', 1_000_000, 1)),
    journeyInstancesPerProfile: Math.round(num(env, 'BENCH_JOURNEY_INSTANCES_PER_PROFILE', 5, 1)),
    journeyCalibration: Math.round(num(env, 'BENCH_JOURNEY_CALIBRATION', 50_000, 100)),
    journeyEvents: Math.round(num(env, 'BENCH_JOURNEY_EVENTS', 15_000, 100)),
    setup: setupMode(env['BENCH_SETUP']),
    maxHttpSetupSeconds: num(env, 'BENCH_MAX_HTTP_SETUP_SECONDS', 30, 1),
    profileOrder: profileOrder(env['BENCH_PROFILE_ORDER']),
    deliveryBurst: Math.round(num(env, 'BENCH_DELIVERY_BURST', 50_000, 0)),
    deliveryRatePerSecond: num(env, 'BENCH_DELIVERY_RATE', 1000, 1),
    deliveryConcurrency: Math.round(num(env, 'BENCH_DELIVERY_CONCURRENCY', 64, 1)),
    deliveryDispatch: Math.round(num(env, 'BENCH_DELIVERY_DISPATCH', 20_000, 0)),
    functionSeconds: num(env, 'BENCH_SECONDS', 5, 0.5),
    functionConcurrency: Math.round(num(env, 'BENCH_FUNCTION_CONCURRENCY', 8, 1)),
    functionColdStarts: Math.round(num(env, 'BENCH_FUNCTION_COLD', 50, 1)),
    functionIsolates: Math.round(num(env, 'BENCH_FUNCTION_ISOLATES', 50, 1)),
    functionCpu: env['BENCH_FUNCTION_CPU'] === 'none' ? null : Math.round(num(env, 'BENCH_FUNCTION_CPU', 0, 0)),
    soakSeconds: num(env, 'BENCH_SOAK_SECONDS', 600, 10),
    soakRatePerSecond: num(env, 'BENCH_SOAK_RATE', 200, 1),
  });
}
