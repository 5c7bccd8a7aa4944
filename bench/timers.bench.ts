/**
 * Journey timers, on a real engine in a child process, driven only through its HTTP API; counts
 * and timings are read from its SQLite file (read-only), never from its code.
 *
 * Every phase publishes "TimerDue → delay until the date in the event (`properties.due_at`) → send
 * → exit" (drip: a second wait before the exit): a property-date delay, so every instance's due
 * time is exactly the one chosen here, on the real clock.
 * - sustained: timers come due at a fixed rate (10,000/s for 10 s by default), after a warm-up of
 *   the same rate (BENCH_WARMUP_SECONDS, default 15) that is reported apart: the engine has just
 *   been started, and until its code is compiled it fires timers more slowly than the rate (see
 *   BenchOptions.latencyWarmupSeconds). Lateness = the journey time at which the engine fired a timer
 *   (its 'delay_over' activity) minus the due time it stored (`data.waitedUntil`).
 * - burst: 100,000 timers all due at the same instant; drain time = the last one's fire time
 *   minus that instant.
 * - drip: the burst again, with a journey that waits once more after its send (a delay of 30
 *   days, then exit), as a drip campaign does: each firing leaves its instance active with its next
 *   timer rather than ending it. Its figures are printed, not judged.
 * Instances are entered through /v1/batch (100 track events per request, distinct users) when the
 * engine's measured entry rate allows it within BENCH_MAX_HTTP_SETUP_SECONDS; otherwise they are
 * copies of a real instance written into the stopped engine's file (support/synthetic-rows.ts) and
 * the engine is restarted on it (BENCH_SETUP forces either way). The timers reach their profiles in
 * random order, as real ones do (BENCH_PROFILE_ORDER=sequential: in the order the profiles were
 * written, as before the eighteenth session; support/profile-order.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { benchOptions } from './bench-options.ts';
import { noteSqliteOnly } from './support/bench-store.ts';
import { startEngineProcess, type EngineProcess } from './support/engine-handle.ts';
import type { EngineStats } from './support/engine-messages.ts';
import { IngestClient } from './support/ingest-client.ts';
import { AdminClient } from './support/admin-client.ts';
import { batches, batchRequest, sendAll } from './support/bulk-ingest.ts';
import { countRows, delayFirings, instanceCounts, openReadOnly, pollUntil, type ReadOnlyDb } from './support/engine-db.ts';
import { distribution, histogram, type Distribution } from './support/distribution.ts';
import { readInstanceTemplate, readProfileTemplate, writeSyntheticRows } from './support/synthetic-rows.ts';
import { profilePermutation } from './support/profile-order.ts';
import { calibrateCpuMs, coresUsed, machineInfo, readCpuTimes } from './support/machine.ts';
import { describeIo, ioFigure, ioPerUnit, readProcIo, type IoPerUnit } from './support/proc-io.ts';

const TARGETS = { sustainedTimersPerS: 20_000, latenessP99Ms: 100, latenessAtRate: 10_000, burstSeconds: 5 };
const OTHER_LOAD_WARNING_CORES = 0.15;
const CONNECTIONS = 8;
const PER_BATCH = 100;
const EVENT = 'TimerDue';
/** The journey of every phase: wait until the event's `due_at`, send, exit. */
const ONE_TIMER_STEPS = [
  { id: 'wait', type: 'delay', wait: { type: 'property', path: `context.${EVENT}.properties.due_at` }, next: 'notify' },
  { id: 'notify', type: 'send', eventName: 'Timer Fired', next: 'done' },
  { id: 'done', type: 'exit' },
];
/** The drip phase's journey: the same, then another wait (30 days) before the exit. */
const DRIP_STEPS = [
  ONE_TIMER_STEPS[0]!,
  { ...ONE_TIMER_STEPS[1]!, next: 'later' },
  { id: 'later', type: 'delay', wait: { type: 'duration', duration: 'P30D' }, next: 'done' },
  ONE_TIMER_STEPS[2]!,
];
/** Rows per second the synthetic writer is assumed to manage when placing the first due time (measured: more). */
const ASSUMED_WRITE_ROWS_PER_S = 40_000;

