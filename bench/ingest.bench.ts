/**
 * Ingest benchmark: a real engine (temp data directory on disk, synchronous=FULL, error logs) in a
 * child process, this process as the load generator, one core each. Phases: warm-up; (a) batches
 * of 100 ~1 KB events, closed loop; (b) single /v1/track calls, closed loop; (c) single calls
 * paced open-loop at a fixed rate. After each phase the event processor's backlog is drained and
 * timed. At the end the stored events are counted in the store and compared with the acks.
 * BENCH_STORE=mongodb puts the engine on a fresh MongoDB database instead (support/bench-store.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { benchOptions } from './bench-options.ts';
import { startEngineProcess, type EngineProcess } from './support/engine-handle.ts';
import { prepareStore, serverLoadLine } from './support/bench-store.ts';
import { openEngineReader, type StoredEvents, type StoreTarget } from './support/engine-reader.ts';
import { EventFactory } from './support/event-factory.ts';
import { IngestClient, type IngestRequest } from './support/ingest-client.ts';
import { runClosedLoop, runOpenLoop, type PhaseResult } from './support/load-phases.ts';
import { calibrateCpuMs, coresUsed, machineInfo, readCpuTimes } from './support/machine.ts';
import { describeIo, ioFigure, ioPerUnit, readProcIo, type IoPerUnit } from './support/proc-io.ts';

const TARGETS = { batchEventsPerS: 50_000, singleEventsPerS: 10_000, pacedP99Ms: 25 };
/** Above this, other processes took a noticeable share of the two cores from the engine or the generator. */
const OTHER_LOAD_WARNING_CORES = 0.15;

const options = benchOptions();
const machine = machineInfo();
const runId = randomUUID().slice(0, 8);
const factory = new EventFactory({ runId });
const sampleSize = Buffer.byteLength(new EventFactory({ runId: 'sample00' }).track(new Date().toISOString()));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-ingest-'));

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (n: number) => `${fmt(n, 2)} ms`;

calibrateCpuMs(); // once to warm up the JIT
const calibrationMs = calibrateCpuMs();
console.log(`ingest: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}; CPU calibration ${fmt(calibrationMs, 1)} ms (lower is faster)`);
const store = await prepareStore(options, 'ingest', runId);
console.log(`ingest: data directory ${dataDir}, store: ${store.description}; events of ${sampleSize} bytes, ${options.phaseSeconds} s per phase`);

const idleBefore = readCpuTimes();
await new Promise((resolve) => setTimeout(resolve, 1000));
const busyAtStart = coresUsed(idleBefore, readCpuTimes(), machine.cpus)?.busy ?? 0;
if (busyAtStart > OTHER_LOAD_WARNING_CORES) {
  console.log(`WARNING: ${fmt(busyAtStart, 2)} cores were busy before the start (other processes); figures will be lower than this machine can do`);
}
const engine = await startEngineProcess({ dataDir, config: store.engineConfig, nodeArgs: options.engineNodeArgs }).catch(async (error: unknown) => {
  await store.close();
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  throw error;
});
const totals = { acked: 0, duplicates: 0, failed: 0 };

interface PhaseReport {
  result: PhaseResult;
  engineCpuPercent: number;
  generatorCpuPercent: number;
  loopDelayP99Ms: number;
  /** Cores used by other processes on the machine during the phase (null off Linux): a disturbed phase is not a fair figure. */
  otherCores: number | null;
  /** Share of the phase the engine's event loop was busy (CPU or blocked in synchronous I/O), in percent. */
  engineLoopBusyPercent: number;
  processedDuringLoadPerS: number;
  drain: { backlog: number; seconds: number; eventsPerSecond: number; complete: boolean };
  /** The engine's read and write calls per acknowledged event, load and drain (null off Linux). */
  io: IoPerUnit | null;
}

const batchRequest = (): IngestRequest => ({ path: '/v1/batch', body: factory.batch(options.batchSize, new Date().toISOString()), events: options.batchSize });
const trackRequest = (): IngestRequest => ({ path: '/v1/track', body: factory.track(new Date().toISOString()), events: 1 });

