/**
 * Benchmark settings from the environment: the only module under bench/ that reads process.env.
 * Every figure has a default that keeps `npm run bench` under ~90 s on the project's 2-core machine.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** Typed, frozen benchmark options. */
export interface BenchOptions {
  /** Measured seconds of each load phase (BENCH_SECONDS, default 10). */
  readonly phaseSeconds: number;
  /** Warm-up seconds before the first phase, half batches, half single calls (BENCH_WARMUP_SECONDS, default 4). */
  readonly warmupSeconds: number;
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
  /** Keep the engine's data directory after the run (BENCH_KEEP_DATA=1). */
  readonly keepData: boolean;
  /** Only these phases of a benchmark (BENCH_PHASES, comma-separated, e.g. `single`); null runs all. */
  readonly phases: readonly string[] | null;
}

function num(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, got '${raw}'`);
  return n;
}

/** Reads the benchmark options from `env` (the process environment by default). */
export function benchOptions(env: Env = process.env): BenchOptions {
  return Object.freeze({
    phaseSeconds: num(env, 'BENCH_SECONDS', 10, 0.5),
    warmupSeconds: num(env, 'BENCH_WARMUP_SECONDS', 4, 0),
    batchConnections: Math.round(num(env, 'BENCH_BATCH_CONNECTIONS', 8, 1)),
    batchSize: Math.round(num(env, 'BENCH_BATCH_SIZE', 100, 1)),
    singleConnections: Math.round(num(env, 'BENCH_SINGLE_CONNECTIONS', 64, 1)),
    pacedRatePerSecond: num(env, 'BENCH_PACED_RATE', 5000, 1),
    drainTimeoutSeconds: num(env, 'BENCH_DRAIN_TIMEOUT_SECONDS', 20, 1),
    engineCpuProfileDir: env['BENCH_ENGINE_CPU_PROF_DIR'] || null,
    keepData: env['BENCH_KEEP_DATA'] === '1',
    phases: env['BENCH_PHASES'] ? Object.freeze(env['BENCH_PHASES'].split(',').map((p) => p.trim()).filter(Boolean)) : null,
  });
}