const options = benchOptions();
const machine = machineInfo();
const runId = randomUUID().slice(0, 8);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const r2 = (n: number) => Math.round(n * 100) / 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const log = (line: string) => console.log(`timers: ${line}`);
const dist = (d: Distribution) => `p50 ${fmt(d.p50, 1)} ms, p90 ${fmt(d.p90, 1)}, p99 ${fmt(d.p99, 1)}, p99.9 ${fmt(d.p999, 1)}, max ${fmt(d.max, 1)} (n=${fmt(d.count)})`;

calibrateCpuMs();
const calibrationMs = calibrateCpuMs();
log(`${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}; CPU calibration ${fmt(calibrationMs, 1)} ms; profiles in ${options.profileOrder} order`);
noteSqliteOnly(options, log, "it reads timer firings from the engine's SQLite file and can write synthetic instances into it");

/** One engine under test, with the clients the benchmark talks to it through. */
interface Bench {
  dataDir: string;
  engine: EngineProcess;
  admin: AdminClient;
  client: IngestClient;
  db: ReadOnlyDb;
  running: boolean;
}

const benches: Bench[] = [];

async function connect(b: Pick<Bench, 'dataDir'>): Promise<Bench> {
  const engine = await startEngineProcess({ dataDir: b.dataDir, nodeArgs: options.engineNodeArgs });
  if (!engine.adminToken) throw new Error('the engine started without a printable admin token');
  return {
    dataDir: b.dataDir, engine, running: true,
    admin: new AdminClient({ url: engine.url, adminToken: engine.adminToken }),
    client: new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: CONNECTIONS }),
    db: openReadOnly(engine.dbFile),
  };
}

async function stopEngine(b: Bench): Promise<void> {
  if (!b.running) return;
  b.running = false;
  b.db.close();
  await b.client.close();
  await b.engine.stop();
}

async function startBench(name: string): Promise<Bench> {
  const b = await connect({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), `journey-bench-timers-${name}-`)) });
  benches.push(b);
  return b;
}

/** Stops an engine and starts a new one on the same data directory (same credentials). */
async function restart(b: Bench): Promise<void> {
  await stopEngine(b);
  Object.assign(b, await connect(b));
}

function trackOf(user: string, messageId: string, properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'track', event: EVENT, userId: user, messageId, timestamp: new Date().toISOString(), properties };
}

/** Sends `total` trigger events (distinct users) and waits until that many more instances of the journey exist. */
async function enterByHttp(b: Bench, journeyId: string, total: number, make: (i: number) => Record<string, unknown>, timeoutMs: number) {
  const already = instanceCounts(b.db, journeyId).total;
  const started = performance.now();
  const sent = await sendAll(b.client, batches(total, PER_BATCH, make), CONNECTIONS, 5);
  if (sent.failedRequests > 0) throw new Error(`${sent.failedRequests} ingest requests failed after 5 retries; first: ${sent.firstError}`);
  if (sent.retriedAttempts > 0) log(`  WARNING: ${fmt(sent.retriedAttempts)} ingest attempts failed and were retried; first error: ${sent.firstError}`);
  const waited = await pollUntil(() => instanceCounts(b.db, journeyId).total, (n) => n >= already + total, { timeoutMs, everyMs: 50 });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, ingestSeconds: sent.seconds, created: waited.value - already, perSecond: (waited.value - already) / seconds };
}

/**
 * Publishes the journey, measures the entry rate on a probe, then makes `total` instances whose
 * timers are due at `dueAt(i, t0)`, with t0 placed after the setup. Answers t0 and how it was done.
 */