async function phase(name: string, label: string, connections: number, run: (client: IngestClient) => Promise<PhaseResult>): Promise<PhaseReport> {
  const client = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections });
  const profileDir = options.engineCpuProfileDir;
  if (profileDir) {
    fs.mkdirSync(profileDir, { recursive: true });
    await engine.startProfile();
  }
  const before = await engine.stats();
  const ioBefore = readProcIo(engine.pid);
  const generatorBefore = process.cpuUsage();
  const machineBefore = readCpuTimes();
  const result = await run(client);
  const machineCores = coresUsed(machineBefore, readCpuTimes(), machine.cpus);
  const generatorCpu = process.cpuUsage(generatorBefore);
  const after = await engine.stats();
  if (profileDir) await engine.stopProfile(path.join(profileDir, `ingest-${name}.cpuprofile`));
  await client.close();
  totals.acked += result.ackedEvents;
  totals.duplicates += result.duplicates;
  totals.failed += result.failedRequests;
  const wallMs = result.seconds * 1000;
  const engineCpuPercent = (100 * (after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs)) / wallMs;
  const generatorCpuPercent = (100 * (generatorCpu.user + generatorCpu.system)) / 1000 / wallMs;
  const processedDuringLoad = result.ackedEvents - (after.backlog - before.backlog);
  if (profileDir) await engine.startProfile();
  const drained = await engine.drain(options.drainTimeoutSeconds * 1000);
  if (profileDir) await engine.stopProfile(path.join(profileDir, `ingest-${name}-drain.cpuprofile`));
  const drainedEvents = drained.backlogBefore - drained.backlogAfter;
  // From before the load to the end of the drain: what storing and then processing each event cost.
  const io = ioPerUnit(ioBefore, readProcIo(engine.pid), result.ackedEvents);
  const report: PhaseReport = {
    result, engineCpuPercent, generatorCpuPercent, loopDelayP99Ms: after.loopDelayP99Ms,
    engineLoopBusyPercent: 100 * after.loopUtilization,
    otherCores: machineCores ? Math.max(0, machineCores.busy - (engineCpuPercent + generatorCpuPercent) / 100) : null,
    processedDuringLoadPerS: processedDuringLoad / result.seconds,
    drain: { backlog: drained.backlogBefore, seconds: drained.ms / 1000, eventsPerSecond: drainedEvents / (drained.ms / 1000), complete: drained.complete },
    io,
  };
  const l = result.latency;
  console.log(`${label}: ${fmt(result.eventsPerSecond)} events/s (${fmt(result.ackedEvents)} events in ${fmt(result.requests)} requests, ${fmt(result.seconds, 1)} s)`);
  console.log(`  ack latency: p50 ${ms(l.p50Ms)}, p90 ${ms(l.p90Ms)}, p99 ${ms(l.p99Ms)}, max ${ms(l.maxMs)}`);
  console.log(`  engine: CPU ${fmt(engineCpuPercent)}% of a core, event loop busy ${fmt(report.engineLoopBusyPercent)}%`
    + `, event-loop delay p99 ${ms(after.loopDelayP99Ms)} (max ${ms(after.loopDelayMaxMs)}), RSS ${fmt(after.rssMb)} MB`);
  console.log(`  generator: CPU ${fmt(generatorCpuPercent)}% of a core` + (machineCores
    ? `; machine: ${fmt(machineCores.busy, 2)} of ${machine.cpus} cores busy, ${fmt(machineCores.iowait, 2)} in iowait, ${fmt(machineCores.steal, 2)} stolen`
      + `; other processes ${fmt(report.otherCores ?? 0, 2)} cores`
    : ''));
  if ((report.otherCores ?? 0) > OTHER_LOAD_WARNING_CORES) {
    console.log(`  WARNING: other processes used ${fmt(report.otherCores!, 2)} cores during this phase; its figures are disturbed`);
  }
  console.log(`  processor: ${fmt(report.processedDuringLoadPerS)} events/s during load; backlog of ${fmt(drained.backlogBefore)} drained in ${fmt(report.drain.seconds, 2)} s`
    + (drained.complete ? '' : ` (timed out, ${fmt(drained.backlogAfter)} left)`));
  console.log(`  ${describeIo(io, 'event')}, stored and processed`);
  if (profileDir) console.log(`  CPU profiles: ${path.join(profileDir, `ingest-${name}.cpuprofile`)} (load), ingest-${name}-drain.cpuprofile (drain)`);
  if (result.failedRequests > 0) console.log(`  ${fmt(result.failedRequests)} FAILED requests; first: ${result.firstError}`);
  return report;
}

