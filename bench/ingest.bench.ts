/**
 * Ingest benchmark: a real engine (temp data directory on disk, synchronous=FULL, error logs) in a
 * child process, this process as the load generator, one core each. Phases: warm-up; (a) batches
 * of 100 ~1 KB events, closed loop; (b) single /v1/track calls, closed loop; (c) single calls
 * paced open-loop at a fixed rate. After each phase the event processor's backlog is drained and
 * timed. At the end the stored rows are counted in the SQLite file and compared with the acks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { benchOptions } from './bench-options.ts';
import { startEngineProcess, type EngineProcess } from './support/engine-handle.ts';
import { EventFactory } from './support/event-factory.ts';
import { IngestClient, type IngestRequest } from './support/ingest-client.ts';
import { runClosedLoop, runOpenLoop, type PhaseResult } from './support/load-phases.ts';
import { machineInfo } from './support/machine.ts';

const TARGETS = { batchEventsPerS: 50_000, singleEventsPerS: 10_000, pacedP99Ms: 25 };

const options = benchOptions();
const machine = machineInfo();
const factory = new EventFactory({ runId: randomUUID().slice(0, 8) });
const sampleSize = Buffer.byteLength(new EventFactory({ runId: 'sample00' }).track(new Date().toISOString()));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-ingest-'));

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (n: number) => `${fmt(n, 2)} ms`;

console.log(`ingest: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}`);
console.log(`ingest: data directory ${dataDir} (synchronous=FULL), events of ${sampleSize} bytes, ${options.phaseSeconds} s per phase`);

const engine = await startEngineProcess({ dataDir, cpuProfileDir: options.engineCpuProfileDir });
const totals = { acked: 0, duplicates: 0, failed: 0 };

interface PhaseReport {
  result: PhaseResult;
  engineCpuPercent: number;
  generatorCpuPercent: number;
  loopDelayP99Ms: number;
  processedDuringLoadPerS: number;
  drain: { backlog: number; seconds: number; eventsPerSecond: number; complete: boolean };
}

const batchRequest = (): IngestRequest => ({ path: '/v1/batch', body: factory.batch(options.batchSize, new Date().toISOString()), events: options.batchSize });
const trackRequest = (): IngestRequest => ({ path: '/v1/track', body: factory.track(new Date().toISOString()), events: 1 });

async function phase(label: string, connections: number, run: (client: IngestClient) => Promise<PhaseResult>): Promise<PhaseReport> {
  const client = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections });
  const before = await engine.stats();
  const generatorBefore = process.cpuUsage();
  const result = await run(client);
  const generatorCpu = process.cpuUsage(generatorBefore);
  const after = await engine.stats();
  await client.close();
  totals.acked += result.ackedEvents;
  totals.duplicates += result.duplicates;
  totals.failed += result.failedRequests;
  const wallMs = result.seconds * 1000;
  const engineCpuPercent = (100 * (after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs)) / wallMs;
  const generatorCpuPercent = (100 * (generatorCpu.user + generatorCpu.system)) / 1000 / wallMs;
  const processedDuringLoad = result.ackedEvents - (after.backlog - before.backlog);
  const drained = await engine.drain(options.drainTimeoutSeconds * 1000);
  const drainedEvents = drained.backlogBefore - drained.backlogAfter;
  const report: PhaseReport = {
    result, engineCpuPercent, generatorCpuPercent, loopDelayP99Ms: after.loopDelayP99Ms,
    processedDuringLoadPerS: processedDuringLoad / result.seconds,
    drain: { backlog: drained.backlogBefore, seconds: drained.ms / 1000, eventsPerSecond: drainedEvents / (drained.ms / 1000), complete: drained.complete },
  };
  const l = result.latency;
  console.log(`${label}: ${fmt(result.eventsPerSecond)} events/s (${fmt(result.ackedEvents)} events in ${fmt(result.requests)} requests, ${fmt(result.seconds, 1)} s)`);
  console.log(`  ack latency: p50 ${ms(l.p50Ms)}, p90 ${ms(l.p90Ms)}, p99 ${ms(l.p99Ms)}, max ${ms(l.maxMs)}`);
  console.log(`  engine: ${fmt(engineCpuPercent)}% of a core (generator ${fmt(generatorCpuPercent)}%), event-loop delay p99 ${ms(after.loopDelayP99Ms)}`
    + ` (max ${ms(after.loopDelayMaxMs)}), RSS ${fmt(after.rssMb)} MB`);
  console.log(`  processor: ${fmt(report.processedDuringLoadPerS)} events/s during load; backlog of ${fmt(drained.backlogBefore)} drained in ${fmt(report.drain.seconds, 2)} s`
    + (drained.complete ? '' : ` (timed out, ${fmt(drained.backlogAfter)} left)`));
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

function verify(dbFile: string): { stored: number; messageIds: number; processedUpTo: number; maxSeq: number; profiles: number; catalog: boolean } {
  const db = new Database(dbFile, { readonly: true });
  try {
    const one = (sql: string) => Number((db.prepare(sql).get() as { n: number | string | null }).n ?? 0);
    return {
      stored: one('SELECT count(*) AS n FROM events'),
      messageIds: one('SELECT count(*) AS n FROM message_ids'),
      maxSeq: one('SELECT max(seq) AS n FROM events'),
      processedUpTo: one(`SELECT value AS n FROM meta WHERE key = 'events.processed_seq'`),
      profiles: one('SELECT count(*) AS n FROM profiles WHERE merged_into IS NULL'),
      catalog: one(`SELECT count(*) AS n FROM catalog WHERE name = 'Order Completed'`) === 1,
    };
  } finally {
    db.close();
  }
}

let stopped = false;
async function stop(e: EngineProcess): Promise<void> {
  if (stopped) return;
  stopped = true;
  await e.stop();
}

try {
  const durationMs = options.phaseSeconds * 1000;
  await warmUp();
  const batch = await phase(`batch (${options.batchSize} events/request, ${options.batchConnections} connections)`, options.batchConnections,
    (client) => runClosedLoop({ client, concurrency: options.batchConnections, durationMs, next: batchRequest }));
  const single = await phase(`single /v1/track (${options.singleConnections} connections)`, options.singleConnections,
    (client) => runClosedLoop({ client, concurrency: options.singleConnections, durationMs, next: trackRequest }));
  const paced = await phase(`paced /v1/track (${fmt(options.pacedRatePerSecond)} events/s offered, open loop)`, options.singleConnections,
    (client) => runOpenLoop({ client, requestsPerSecond: options.pacedRatePerSecond, durationMs, next: trackRequest }));

  await stop(engine);
  const check = verify(engine.dbFile);
  const verified = check.stored === totals.acked && check.messageIds === totals.acked && totals.duplicates === 0;
  const fullyProcessed = check.processedUpTo === check.maxSeq;
  console.log(`verify: ${fmt(totals.acked)} events acknowledged, ${fmt(check.stored)} rows in events, ${fmt(check.messageIds)} messageIds, `
    + `${totals.duplicates} duplicates, ${totals.failed} failed requests -> ${verified ? 'OK' : 'MISMATCH'}`);
  console.log(`verify: processor cursor at seq ${fmt(check.processedUpTo)} of ${fmt(check.maxSeq)} (${fullyProcessed ? 'all processed' : 'NOT all processed'}), `
    + `${fmt(check.profiles)} profiles, catalog entry ${check.catalog ? 'present' : 'MISSING'}`);

  // The largest backlog (after the batch phase) gives the most reliable processing rate.
  const processing = [batch, single, paced].reduce((a, b) => (b.drain.backlog > a.drain.backlog ? b : a)).drain;
  console.log(`processing: ${fmt(processing.eventsPerSecond)} events/s draining a backlog of ${fmt(processing.backlog)} events`
    + ` (${fmt(processing.seconds, 2)} s${processing.complete ? '' : ', timed out'})`);

  const pacedKeptUp = paced.result.eventsPerSecond >= 0.98 * options.pacedRatePerSecond && paced.result.failedRequests === 0;
  const pass = {
    batch: batch.result.eventsPerSecond >= TARGETS.batchEventsPerS,
    single: single.result.eventsPerSecond >= TARGETS.singleEventsPerS,
    paced: pacedKeptUp && paced.result.latency.p99Ms <= TARGETS.pacedP99Ms,
    verified,
  };
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  console.log(`target batch >= ${fmt(TARGETS.batchEventsPerS)} events/s: ${verdict(pass.batch)} (${fmt(batch.result.eventsPerSecond)})`);
  console.log(`target single >= ${fmt(TARGETS.singleEventsPerS)} events/s: ${verdict(pass.single)} (${fmt(single.result.eventsPerSecond)})`);
  console.log(`target p99 <= ${TARGETS.pacedP99Ms} ms at ${fmt(options.pacedRatePerSecond)} events/s: ${verdict(pass.paced)} `
    + `(p99 ${ms(paced.result.latency.p99Ms)}, achieved ${fmt(paced.result.eventsPerSecond)} events/s)`);
  console.log(`correctness (stored == acknowledged): ${verdict(pass.verified)}`);

  const r2 = (n: number) => Math.round(n * 100) / 100;
  console.log(`BENCH ${JSON.stringify({
    name: 'ingest',
    batch_events_per_s: Math.round(batch.result.eventsPerSecond), batch_p50_ms: r2(batch.result.latency.p50Ms), batch_p99_ms: r2(batch.result.latency.p99Ms),
    single_events_per_s: Math.round(single.result.eventsPerSecond), single_p50_ms: r2(single.result.latency.p50Ms), single_p99_ms: r2(single.result.latency.p99Ms),
    paced5k_offered: options.pacedRatePerSecond, paced5k_rate: Math.round(paced.result.eventsPerSecond),
    paced5k_p50_ms: r2(paced.result.latency.p50Ms), paced5k_p99_ms: r2(paced.result.latency.p99Ms), paced5k_max_ms: r2(paced.result.latency.maxMs),
    processing_events_per_s: Math.round(processing.eventsPerSecond), processing_backlog: processing.backlog,
    engine_cpu_pct: { batch: Math.round(batch.engineCpuPercent), single: Math.round(single.engineCpuPercent), paced: Math.round(paced.engineCpuPercent) },
    engine_loop_delay_p99_ms: { batch: r2(batch.loopDelayP99Ms), single: r2(single.loopDelayP99Ms), paced: r2(paced.loopDelayP99Ms) },
    acked_events: totals.acked, stored_events: check.stored, failed_requests: totals.failed,
    pass, phase_seconds: options.phaseSeconds, event_bytes: sampleSize,
    machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
  })}`);
} finally {
  await stop(engine).catch(() => {});
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
}
