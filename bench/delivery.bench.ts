/**
 * Delivery benchmark: a real engine (temp data directory, synchronous=FULL, error logs) in a child
 * process; this process is both the load generator and the destination, a local node:http sink
 * (support/delivery-sink.ts) that answers 200 at once and records when each payload arrived.
 *
 * Setup: a webhook destination (built-in `webhook` plugin, delivery concurrency
 * BENCH_DELIVERY_CONCURRENCY, default 64) and one published journey "BenchOrder → send to the sink
 * → exit" (no delay step). Every event is a distinct user, so instances never wait for each other
 * (one active instance per profile) and each event makes exactly one delivery.
 *
 * Phases:
 * - warm-up: BENCH_WARMUP_SECONDS of paced events (not measured);
 * - paced: /v1/track at BENCH_DELIVERY_RATE events/s (default 1,000) for BENCH_SECONDS, open loop.
 *   Latency = sink received the payload − the moment the ingest request was due (not when it was
 *   sent), so a stall anywhere counts against the engine (no coordinated omission). An event is
 *   matched to its arrival by the entry event's messageId in the delivered body
 *   (data = properties.journey_context → body.BenchOrder.messageId);
 * - burst: BENCH_DELIVERY_BURST entry events (default 50,000) through /v1/batch as fast as the
 *   engine acks them; deliveries/s = delivered / (first request sent → last payload received).
 * Verified at the end: each event reached the sink exactly once (distinct idempotency keys, one
 * per event; repeats reported), and GET /api/v1/deliveries?status=delivered lists the same keys.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { benchOptions } from './bench-options.ts';
import { startEngineProcess } from './support/engine-handle.ts';
import type { EngineStats } from './support/engine-messages.ts';
import { IngestClient } from './support/ingest-client.ts';
import { AdminClient } from './support/admin-client.ts';
import { batches, sendAll } from './support/bulk-ingest.ts';
import { openReadOnly, pendingEvents, type ReadOnlyDb } from './support/engine-db.ts';
import { distribution, histogram, type Distribution } from './support/distribution.ts';
import { startDeliverySink, type Arrival } from './support/delivery-sink.ts';
import { calibrateCpuMs, coresUsed, machineInfo, readCpuTimes, type CpuTimes } from './support/machine.ts';
import { procCoresBetween, readProcCpu, type ProcCpu } from './support/proc-cpu.ts';

const TARGETS = { p50Ms: 5, p99Ms: 50, deliveriesPerS: 5_000 };
const OTHER_LOAD_WARNING_CORES = 0.15;
const ENTRY_EVENT = 'BenchOrder';
const PACED_CONNECTIONS = 64;
const BURST_CONNECTIONS = 8;
const PER_BATCH = 100;
const RETRIES = 5;
/** Waiting for deliveries: give up when none arrived for this long. */
const STALL_MS = 15_000;

const options = benchOptions();
const machine = machineInfo();
const runId = randomUUID().slice(0, 8);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const r2 = (n: number) => Math.round(n * 100) / 100;
const log = (line: string) => console.log(`delivery: ${line}`);
const dist = (d: Distribution) => `p50 ${fmt(d.p50, 2)} ms, p90 ${fmt(d.p90, 2)}, p99 ${fmt(d.p99, 2)}, p99.9 ${fmt(d.p999, 2)}, max ${fmt(d.max, 2)} (n=${fmt(d.count)})`;
/** performance.now() → ms since the epoch (to compare with the engine's ISO times). */
const epochOf = (perfMs: number) => performance.timeOrigin + perfMs;

const PHASE_NAMES = ['paced', 'burst'] as const;
type PhaseName = typeof PHASE_NAMES[number];
const unknownPhases = (options.phases ?? []).filter((p) => !(PHASE_NAMES as readonly string[]).includes(p));
if (unknownPhases.length > 0) throw new Error(`unknown phase(s) ${unknownPhases.join(', ')}; delivery has ${PHASE_NAMES.join(', ')}`);
const runs = (p: PhaseName) => options.phases === null || options.phases.includes(p);