async function warmUp(): Promise<void> {
  const half = (options.warmupSeconds * 1000) / 2;
  if (half <= 0) return;
  for (const [connections, next] of [[options.batchConnections, batchRequest], [options.singleConnections, trackRequest]] as const) {
    const client = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections });
    const result = await runClosedLoop({ client, concurrency: connections, durationMs: half, next });
    await client.close();
    totals.acked += result.ackedEvents;
    totals.duplicates += result.duplicates;
    totals.failed += result.failedRequests;
  }
  await engine.drain(options.drainTimeoutSeconds * 1000);
  console.log(`warm-up: ${fmt(totals.acked)} events in ${fmt(options.warmupSeconds, 1)} s`);
}

/** The stored events, read from the store once the engine has stopped. */
async function verify(target: StoreTarget): Promise<StoredEvents> {
  const reader = await openEngineReader(target);
  try {
    return await reader.storedEvents('Order Completed');
  } finally {
    await reader.close();
  }
}

let stopped = false;
async function stop(e: EngineProcess): Promise<void> {
  if (stopped) return;
  stopped = true;
  await e.stop();
}

const PHASE_NAMES = ['batch', 'single', 'paced'] as const;
type PhaseName = typeof PHASE_NAMES[number];
const unknownPhases = (options.phases ?? []).filter((p) => !(PHASE_NAMES as readonly string[]).includes(p));
if (unknownPhases.length > 0) throw new Error(`unknown phase(s) ${unknownPhases.join(', ')}; ingest has ${PHASE_NAMES.join(', ')}`);
const selectedPhases = PHASE_NAMES.filter((p) => options.phases === null || options.phases.includes(p));

function runPhase(name: PhaseName): Promise<PhaseReport> {
  const durationMs = options.phaseSeconds * 1000;
  switch (name) {
    case 'batch':
      return phase(name, `batch (${options.batchSize} events/request, ${options.batchConnections} connections)`, options.batchConnections,
        (client) => runClosedLoop({ client, concurrency: options.batchConnections, durationMs, next: batchRequest }));
    case 'single':
      return phase(name, `single /v1/track (${options.singleConnections} connections)`, options.singleConnections,
        (client) => runClosedLoop({ client, concurrency: options.singleConnections, durationMs, next: trackRequest }));
    case 'paced':
      return phase(name, `paced /v1/track (${fmt(options.pacedRatePerSecond)} events/s offered, open loop)`, options.singleConnections,
        (client) => runOpenLoop({ client, requestsPerSecond: options.pacedRatePerSecond, durationMs, next: trackRequest }));
    default: {
      const unknown: never = name;
      throw new Error(`unknown phase ${String(unknown)}`);
    }
  }
}