async function prepare(name: string, total: number, dueAt: (i: number, t0: number) => number, steps: readonly object[] = ONE_TIMER_STEPS) {
  const b = await startBench(name);
  const seeded = await b.client.send(batchRequest([trackOf(`seed-${runId}`, `${runId}-seed`, {})]));
  if (!seeded.ok) throw new Error(`seeding the catalog failed: ${seeded.error}`);
  await b.engine.settle(30_000);
  const journeyId = await b.admin.publishJourney({
    name: `Bench timers, ${name}`,
    entry: { event: EVENT },
    start: 'wait',
    steps,
  });
  // The probe's timers are due tomorrow: they never fire here, and one of them is the template for synthetic rows.
  const probeSize = Math.min(2_000, Math.max(200, Math.round(total / 50)));
  const tomorrow = Date.now() + 86_400_000;
  const probe = await enterByHttp(b, journeyId, probeSize, (i) => trackOf(`probe-${name}-${runId}-${i}`, `${runId}-probe-${name}-${i}`, { due_at: new Date(tomorrow).toISOString() }), 60_000);
  const httpEstimateSeconds = total / probe.perSecond;
  // Through HTTP a burst fires its timers in the order their profiles were created (all are due at
  // the same instant, so they go by row order): in random profile order it is written instead.
  const burstInOrder = name !== 'sustained' && options.profileOrder === 'random';
  const setup = options.setup !== 'auto' ? options.setup
    : httpEstimateSeconds <= options.maxHttpSetupSeconds && !burstInOrder ? 'http' : 'sqlite';
  log(`${name}: ${fmt(probe.perSecond)} instances entered/s through /v1/batch (probe of ${fmt(probeSize)}): ${fmt(total)} would take ~${fmt(httpEstimateSeconds, 1)} s`
    + ` -> setup by ${setup === 'http' ? 'HTTP ingest' : 'writing copies of a real instance into the stopped engine\'s SQLite file'}`
    + (setup === 'sqlite' && burstInOrder && httpEstimateSeconds <= options.maxHttpSetupSeconds ? ' (their profiles in random order)' : ''));

  let t0: number;
  let setupSeconds: number;
  // Timer k comes due k-th; its profile is order[k] (see support/profile-order.ts).
  const order = profilePermutation(total, options.profileOrder);
  if (setup === 'http') {
    t0 = Date.now() + Math.round(httpEstimateSeconds * 1000 * 1.3) + 2_000;
    // Ingest creates each profile with its instance, so here user i (entered i-th) is due
    // dueRank[i]-th instead. Timers due at the same instant still fire in entry order, which is then profile order.
    const dueRank = new Int32Array(total);
    order.forEach((profile, k) => { dueRank[profile] = k; });
    if (burstInOrder) log('  NOTE: through HTTP the burst fires its timers in the order their profiles were created, not in random order');
    const entered = await enterByHttp(b, journeyId, total, (i) => trackOf(`t-${name}-${runId}-${i}`, `${runId}-t-${name}-${i}`, { due_at: new Date(dueAt(dueRank[i]!, t0)).toISOString() }),
      Math.max(10_000, t0 - Date.now() + 10_000));
    setupSeconds = entered.seconds;
    log(`  entered ${fmt(entered.created)} instances in ${fmt(entered.seconds, 1)} s (${fmt(entered.perSecond)}/s; ingest acked in ${fmt(entered.ingestSeconds, 1)} s)`);
  } else {
    const started = performance.now();
    const instance = readInstanceTemplate(b.db, journeyId);
    const profile = readProfileTemplate(b.db, instance.profileId);
    await stopEngine(b);
    t0 = Date.now() + Math.round((total * 2 / ASSUMED_WRITE_ROWS_PER_S) * 1000) + 4_000;
    const written = writeSyntheticRows(b.engine.dbFile, profile, {
      profiles: total, userId: (p) => `t-${name}-${runId}-${p}`,
      instances: total, instanceOf: (k) => ({ template: instance, profile: order[k]!, wakeAt: dueAt(k, t0) }),
    });
    await restart(b);
    setupSeconds = (performance.now() - started) / 1000;
    log(`  wrote ${fmt(total)} profiles and ${fmt(total)} instances in ${fmt(written.seconds, 1)} s, engine restarted; setup ${fmt(setupSeconds, 1)} s`);
  }
  const readyBeforeMs = t0 - Date.now();
  if (readyBeforeMs < 0) log(`  WARNING: setup ended ${fmt(-readyBeforeMs / 1000, 1)} s AFTER the first timer was due`);
  return { b, journeyId, t0, setup, setupSeconds, entryRatePerS: probe.perSecond, readyBeforeMs };
}

