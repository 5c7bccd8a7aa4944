/**
 * The chaos scenario: the real engine as a child process on a fresh SQLite data directory, four
 * journeys sending to a local sink that misbehaves, a steady load of user scripts, and SIGKILLs
 * with restarts at random moments while the load goes on. Then the load stops, the engine drains,
 * and every invariant is checked (chaos-invariants.ts). Used by `npm run chaos` (run-chaos.ts)
 * and, shortened, by `npm test` (chaos.test.ts).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { attachEventLog } from '../../engine/store/sqlite/sqlite-event-log-file.ts';
import { removeDir, tempDataDir } from '../support/test-engine.ts';
import { ChaosClient } from './chaos-client.ts';
import { ChaosEngine } from './chaos-engine.ts';
import { drain } from './chaos-drain.ts';
import { readEngineFacts, type HarnessFacts } from './chaos-facts.ts';
import { checkInvariants, type InvariantCounts } from './chaos-invariants.ts';
import { DESTINATION_TIMEOUT_MS, setUpJourneys, SHARED_SECRET, sinkProfileFor } from './chaos-journeys.ts';
import { ChaosLoad } from './chaos-load.ts';
import { ChaosRandom } from './chaos-random.ts';
import { ChaosSink } from './chaos-sink.ts';

/** How a chaos run goes. */
export interface ChaosOptions {
  /** Seconds of load (and kills). */
  seconds: number;
  /** SIGKILLs, each followed by a restart, at random moments of the load. */
  restarts: number;
  /** Events offered per second, on average. */
  ratePerSecond: number;
  seed: number;
  /** Longest wait for the engine to drain after the load (default 180 s); never a pass/fail timing. */
  drainTimeoutSeconds?: number;
  /** Count known engine issues (chaos-violations.ts KNOWN_ISSUES) as violations (default true). */
  strict?: boolean;
  /** Keep the data directory even when nothing was violated (it is always kept when something was). */
  keepData?: boolean;
  log: (line: string) => void;
}

/** What a chaos run found. */
export interface ChaosResult {
  seed: number;
  /** Wall-clock seconds of the whole run (setup, load, drain, checks). */
  durationSeconds: number;
  restarts: number;
  counts: InvariantCounts;
  violations: readonly string[];
  /** Occurrences of known engine issues (not violations unless strict). */
  knownIssues: readonly string[];
  /** The one-line summary (`CHAOS …`). */
  summary: string;
  /** Where the engine's data was kept (violations), or null. */
  keptDataDir: string | null;
  /** What engine processes wrote to stderr (errors they logged). */
  engineStderr: string[];
}

const WRITE_KEY = 'wk_chaos-write-key-0001';
const ADMIN_TOKEN = 'adm_chaos-admin-token-0001';
/** Most attempts per delivery: some deliveries to the flaky endpoint run out, so failures happen too. */
const MAX_ATTEMPTS = 8;
/** Short retries, so that every retry finishes within the run. */
const ENGINE_ENV: Readonly<Record<string, string>> = {
  // The sink is on loopback, which destinations may reach only when private networks are allowed.
  DESTINATIONS_ALLOW_PRIVATE_NETWORK: '1',
  DELIVERY_RETRY_BASE_MS: '200',
  DELIVERY_RETRY_MAX_DELAY_MS: '1500',
  DELIVERY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
};
/** How long the client keeps sending unacknowledged events after the load stops. */
const CLIENT_CLOSE_MS = 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** When to kill (ms into the load) and how long the engine stays down. */
function killPlan(random: ChaosRandom, seconds: number, restarts: number): Array<{ atMs: number; downMs: number }> {
  const times = Array.from({ length: restarts }, () => random.between(0.1, 0.9) * seconds * 1000).sort((a, b) => a - b);
  return times.map((atMs) => ({ atMs, downMs: random.between(0, 1_500) }));
}

/** Runs the load for `seconds`, killing and restarting the engine as planned; then stops the load and the client. */
async function loadUnderKills(parts: { engine: ChaosEngine; load: ChaosLoad; client: ChaosClient; sink: ChaosSink }, plan: ReturnType<typeof killPlan>, seconds: number, log: (line: string) => void): Promise<void> {
  const { engine, load, client, sink } = parts;
  const loadStarted = Date.now();
  load.start();
  const progress = setInterval(() => {
    const acked = [...client.sent.values()].filter((s) => s.ackedAt !== null).length;
    log(`t=${Math.round((Date.now() - loadStarted) / 1000)} s: offered ${client.sent.size}, acknowledged ${acked}, sink requests ${sink.requests}, kills ${engine.kills.length}, engine ${engine.current ? 'up' : 'down'}`);
  }, 5_000);
  try {
    for (const kill of plan) {
      await sleep(loadStarted + kill.atMs - Date.now());
      await engine.kill();
      await sleep(kill.downMs);
      await engine.start();
    }
    await sleep(loadStarted + seconds * 1000 - Date.now());
    await load.stop();
    await engine.ready();
    await client.close(CLIENT_CLOSE_MS);
  } finally {
    clearInterval(progress);
  }
  log(`load stopped after ${((Date.now() - loadStarted) / 1000).toFixed(1)} s: ${client.sent.size} events offered; scripts ${JSON.stringify(load.counts)}; client ${JSON.stringify(client.requestCounts)}`);
}