try {
  await warmUp();
  const reports: Partial<Record<PhaseName, PhaseReport>> = {};
  for (const name of selectedPhases) reports[name] = await runPhase(name);
  const { batch, single, paced } = reports;

  await stop(engine);
  const check = await verify(store.target(engine.dbFile));
  const verified = check.stored === totals.acked && check.messageIds === totals.acked && totals.duplicates === 0;
  const fullyProcessed = check.unprocessed === 0;
  console.log(`verify: ${fmt(totals.acked)} events acknowledged, ${fmt(check.stored)} rows in events, ${fmt(check.messageIds)} messageIds, `
    + `${totals.duplicates} duplicates, ${totals.failed} failed requests -> ${verified ? 'OK' : 'MISMATCH'}`);
  console.log(`verify: ${check.progress} (${fullyProcessed ? 'all processed' : 'NOT all processed'}), `
    + `${fmt(check.profiles)} profiles, catalog entry ${check.catalog ? 'present' : 'MISSING'}`);

  // The largest backlog (normally the batch phase's) gives the most reliable processing rate.
  const drains = Object.values(reports).map((r) => r.drain).filter((d) => d.backlog > 0);
  const processing = drains.length > 0 ? drains.reduce((a, b) => (b.backlog > a.backlog ? b : a)) : null;
  if (processing) {
    console.log(`processing: ${fmt(processing.eventsPerSecond)} events/s draining a backlog of ${fmt(processing.backlog)} events`
      + ` (${fmt(processing.seconds, 2)} s${processing.complete ? '' : ', timed out'})`);
  }

  const pass = {
    batch: batch ? batch.result.eventsPerSecond >= TARGETS.batchEventsPerS : null,
    single: single ? single.result.eventsPerSecond >= TARGETS.singleEventsPerS : null,
    // Open loop: the p99 only counts if the engine also kept up with the offered rate.
    paced: paced ? paced.result.eventsPerSecond >= 0.98 * options.pacedRatePerSecond && paced.result.failedRequests === 0
      && paced.result.latency.p99Ms <= TARGETS.pacedP99Ms : null,
    // Storage correctness only: a processor still behind at the end (drain timed out) is reported above, not failed here.
    verified,
  };
  const verdict = (ok: boolean | null) => (ok === null ? 'SKIPPED' : ok ? 'PASS' : 'FAIL');
  console.log(`target batch >= ${fmt(TARGETS.batchEventsPerS)} events/s: ${verdict(pass.batch)}${batch ? ` (${fmt(batch.result.eventsPerSecond)})` : ''}`);
  console.log(`target single >= ${fmt(TARGETS.singleEventsPerS)} events/s: ${verdict(pass.single)}${single ? ` (${fmt(single.result.eventsPerSecond)})` : ''}`);
  console.log(`target p99 <= ${TARGETS.pacedP99Ms} ms at ${fmt(options.pacedRatePerSecond)} events/s: ${verdict(pass.paced)}`
    + (paced ? ` (p99 ${ms(paced.result.latency.p99Ms)}, achieved ${fmt(paced.result.eventsPerSecond)} events/s)` : ''));
  console.log(`correctness (stored == acknowledged): ${verdict(pass.verified)}`);

  const serverLine = serverLoadLine(store);
  if (serverLine) console.log(`ingest: ${serverLine}`);

  const r2 = (n: number) => Math.round(n * 100) / 100;
  const perPhase = (f: (r: PhaseReport) => number) => Object.fromEntries(Object.entries(reports).map(([k, r]) => [k, r2(f(r))]));
  console.log(`BENCH ${JSON.stringify({
    name: 'ingest', store: store.kind,
    batch_events_per_s: batch ? Math.round(batch.result.eventsPerSecond) : null,
    batch_p50_ms: batch ? r2(batch.result.latency.p50Ms) : null, batch_p99_ms: batch ? r2(batch.result.latency.p99Ms) : null,
    single_events_per_s: single ? Math.round(single.result.eventsPerSecond) : null,
    single_p50_ms: single ? r2(single.result.latency.p50Ms) : null, single_p99_ms: single ? r2(single.result.latency.p99Ms) : null,
    paced5k_offered: options.pacedRatePerSecond, paced5k_rate: paced ? Math.round(paced.result.eventsPerSecond) : null,
    paced5k_p50_ms: paced ? r2(paced.result.latency.p50Ms) : null, paced5k_p99_ms: paced ? r2(paced.result.latency.p99Ms) : null,
    paced5k_max_ms: paced ? r2(paced.result.latency.maxMs) : null,
    processing_events_per_s: processing ? Math.round(processing.eventsPerSecond) : null, processing_backlog: processing?.backlog ?? 0,
    engine_cpu_pct: perPhase((r) => r.engineCpuPercent),
    engine_loop_busy_pct: perPhase((r) => r.engineLoopBusyPercent),
    engine_loop_delay_p99_ms: perPhase((r) => r.loopDelayP99Ms),
    other_load_cores: perPhase((r) => r.otherCores ?? NaN),
    io_per_event: Object.fromEntries(Object.entries(reports).map(([k, r]) => [k, ioFigure(r.io)])),
    acked_events: totals.acked, stored_events: check.stored, failed_requests: totals.failed,
    all_processed: fullyProcessed, pass, phase_seconds: options.phaseSeconds, event_bytes: sampleSize, cpu_calibration_ms: r2(calibrationMs), sqlite_mmap_mb: options.sqliteMmapMb,
    machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
  })}`);
} finally {
  await stop(engine).catch(() => {});
  await store.close();
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
}