/** Watches the engine from just before t0 until `total` instances completed or the deadline; then stops it and reads the firings. */
async function watch(name: string, b: Bench, journeyId: string, total: number, t0: number, deadline: number) {
  await sleep(t0 - Date.now() - 300);
  if (options.engineCpuProfileDir) {
    fs.mkdirSync(options.engineCpuProfileDir, { recursive: true });
    await b.engine.startProfile();
  }
  const before = await b.engine.stats();
  const ioBefore = readProcIo(b.engine.pid);
  const deliveriesBefore = countRows(b.db, 'deliveries');
  const machineBefore = readCpuTimes();
  const generatorBefore = process.cpuUsage();
  const wallStart = performance.now();
  // Deliveries (one per fired timer) are cheap to count; counting instances by status would read every big row.
  const polled = await pollUntil(() => countRows(b.db, 'deliveries'), (n) => n >= total, { timeoutMs: deadline - Date.now(), everyMs: 250 });
  const stoppedAt = Date.now();
  const wallMs = performance.now() - wallStart;
  const after: EngineStats = await b.engine.stats();
  const ioAfter = readProcIo(b.engine.pid);
  const machineCores = coresUsed(machineBefore, readCpuTimes(), machine.cpus);
  const generator = process.cpuUsage(generatorBefore);
  if (options.engineCpuProfileDir) {
    const file = path.join(options.engineCpuProfileDir, `timers-${name}.cpuprofile`);
    await b.engine.stopProfile(file);
    log(`  CPU profile: ${file}`);
  }
  // Stopping waits for the timer round in flight, so every fired timer's activities are written when the file is read.
  const dbFile = b.engine.dbFile;
  await stopEngine(b);
  const db = new Database(dbFile, { readonly: true });
  const firings = delayFirings(db, journeyId);
  const completed = instanceCounts(db, journeyId).completed;
  const deliveries = countRows(db, 'deliveries');
  const unfiredDue = (db.prepare(`SELECT wake_at FROM instances WHERE journey_id = ? AND status = 'active' AND wake_at <= ?`).raw().all(journeyId, stoppedAt) as number[][]).map((r) => r[0]!);
  db.close();
  const engineCores = (after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs) / wallMs;
  const otherCores = machineCores ? Math.max(0, machineCores.busy - engineCores - (generator.user + generator.system) / 1000 / wallMs) : null;
  // Each fired timer records one delivery: the deliveries made while watching count the timers fired.
  const io = ioPerUnit(ioBefore, ioAfter, deliveries - deliveriesBefore);
  return { firings, completed, deliveries, unfiredDue, stoppedAt, allDone: polled.ok, enginePercent: 100 * engineCores, otherCores, rssMb: after.rssMb, heapUsedMb: after.heapUsedMb, io };
}

