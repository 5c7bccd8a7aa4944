/**
 * `npm run chaos`: the long chaos run. Settings come from the environment (read here only):
 * CHAOS_SECONDS (load duration, default 120), CHAOS_RESTARTS (SIGKILLs with restarts, default 6),
 * CHAOS_RATE (events per second, default 150), CHAOS_SEED (default: random; printed, to replay the
 * same plan), CHAOS_DRAIN_SECONDS (longest drain, default 180), CHAOS_KEEP_DATA=1 (keep the data
 * directory), CHAOS_STRICT=0 (known engine issues are counted, not violations; strict by default). Prints progress, then one `CHAOS …` summary line and every violation; exits 1 on
 * violations.
 */
import { runChaos } from './chaos-scenario.ts';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
    process.exit(2);
  }
  return n;
}

/** Violations printed in full; the rest are counted (the count is in the summary line). */
const MAX_PRINTED = 200;

if (import.meta.main) {
  const started = Date.now();
  const result = await runChaos({
    seconds: intFromEnv('CHAOS_SECONDS', 120, 5, 3_600),
    restarts: intFromEnv('CHAOS_RESTARTS', 6, 0, 100),
    ratePerSecond: intFromEnv('CHAOS_RATE', 150, 1, 5_000),
    seed: intFromEnv('CHAOS_SEED', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 32 - 1),
    drainTimeoutSeconds: intFromEnv('CHAOS_DRAIN_SECONDS', 180, 10, 3_600),
    keepData: process.env['CHAOS_KEEP_DATA'] === '1',
    strict: process.env['CHAOS_STRICT'] !== '0',
    log: (line) => console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`),
  });
  for (const stderr of result.engineStderr) console.log(stderr.length > 4_000 ? `${stderr.slice(0, 4_000)}\n…` : stderr);
  console.log(result.summary);
  for (const violation of result.violations.slice(0, MAX_PRINTED)) console.log(`  ${violation}`);
  if (result.violations.length > MAX_PRINTED) console.log(`  … and ${result.violations.length - MAX_PRINTED} more`);
  if (result.knownIssues.length > 0) console.log(`known engine issues (tolerated; CHAOS_STRICT=1 fails on them):`);
  for (const issue of result.knownIssues.slice(0, MAX_PRINTED)) console.log(`  ${issue}`);
  if (result.keptDataDir) console.log(`data kept in ${result.keptDataDir}`);
  process.exit(result.violations.length > 0 ? 1 : 0);
}