/** Runs the scenario and checks the invariants. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { seconds, restarts, ratePerSecond, seed, log } = options;
  const drainTimeoutSeconds = options.drainTimeoutSeconds ?? 180;
  const runStarted = Date.now();
  const random = new ChaosRandom(seed);
  const plan = killPlan(random.fork('kills'), seconds, restarts);
  const dataDir = tempDataDir();
  const sink = new ChaosSink({
    random: random.fork('sink'), profileFor: sinkProfileFor, sharedSecret: SHARED_SECRET,
    slowMs: [100, 600], hangMs: DESTINATION_TIMEOUT_MS + 4_000,
  });
  const engine = new ChaosEngine({ dataDir, writeKey: WRITE_KEY, adminToken: ADMIN_TOKEN, env: { ...ENGINE_ENV }, log });
  const client = new ChaosClient({ endpoint: () => engine.url, writeKey: WRITE_KEY, random: random.fork('client') });
  const load = new ChaosLoad({ client, random: random.fork('load'), ratePerSecond, runTag: seed.toString(36) });
  let db: Database.Database | null = null;
  let violations: string[] = [];
  let finished = false;
  log(`seed ${seed}, data directory ${dataDir}`);
  try {
    await sink.start();
    const journeyIds = await setUpJourneys(await engine.start(), sink);
    log(`journeys published: ${JSON.stringify(journeyIds)}; load ${ratePerSecond} events/s for ${seconds} s, kills at ${plan.map((k) => `${(k.atMs / 1000).toFixed(1)} s`).join(', ')}`);
    await loadUnderKills({ engine, load, client, sink }, plan, seconds, log);

    db = new Database(path.join(dataDir, SQLITE_FILE), { readonly: true, fileMustExist: true });
    attachEventLog(db, dataDir);
    const drained = await drain(db, { timeoutMs: drainTimeoutSeconds * 1000, log });
    log(drained.drained ? `drained in ${(drained.waitedMs / 1000).toFixed(1)} s` : `NOT drained after ${(drained.waitedMs / 1000).toFixed(1)} s: ${JSON.stringify(drained.status)}`);
    log(`sink: ${sink.requests} requests; answers per key arrival ${JSON.stringify(sink.answerCounts())}`);

    const facts = await readEngineFacts(await engine.ready(), db, journeyIds);
    const harness: HarnessFacts = {
      sent: client.sent, isSeed: (messageId) => messageId.startsWith('seed-'), sinkKeys: sink.keys, kills: engine.kills,
      problems: [...client.problems, ...load.problems, ...sink.problems],
    };
    const checked = checkInvariants(facts, harness, { maxAttempts: MAX_ATTEMPTS, strict: options.strict !== false });
    violations = [...checked.violations];
    if (!drained.drained) violations.unshift(`[drain] the engine did not drain within ${drainTimeoutSeconds} s: ${JSON.stringify(drained.status)}`);
    const c = checked.counts;
    const durationSeconds = (Date.now() - runStarted) / 1000;
    const summary = `CHAOS seed=${seed} seconds=${seconds} duration=${durationSeconds.toFixed(0)}s rate=${ratePerSecond}/s events=${c.events.offered}`
      + ` acknowledged=${c.events.acknowledged} ackLostThenDuplicate=${client.requestCounts.duplicates} stored=${c.events.stored}`
      + ` instances=${c.instances} timers=${c.timersFired} deliveries=${c.deliveries.deliveries} delivered=${c.deliveries.delivered}`
      + ` failed=${c.deliveries.failed} replays=${c.deliveries.replays} restarts=${engine.kills.length}`
      + ` maxTimerLatenessMs=${c.maxTimerLatenessMs} knownIssues=${checked.knownIssues.length} violations=${violations.length}`;
    const keep = violations.length > 0 || options.keepData === true;
    finished = true;
    return {
      seed, durationSeconds, restarts: engine.kills.length, counts: c, violations, knownIssues: checked.knownIssues, summary,
      keptDataDir: keep ? dataDir : null, engineStderr: engine.stderr(),
    };
  } finally {
    // On a failed run the load and the client may still be going: stop them first.
    load.halt();
    await client.close(0);
    db?.close();
    await engine.stopAll();
    await sink.stop();
    // Kept for a post-mortem when something went wrong (violations, or the run itself failed).
    if (finished && violations.length === 0 && options.keepData !== true) removeDir(dataDir);
  }
}