function reportCpu(w: { enginePercent: number; otherCores: number | null; rssMb: number; io: IoPerUnit | null }): void {
  log(`  engine CPU ${fmt(w.enginePercent)}% of a core, RSS ${fmt(w.rssMb)} MB; other processes ${w.otherCores === null ? 'n/a' : `${fmt(w.otherCores, 2)} cores`}`);
  log(`  ${describeIo(w.io, 'fired timer')}`);
  if ((w.otherCores ?? 0) > OTHER_LOAD_WARNING_CORES) log(`  WARNING: other processes used ${fmt(w.otherCores!, 2)} cores during this phase; its figures are disturbed`);
}

/** Lateness of the firings due in [from, to), with the timers due then that had not fired by the stop counted as that late. */
function latenessOf(w: Awaited<ReturnType<typeof watch>>, from: number, to: number) {
  const lateness: number[] = [];
  const firedMs: number[] = [];
  let lastFired = 0;
  for (let i = 0; i < w.firings.dueMs.length; i++) {
    const due = w.firings.dueMs[i]!;
    if (due < from || due >= to) continue;
    lateness.push(w.firings.firedMs[i]! - due);
    firedMs.push(w.firings.firedMs[i]!);
    lastFired = Math.max(lastFired, w.firings.firedMs[i]!);
  }
  // A timer still waiting when the engine was stopped was at least this late: counted as such (a lower bound).
  const unfired = w.unfiredDue.filter((due) => due >= from && due < to);
  for (const due of unfired) lateness.push(w.stoppedAt - due);
  return { late: distribution(lateness), fired: firedMs.length, firedMs, lastFired, unfired: unfired.length };
}

/** Phase (a): timers coming due at a fixed rate, after a warm-up at that rate. */
async function sustained() {
  const rate = options.timerRatePerSecond;
  const total = Math.round(rate * options.timerSeconds);
  const warmup = Math.round(rate * options.latencyWarmupSeconds);
  const windowMs = options.timerSeconds * 1000;
  const dueAt = (i: number, t0: number) => t0 + Math.floor((i * 1000) / rate);
  const p = await prepare('sustained', warmup + total, dueAt);
  // The measured window starts with the first timer after the warm-up's.
  const start = dueAt(warmup, p.t0);
  if (warmup > 0) log(`  warm-up: ${fmt(warmup)} timers due at ${fmt(rate)}/s from ${new Date(p.t0).toISOString()} (${fmt(options.latencyWarmupSeconds, 1)} s, reported apart)`);
  log(`  ${fmt(total)} timers due at ${fmt(rate)}/s from ${new Date(start).toISOString()} for ${fmt(options.timerSeconds, 1)} s`);
  const w = await watch('sustained', p.b, p.journeyId, warmup + total, start, start + windowMs + options.drainTimeoutSeconds * 1000);
  const warm = warmup > 0 ? latenessOf(w, p.t0, start) : null;
  const m = latenessOf(w, start, Number.POSITIVE_INFINITY);
  const perSecond = histogram(m.firedMs, start, 1000);
  const achieved = (m.fired / (Math.max(m.lastFired, start + windowMs) - start)) * 1000;
  if (warm) log(`  warm-up lateness (engine just started, not the target's figure): ${dist(warm.late)}${warm.unfired > 0 ? `; ${fmt(warm.unfired)} had not fired` : ''}`);
  log(`  fired ${fmt(m.fired)} of ${fmt(total)} timers (${fmt(w.completed)} instances completed, ${fmt(w.deliveries)} deliveries, warm-up included); ${fmt(achieved)} timers/s from the first due time to the last firing`
    + (m.fired < total ? `; ${fmt(total - m.fired)} NOT fired ${fmt((w.stoppedAt - start - windowMs) / 1000, 1)} s after the window closed` : `; the last ${fmt((m.lastFired - start - windowMs) / 1000, 2)} s after the window closed`));
  log(`  fired per second from the first due time: ${perSecond.map((n) => fmt(n)).join(' ')}`);
  log(`  lateness (fired - due): ${dist(m.late)}${m.unfired > 0 ? ` — a LOWER BOUND: ${fmt(m.unfired)} timers had not fired and count as late as the stop` : ''}`);
  reportCpu(w);
  return {
    rate, total, fired: m.fired, achieved, late: m.late, unfired: m.unfired, warmupSeconds: warmup > 0 ? options.latencyWarmupSeconds : 0, warmLate: warm?.late ?? null,
    setup: p.setup, setupSeconds: p.setupSeconds, entryRatePerS: p.entryRatePerS, enginePercent: w.enginePercent, otherCores: w.otherCores, rssMb: w.rssMb, io: w.io,
  };
}