calibrateCpuMs();
const calibrationMs = calibrateCpuMs();
log(`${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}; CPU calibration ${fmt(calibrationMs, 1)} ms (lower is faster)`);

const idleBefore = readCpuTimes();
await new Promise((resolve) => setTimeout(resolve, 1000));
const busyAtStart = coresUsed(idleBefore, readCpuTimes(), machine.cpus)?.busy ?? 0;
if (busyAtStart > OTHER_LOAD_WARNING_CORES) log(`WARNING: ${fmt(busyAtStart, 2)} cores were busy before the start (other processes); figures will be lower than this machine can do`);

/** Events of one phase: when each was due and sent (performance.now()), acked, and arrived at the sink. */
class PhaseEvents {
  readonly due: Float64Array;
  readonly sent: Float64Array;
  readonly acked: Float64Array;
  readonly arrived: Float64Array;
  /** Sink arrivals (distinct idempotency keys) that carried this event: exactly 1 is right. */
  readonly deliveries: Uint8Array;
  readonly tag: string;
  readonly count: number;
  constructor(tag: string, count: number) {
    this.tag = tag;
    this.count = count;
    this.due = new Float64Array(count).fill(NaN);
    this.sent = new Float64Array(count).fill(NaN);
    this.acked = new Float64Array(count).fill(NaN);
    this.arrived = new Float64Array(count).fill(NaN);
    this.deliveries = new Uint8Array(count);
  }
  messageId(i: number): string {
    return `${runId}-${this.tag}-${i}`;
  }
  userId(i: number): string {
    return `u-${runId}-${this.tag}-${i}`;
  }
}

const phases = new Map<string, PhaseEvents>();
let unmatchedArrivals = 0;
let firstUnmatched: string | null = null;
/** Idempotency key → the event it carried, for the engine-side check. */
const keyOfEvent = new Map<string, string>();

function onArrival(arrival: Arrival): void {
  let messageId: string | undefined;
  try {
    const body = JSON.parse(arrival.body) as Record<string, { messageId?: string } | undefined>;
    messageId = body[ENTRY_EVENT]?.messageId;
  } catch {
    // counted below
  }
  const parts = messageId?.split('-');
  const phase = parts && parts.length === 3 && parts[0] === runId ? phases.get(parts[1]!) : undefined;
  const i = parts ? Number(parts[2]) : NaN;
  if (!phase || !Number.isInteger(i) || i < 0 || i >= phase.count) {
    unmatchedArrivals++;
    firstUnmatched ??= arrival.body.slice(0, 300);
    return;
  }
  if (phase.deliveries[i]! === 0) phase.arrived[i] = arrival.at;
  phase.deliveries[i] = Math.min(255, phase.deliveries[i]! + 1);
  keyOfEvent.set(arrival.key, messageId!);
}

function trackBody(phase: PhaseEvents, i: number, timestamp: string): string {
  return JSON.stringify({
    type: 'track', event: ENTRY_EVENT, userId: phase.userId(i), messageId: phase.messageId(i), timestamp,
    properties: { order_id: `ord-${phase.tag}-${i}`, revenue: 42.5, currency: 'EUR', items: 3 },
  });
}