/** Phase (b), and (c) with the drip journey: every timer due at the same instant. */
async function burst(name: 'burst' | 'drip') {
  const total = options.timerBurst;
  const p = await prepare(name, total, (_i, t0) => t0, name === 'drip' ? DRIP_STEPS : ONE_TIMER_STEPS);
  log(`  ${fmt(total)} timers all due at ${new Date(p.t0).toISOString()}${name === 'drip' ? '; each instance then waits 30 days more' : ''}`);
  const w = await watch(name, p.b, p.journeyId, total, p.t0, p.t0 + Math.max(options.drainTimeoutSeconds, 3 * TARGETS.burstSeconds) * 1000);
  const fired = w.firings.firedMs.length;
  let lastFired = p.t0;
  for (const f of w.firings.firedMs) lastFired = Math.max(lastFired, f);
  const drainSeconds = (lastFired - p.t0) / 1000;
  const ratePerS = fired / Math.max(drainSeconds, 0.001);
  const sinceDue = distribution(Array.from(w.firings.firedMs, (f) => f - p.t0));
  const allFired = fired === total;
  log(`  fired ${fmt(fired)} of ${fmt(total)}` + (allFired
    ? `: the last ${fmt(drainSeconds, 2)} s after the due instant`
    : ` by the stop, ${fmt((w.stoppedAt - p.t0) / 1000, 1)} s after the due instant: at that rate all would take ~${fmt(total / ratePerS, 1)} s`));
  log(`  ${fmt(ratePerS)} timers/s while draining; ${fmt(w.deliveries)} deliveries; fire time after the due instant: ${dist(sinceDue)}`);
  reportCpu(w);
  return {
    total, fired, allFired, drainSeconds: allFired ? drainSeconds : total / ratePerS, ratePerS, sinceDue, setup: p.setup, setupSeconds: p.setupSeconds,
    entryRatePerS: p.entryRatePerS, enginePercent: w.enginePercent, otherCores: w.otherCores, rssMb: w.rssMb, io: w.io,
  };
}

const PHASES = ['sustained', 'burst', 'drip'] as const;
const unknownPhases = (options.phases ?? []).filter((p) => !(PHASES as readonly string[]).includes(p));
if (unknownPhases.length > 0) throw new Error(`unknown phase(s) ${unknownPhases.join(', ')}; timers has ${PHASES.join(', ')}`);
const wanted = (p: typeof PHASES[number]) => options.phases === null || options.phases.includes(p);

try {
  const a = wanted('sustained') ? await sustained() : null;
  const b = wanted('burst') ? await burst('burst') : null;
  const c = wanted('drip') ? await burst('drip') : null;
  const verdict = (ok: boolean | null) => (ok === null ? 'SKIPPED' : ok ? 'PASS' : 'FAIL');
  // Capacity: how fast the engine fires a backlog of due timers (the burst); the sustained phase counts when it was offered more than that.
  const capacity = Math.max(b?.ratePerS ?? 0, a ? Math.min(a.achieved, a.rate) : 0);
  const pass = {
    sustained_rate: a || b ? capacity >= TARGETS.sustainedTimersPerS : null,
    lateness_p99: a ? a.rate >= TARGETS.latenessAtRate && a.fired === a.total && a.late.p99 <= TARGETS.latenessP99Ms : null,
    burst_drain: b ? b.total >= 100_000 && b.allFired && b.drainSeconds <= TARGETS.burstSeconds : null,
  };
  log(`target >= ${fmt(TARGETS.sustainedTimersPerS)} timers/s sustained: ${verdict(pass.sustained_rate)} (${fmt(capacity)} timers/s)`);
  log(`target lateness p99 <= ${TARGETS.latenessP99Ms} ms at ${fmt(TARGETS.latenessAtRate)} timers/s: ${verdict(pass.lateness_p99)}`
    + (a ? ` (p99 ${a.unfired > 0 ? '>= ' : ''}${fmt(a.late.p99, 1)} ms at ${fmt(a.rate)}/s offered; ${fmt(a.fired)} of ${fmt(a.total)} fired)` : ''));
  log(`target 100,000 timers due at once drained in <= ${TARGETS.burstSeconds} s: ${verdict(pass.burst_drain)}`
    + (b ? ` (${fmt(b.total)} timers: ${b.allFired ? '' : 'projected '}${fmt(b.drainSeconds, 2)} s)` : ''));
  const late = a?.late;
  console.log(`BENCH ${JSON.stringify({
    name: 'timers', store: 'sqlite',
    timers_per_s: Math.round(capacity),
    sustained_offered_per_s: a?.rate ?? null, sustained_timers: a?.total ?? null, sustained_fired: a?.fired ?? null,
    sustained_achieved_per_s: a ? Math.round(a.achieved) : null,
    lateness_ms: late ? { p50: r2(late.p50), p90: r2(late.p90), p99: r2(late.p99), p999: r2(late.p999), max: r2(late.max), lower_bound: (a?.unfired ?? 0) > 0 } : null,
    sustained_warmup_s: a?.warmupSeconds ?? null,
    warmup_lateness_ms: a?.warmLate ? { p50: r2(a.warmLate.p50), p99: r2(a.warmLate.p99), max: r2(a.warmLate.max) } : null,
    burst_timers: b?.total ?? null, burst_fired: b?.fired ?? null, burst_drain_s: b ? r2(b.drainSeconds) : null, burst_drain_projected: b ? !b.allFired : null,
    burst_timers_per_s: b ? Math.round(b.ratePerS) : null,
    drip_timers: c?.total ?? null, drip_fired: c?.fired ?? null, drip_drain_s: c ? r2(c.drainSeconds) : null, drip_timers_per_s: c ? Math.round(c.ratePerS) : null,
    entries_per_s_http: { sustained: a ? Math.round(a.entryRatePerS) : null, burst: b ? Math.round(b.entryRatePerS) : null, drip: c ? Math.round(c.entryRatePerS) : null },
    setup: { sustained: a?.setup ?? null, burst: b?.setup ?? null, drip: c?.setup ?? null },
    engine_cpu_pct: { sustained: a ? r2(a.enginePercent) : null, burst: b ? r2(b.enginePercent) : null, drip: c ? r2(c.enginePercent) : null },
    engine_rss_mb: { sustained: a ? Math.round(a.rssMb) : null, burst: b ? Math.round(b.rssMb) : null, drip: c ? Math.round(c.rssMb) : null },
    io_per_timer: { sustained: a ? ioFigure(a.io) : null, burst: b ? ioFigure(b.io) : null, drip: c ? ioFigure(c.io) : null },
    other_load_cores: {
      sustained: a?.otherCores != null ? r2(a.otherCores) : null, burst: b?.otherCores != null ? r2(b.otherCores) : null, drip: c?.otherCores != null ? r2(c.otherCores) : null,
    },
    pass, cpu_calibration_ms: r2(calibrationMs), sqlite_mmap_mb: options.sqliteMmapMb, profile_order: options.profileOrder,
    machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
  })}`);
} finally {
  for (const b of benches) {
    await stopEngine(b).catch(() => {});
    if (!options.keepData) fs.rmSync(b.dataDir, { recursive: true, force: true });
  }
}