/** Open loop: event i is due at start + i/rate whatever the engine does; each is sent when due. */
async function paced(client: IngestClient, phase: PhaseEvents, ratePerSecond: number): Promise<{ seconds: number; failed: number; firstError: string | null; maxInFlight: number }> {
  const intervalMs = 1000 / ratePerSecond;
  let sent = 0;
  let failed = 0;
  let firstError: string | null = null;
  let inFlight = 0;
  let maxInFlight = 0;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  const fire = (i: number) => {
    phase.due[i] = started + i * intervalMs;
    const body = trackBody(phase, i, new Date().toISOString());
    phase.sent[i] = performance.now();
    inFlight++;
    if (inFlight > maxInFlight) maxInFlight = inFlight;
    const done = client.send({ path: '/v1/track', body, events: 1 }).then((outcome) => {
      phase.acked[i] = performance.now();
      inFlight--;
      if (!outcome.ok) {
        failed++;
        firstError ??= outcome.error;
      }
      pending.delete(done);
    });
    pending.add(done);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(phase.count, Math.floor((performance.now() - started) / intervalMs) + 1);
      while (sent < due) fire(sent++);
      if (sent < phase.count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  while (pending.size > 0) await Promise.all(pending);
  return { seconds: (performance.now() - started) / 1000, failed, firstError, maxInFlight };
}

interface Load {
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
interface Snapshot { at: number; proc: ProcCpu | null; machine: CpuTimes | null; generator: NodeJS.CpuUsage }

function snapshot(pid: number): Snapshot {
  return { at: performance.now(), proc: readProcCpu(pid), machine: readCpuTimes(), generator: process.cpuUsage() };
}

/** The load between two snapshots; `stats` (RSS, the HTTP thread's loop) as the engine reports them at the end. */
function loadBetween(a: Snapshot, b: Snapshot, stats: EngineStats): Load {
  const wallMs = b.at - a.at;
  const machineCores = coresUsed(a.machine, b.machine, machine.cpus);
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
function sampler(pid: number, everyMs: number): { stop(): Snapshot[] } {
  const samples = [snapshot(pid)];
  const timer = setInterval(() => samples.push(snapshot(pid)), everyMs);
  return { stop() { clearInterval(timer); samples.push(snapshot(pid)); return samples; } };
}

const pct = (cores: number | null) => (cores === null || !Number.isFinite(cores) ? 'n/a' : `${fmt(100 * cores)}%`);

function logLoad(load: Load): void {
  log(`  engine CPU ${pct(load.engineCores)} of a core (HTTP thread ${pct(load.httpThreadCores)}, processing worker ${pct(load.workerThreadCores)});`
    + ` HTTP event loop busy ${fmt(100 * load.stats.loopUtilization)}%, loop delay p99 ${fmt(load.stats.loopDelayP99Ms, 1)} ms, RSS ${fmt(load.stats.rssMb)} MB;`
    + ` generator + sink ${pct(load.generatorCores)};`
    + ` iowait ${load.iowaitCores === null ? 'n/a' : `${fmt(load.iowaitCores, 2)} cores`}; other processes ${load.otherCores === null ? 'n/a' : `${fmt(load.otherCores, 2)} cores`}`);
  if ((load.otherCores ?? 0) > OTHER_LOAD_WARNING_CORES) log(`  WARNING: other processes used ${fmt(load.otherCores!, 2)} cores during this phase; its figures are disturbed`);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-delivery-'));
const sink = await startDeliverySink();
sink.onArrival = onArrival;
const engine = await startEngineProcess({ dataDir, nodeArgs: options.engineNodeArgs });
let stopped = false;
const stop = async () => {
  if (stopped) return;
  stopped = true;
  await engine.stop();
};
let db: ReadOnlyDb | null = null;

async function profiled<T>(name: string, run: () => Promise<T>): Promise<T> {
  const dir = options.engineCpuProfileDir;
  if (!dir) return run();
  fs.mkdirSync(dir, { recursive: true });
  await engine.startProfile();
  try {
    return await run();
  } finally {
    const file = path.join(dir, `delivery-${name}.cpuprofile`);
    await engine.stopProfile(file);
    log(`  CPU profile (HTTP thread): ${file}`);
  }
}

try {
  if (!engine.adminToken) throw new Error('the engine started without a printable admin token');
  const admin = new AdminClient({ url: engine.url, adminToken: engine.adminToken });
  db = openReadOnly(engine.dbFile);
  log(`data directory ${dataDir} (synchronous=FULL); sink ${sink.url}`);

  // The entry event must be in the catalog before the journey can be published.
  const seedClient = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: 1 });
  const seed = await seedClient.send({ path: '/v1/track', body: JSON.stringify({ type: 'track', event: ENTRY_EVENT, userId: `seed-${runId}`, messageId: `${runId}-seed`, properties: {} }), events: 1 });
  await seedClient.close();
  if (!seed.ok) throw new Error(`seeding the catalog failed: ${seed.error}`);
  await engine.settle(30_000);
  const created = await admin.call<{ destination: { id: string; delivery: unknown } }>('POST', '/api/v1/destinations', {
    plugin: 'webhook', name: `Bench sink ${runId}`, delivery: { concurrency: options.deliveryConcurrency },
  });
  const destinationId = created.destination.id;
  const journeyId = await admin.publishJourney({
    name: `Bench delivery ${runId}`, entry: { event: ENTRY_EVENT }, start: 'notify',
    steps: [
      {
        id: 'notify', type: 'send', eventName: 'Bench Delivered', payload: { context: 'all', traits: [] },
        target: { type: 'destination', destinationId, action: 'send' },
        mapping: { url: `${sink.url}/hook`, data: { '@path': '$.properties.journey_context' } },
        next: 'done',
      },
      { id: 'done', type: 'exit' },
    ],
  });
  log(`destination ${destinationId} (webhook, delivery ${JSON.stringify(created.destination.delivery)}); journey ${journeyId}: ${ENTRY_EVENT} → send → exit`);

  const pacedClient = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: PACED_CONNECTIONS });
  let expected = 0;

  // Warm-up: the JIT, the sink's keep-alive connections, SQLite's page cache.
  const warmCount = Math.round(options.warmupSeconds * options.deliveryRatePerSecond);
  if (warmCount > 0) {
    const warm = new PhaseEvents('w', warmCount);
    phases.set(warm.tag, warm);
    expected += warmCount;
    const w = await paced(pacedClient, warm, options.deliveryRatePerSecond);
    await sink.waitForDistinct(expected, { stallMs: STALL_MS, timeoutMs: 60_000 });
    const wl = distribution(Array.from(warm.arrived, (a, i) => a - warm.due[i]!).filter(Number.isFinite));
    log(`warm-up: ${fmt(warmCount)} events in ${fmt(w.seconds, 1)} s; event → sink ${dist(wl)}`);
  }

  // Paced phase: event-to-destination latency.
  let pacedReport: null | {
    events: number; offered: number; achievedPerS: number; latency: Distribution; fromSent: Distribution; ack: Distribution;
    delivered: number; failedRequests: number; maxInFlight: number; load: Load; complete: boolean;
    stages: { toRecorded: Distribution; queued: Distribution; sending: Distribution } | null;
  } = null;
  let pacedPhase: PhaseEvents | null = null;
  if (runs('paced')) {
    const count = Math.round(options.phaseSeconds * options.deliveryRatePerSecond);
    const phase = new PhaseEvents('p', count);
    pacedPhase = phase;
    phases.set(phase.tag, phase);
    expected += count;
    log(`paced: ${fmt(count)} events at ${fmt(options.deliveryRatePerSecond)}/s through /v1/track (${PACED_CONNECTIONS} connections, open loop)`);
    await engine.stats(); // resets the HTTP thread's loop figures
    const start = snapshot(engine.pid);
    const result = await profiled('paced', async () => {
      const r = await paced(pacedClient, phase, options.deliveryRatePerSecond);
      const sentAll = snapshot(engine.pid);
      const complete = await sink.waitForDistinct(expected, { stallMs: STALL_MS, timeoutMs: 60_000 });
      return { ...r, complete, sentAll };
    });
    // The load while events were sent at the offered rate.
    const load = loadBetween(start, result.sentAll, await engine.stats());
    const latencies: number[] = [];
    const fromSent: number[] = [];
    const acks: number[] = [];
    let lastArrival = 0;
    for (let i = 0; i < count; i++) {
      acks.push(phase.acked[i]! - phase.due[i]!);
      if (!Number.isFinite(phase.arrived[i]!)) continue;
      latencies.push(phase.arrived[i]! - phase.due[i]!);
      fromSent.push(phase.arrived[i]! - phase.sent[i]!);
      lastArrival = Math.max(lastArrival, phase.arrived[i]!);
    }
    const latency = distribution(latencies);
    pacedReport = {
      events: count, offered: options.deliveryRatePerSecond, achievedPerS: count / result.seconds,
      latency, fromSent: distribution(fromSent), ack: distribution(acks), delivered: latencies.length,
      failedRequests: result.failed, maxInFlight: result.maxInFlight, load, complete: result.complete, stages: null,
    };
    log(`  sent at ${fmt(pacedReport.achievedPerS)} events/s (${result.maxInFlight} requests in flight at most)${result.failed > 0 ? `, ${result.failed} FAILED; first: ${result.firstError}` : ''}`);
    log(`  event → sink (from when each request was due): ${dist(latency)}`);
    log(`  event → sink (from when each request was sent): ${dist(pacedReport.fromSent)}`);
    log(`  ingest ack (from due): ${dist(pacedReport.ack)}`);
    if (latencies.length < count) log(`  ${fmt(count - latencies.length)} events NOT delivered to the sink (waited until no delivery arrived for ${STALL_MS / 1000} s)`);
    logLoad(load);
    await engine.settle(60_000);
  }

  // Burst phase: deliveries/s at full speed.
  let burstReport: null | {
    events: number; delivered: number; seconds: number; perS: number; ingestSeconds: number; ingestPerS: number;
    processedAfterS: number | null; firstDeliveryMs: number; steadyPerS: number; perSecond: number[]; load: Load; complete: boolean; retriedAttempts: number;
  } = null;
  if (runs('burst') && options.deliveryBurst > 0) {
    const count = options.deliveryBurst;
    const phase = new PhaseEvents('b', count);
    phases.set(phase.tag, phase);
    expected += count;
    log(`burst: ${fmt(count)} events through /v1/batch (${PER_BATCH} per request, ${BURST_CONNECTIONS} connections) as fast as acked`);
    const client = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: BURST_CONNECTIONS });
    await engine.stats();
    const samples = sampler(engine.pid, 250);
    const t0 = performance.now();
    let processedAt: number | null = null;
    const result = await profiled('burst', async () => {
      // Watch the processor's backlog from the read-only connection: when did it catch up?
      let watching = true;
      const watcher = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        while (watching) {
          if (pendingEvents(db!) === 0 && sink.distinct > expected - count) {
            processedAt = performance.now();
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      const timestamp = new Date().toISOString();
      const sent = await sendAll(client, batches(count, PER_BATCH, (i) => {
        phase.sent[i] = performance.now();
        return {
          type: 'track', event: ENTRY_EVENT, userId: phase.userId(i), messageId: phase.messageId(i), timestamp,
          properties: { order_id: `ord-b-${i}`, revenue: 42.5, currency: 'EUR', items: 3 },
        };
      }), BURST_CONNECTIONS, RETRIES);
      const complete = await sink.waitForDistinct(expected, { stallMs: STALL_MS, timeoutMs: 300_000 });
      watching = false;
      await watcher;
      return { sent, complete };
    });
    const stats = await engine.stats();
    const snapshots = samples.stop();
    await client.close();
    if (result.sent.failedRequests > 0) log(`  ${result.sent.failedRequests} ingest requests FAILED after ${RETRIES} retries; first: ${result.sent.firstError}`);
    const arrivals = Array.from(phase.arrived).filter(Number.isFinite).sort((a, b) => a - b);
    const last = arrivals.at(-1) ?? t0;
    const seconds = (last - t0) / 1000;
    const at = (q: number) => arrivals[Math.min(arrivals.length - 1, Math.floor(q * arrivals.length))]!;
    const steadyPerS = arrivals.length >= 10 ? (0.8 * arrivals.length) / ((at(0.9) - at(0.1)) / 1000) : NaN;
    const perSecond = histogram(arrivals, t0, 1000);
    // The load from the first request to the last delivery (not the wait for stragglers after it).
    const load = loadBetween(snapshots[0]!, snapshots.find((x) => x.at >= last) ?? snapshots.at(-1)!, stats);
    burstReport = {
      events: count, delivered: arrivals.length, seconds, perS: arrivals.length / seconds,
      ingestSeconds: result.sent.seconds, ingestPerS: result.sent.ackedEvents / result.sent.seconds,
      processedAfterS: processedAt === null ? null : ((processedAt as number) - t0) / 1000,
      firstDeliveryMs: (arrivals[0] ?? NaN) - t0, steadyPerS, perSecond, load, complete: result.complete, retriedAttempts: result.sent.retriedAttempts,
    };
    log(`  ${fmt(arrivals.length)} of ${fmt(count)} delivered in ${fmt(seconds, 2)} s (first request → last payload at the sink): ${fmt(burstReport.perS)} deliveries/s`);
    log(`  ingest acked all in ${fmt(result.sent.seconds, 2)} s (${fmt(burstReport.ingestPerS)} events/s); processor caught up after`
      + ` ${burstReport.processedAfterS === null ? 'n/a' : `${fmt(burstReport.processedAfterS, 2)} s`}; first delivery after ${fmt(burstReport.firstDeliveryMs)} ms;`
      + ` middle 80% of deliveries at ${fmt(steadyPerS)}/s; the engine held ${sink.maxConnections} connections to the sink at most`);
    log(`  deliveries per second: ${perSecond.map((n) => fmt(n)).join(' ')}`);
    if (result.sent.retriedAttempts > 0) log(`  WARNING: ${result.sent.retriedAttempts} ingest attempts failed and were retried; first error: ${result.sent.firstError}`);
    logLoad(load);
  }
  await pacedClient.close();

  // Verification: the sink and the engine's own records.
  const settled = await engine.settle(120_000);
  const perEvent = { missing: 0, once: 0, more: 0 };
  for (const phase of phases.values()) {
    for (let i = 0; i < phase.count; i++) {
      const n = phase.deliveries[i]!;
      if (n === 0) perEvent.missing++;
      else if (n === 1) perEvent.once++;
      else perEvent.more++;
    }
  }
  const engineKeys = new Set<string>();
  let engineListed = 0;
  const stageSamples = { toRecorded: [] as number[], queued: [] as number[], sending: [] as number[] };
  const pacedIndex = new Map<string, number>();
  if (pacedPhase) for (let i = 0; i < pacedPhase.count; i++) pacedIndex.set(pacedPhase.messageId(i), i);
  const listStarted = performance.now();
  type Listed = { idempotencyKey: string; createdAt: string; firstAttemptAt: string | null; deliveredAt: string | null; payload: { properties?: { journey_context?: Record<string, { messageId?: string }> } } };
  for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
    const page: { deliveries: Listed[]; nextCursor: string | null } = await admin.call('GET', `/api/v1/deliveries?status=delivered&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const d of page.deliveries) {
      engineListed++;
      engineKeys.add(d.idempotencyKey);
      const i = pacedIndex.get(d.payload.properties?.journey_context?.[ENTRY_EVENT]?.messageId ?? '');
      if (i !== undefined && pacedPhase && Number.isFinite(pacedPhase.arrived[i]!)) {
        // Engine times are ms since the epoch (ms resolution), the bench's are performance.now(): same machine clock.
        const created = Date.parse(d.createdAt);
        const attempted = d.firstAttemptAt ? Date.parse(d.firstAttemptAt) : NaN;
        stageSamples.toRecorded.push(created - epochOf(pacedPhase.due[i]!));
        stageSamples.queued.push(attempted - created);
        stageSamples.sending.push(epochOf(pacedPhase.arrived[i]!) - attempted);
      }
    }
    cursor = page.nextCursor;
  }
  const countStatus = async (status: string) => {
    let n = 0;
    for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
      const page: { deliveries: unknown[]; nextCursor: string | null } = await admin.call('GET', `/api/v1/deliveries?status=${status}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      n += page.deliveries.length;
      cursor = page.nextCursor;
    }
    return n;
  };
  const otherStatuses = { pending: await countStatus('pending'), retrying: await countStatus('retrying'), failed: await countStatus('failed') };
  const listSeconds = (performance.now() - listStarted) / 1000;
  let keysMatch = engineKeys.size === sink.distinct;
  for (const key of keyOfEvent.keys()) if (!engineKeys.has(key)) keysMatch = false;
  const verified = perEvent.missing === 0 && perEvent.more === 0 && sink.duplicates === 0 && unmatchedArrivals === 0 && sink.missingKey === 0
    && engineListed === expected && keysMatch && otherStatuses.pending + otherStatuses.retrying + otherStatuses.failed === 0;
  log(`verify: ${fmt(expected)} events; the sink got ${fmt(sink.distinct)} distinct idempotency keys in ${fmt(sink.requests)} requests`
    + ` (${fmt(sink.duplicates)} repeated keys${sink.repeatedKeys.length > 0 ? `, e.g. ${sink.repeatedKeys.slice(0, 3).join(', ')}` : ''}, ${sink.missingKey} without a key,`
    + ` ${unmatchedArrivals} not matching an event${firstUnmatched ? `: ${firstUnmatched}` : ''})`);
  log(`verify: per event: ${fmt(perEvent.once)} delivered once, ${fmt(perEvent.more)} more than once, ${fmt(perEvent.missing)} never`);
  log(`verify: the engine lists ${fmt(engineListed)} delivered (${fmt(engineKeys.size)} keys, ${keysMatch ? 'the same as the sink\'s' : 'NOT the sink\'s'}),`
    + ` ${otherStatuses.pending} pending, ${otherStatuses.retrying} retrying, ${otherStatuses.failed} failed (listed in ${fmt(listSeconds, 1)} s)`
    + `${settled.complete ? '' : '; the engine did NOT settle'} -> ${verified ? 'OK' : 'MISMATCH'}`);
  if (otherStatuses.pending > 0) {
    log(`  ${fmt(otherStatuses.pending)} deliveries are still pending: recorded, but not sent while the sink waited ${STALL_MS / 1000} s without an arrival`
      + ' (a delivery not handed to the dispatcher in memory is sent only when its hand-off lease ends)');
  }
  if (pacedReport && stageSamples.toRecorded.length > 0) {
    pacedReport.stages = { toRecorded: distribution(stageSamples.toRecorded), queued: distribution(stageSamples.queued), sending: distribution(stageSamples.sending) };
    log(`paced latency by stage (engine times have 1 ms resolution):`);
    log(`  due → delivery recorded (ingest, processing, instance write): ${dist(pacedReport.stages.toRecorded)}`);
    log(`  recorded → first attempt (dispatcher queue): ${dist(pacedReport.stages.queued)}`);
    log(`  first attempt → at the sink (mapping, HTTP): ${dist(pacedReport.stages.sending)}`);
  }

  const verdict = (ok: boolean | null) => (ok === null ? 'SKIPPED' : ok ? 'PASS' : 'FAIL');
  const pacedOk = pacedReport !== null && pacedReport.delivered === pacedReport.events && pacedReport.failedRequests === 0
    && pacedReport.achievedPerS >= 0.98 * pacedReport.offered;
  const pass = {
    p50: pacedReport ? pacedOk && pacedReport.latency.p50 <= TARGETS.p50Ms : null,
    p99: pacedReport ? pacedOk && pacedReport.latency.p99 <= TARGETS.p99Ms : null,
    deliveries_per_s: burstReport ? burstReport.delivered === burstReport.events && burstReport.perS >= TARGETS.deliveriesPerS : null,
    verified,
  };
  const rate = fmt(options.deliveryRatePerSecond);
  log(`target p50 <= ${TARGETS.p50Ms} ms event → sink at ${rate} events/s: ${verdict(pass.p50)}${pacedReport ? ` (${fmt(pacedReport.latency.p50, 2)} ms)` : ''}`);
  log(`target p99 <= ${TARGETS.p99Ms} ms event → sink at ${rate} events/s: ${verdict(pass.p99)}${pacedReport ? ` (${fmt(pacedReport.latency.p99, 2)} ms)` : ''}`);
  log(`target >= ${fmt(TARGETS.deliveriesPerS)} deliveries/s to a local sink: ${verdict(pass.deliveries_per_s)}${burstReport ? ` (${fmt(burstReport.perS)}/s)` : ''}`);
  log(`correctness (each event delivered exactly once; engine records match): ${verdict(pass.verified)}`);

  const loadJson = (l: Load | undefined) => (l ? { engine_cpu_pct: r2(100 * l.engineCores), http_thread_cpu_pct: l.httpThreadCores === null ? null : r2(100 * l.httpThreadCores), worker_thread_cpu_pct: l.workerThreadCores === null ? null : r2(100 * l.workerThreadCores), generator_cpu_pct: r2(100 * l.generatorCores), iowait_cores: l.iowaitCores === null ? null : r2(l.iowaitCores), other_load_cores: l.otherCores === null ? null : r2(l.otherCores) } : null);
  console.log(`BENCH ${JSON.stringify({
    name: 'delivery',
    paced_offered_per_s: options.deliveryRatePerSecond, paced_events: pacedReport?.events ?? 0,
    paced_rate: pacedReport ? Math.round(pacedReport.achievedPerS) : null,
    latency_p50_ms: pacedReport ? r2(pacedReport.latency.p50) : null, latency_p90_ms: pacedReport ? r2(pacedReport.latency.p90) : null,
    latency_p99_ms: pacedReport ? r2(pacedReport.latency.p99) : null, latency_max_ms: pacedReport ? r2(pacedReport.latency.max) : null,
    ack_p50_ms: pacedReport ? r2(pacedReport.ack.p50) : null, ack_p99_ms: pacedReport ? r2(pacedReport.ack.p99) : null,
    stage_p50_ms: pacedReport?.stages ? { recorded: r2(pacedReport.stages.toRecorded.p50), queued: r2(pacedReport.stages.queued.p50), sending: r2(pacedReport.stages.sending.p50) } : null,
    stage_p99_ms: pacedReport?.stages ? { recorded: r2(pacedReport.stages.toRecorded.p99), queued: r2(pacedReport.stages.queued.p99), sending: r2(pacedReport.stages.sending.p99) } : null,
    burst_events: burstReport?.events ?? 0, burst_delivered: burstReport?.delivered ?? 0,
    deliveries_per_s: burstReport ? Math.round(burstReport.perS) : null, burst_seconds: burstReport ? r2(burstReport.seconds) : null,
    burst_steady_deliveries_per_s: burstReport ? Math.round(burstReport.steadyPerS) : null,
    burst_ingest_events_per_s: burstReport ? Math.round(burstReport.ingestPerS) : null,
    burst_processed_after_s: burstReport?.processedAfterS === null || !burstReport ? null : r2(burstReport.processedAfterS),
    concurrency: options.deliveryConcurrency,
    load: { paced: loadJson(pacedReport?.load), burst: loadJson(burstReport?.load) },
    events: expected, sink_distinct_keys: sink.distinct, sink_duplicate_keys: sink.duplicates, engine_delivered: engineListed,
    engine_open_or_failed: otherStatuses, pass, cpu_calibration_ms: r2(calibrationMs),
    machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
  })}`);
} finally {
  db?.close();
  await stop().catch(() => {});
  await sink.close();
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
}
