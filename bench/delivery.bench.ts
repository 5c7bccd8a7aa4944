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
 * Phases (BENCH_PHASES=paced,burst,dispatch):
 * - warm-up: BENCH_WARMUP_SECONDS (default 15) of paced events, not measured: past the JIT's tier-up wave;
 * - paced: /v1/track at BENCH_DELIVERY_RATE events/s (default 1,000) for BENCH_SECONDS, open loop.
 *   Latency = sink received the payload − the moment the ingest request was due (not when it was
 *   sent), so a stall anywhere counts against the engine (no coordinated omission). An event is
 *   matched to its arrival by the entry event's messageId in the delivered body
 *   (data = properties.journey_context → body.BenchOrder.messageId) (support/delivery-paced.ts);
 * - burst: BENCH_DELIVERY_BURST entry events (default 50,000) through /v1/batch as fast as the
 *   engine acks them; deliveries/s = delivered / (first request sent → last payload received)
 *   (support/delivery-burst.ts): end to end, so bounded by event processing;
 * - dispatch: the delivery system alone: BENCH_DELIVERY_DISPATCH deliveries (default 20,000)
 *   recorded failed against a disabled destination, then re-driven once it is enabled, one event
 *   per call and batched (support/delivery-dispatch.ts). The deliveries/s target is judged on it.
 * Verified at the end: each event reached the sink exactly once (distinct idempotency keys, one
 * per event; repeats reported), and GET /api/v1/deliveries?status=delivered lists the same keys
 * (support/delivery-verify.ts).
 * BENCH_STORE=mongodb puts the engine on a fresh MongoDB database instead (support/bench-store.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { benchOptions } from './bench-options.ts';
import { startEngineProcess } from './support/engine-handle.ts';
import { IngestClient } from './support/ingest-client.ts';
import { AdminClient } from './support/admin-client.ts';
import { openEngineReader, type EngineReader } from './support/engine-reader.ts';
import { prepareStore, serverLoadLine } from './support/bench-store.ts';
import { startDeliverySink } from './support/delivery-sink.ts';
import { calibrateCpuMs, coresUsed, machineInfo, readCpuTimes } from './support/machine.ts';
import { ArrivalLedger, ENTRY_EVENT, fmt, log, OTHER_LOAD_WARNING_CORES, r2, type DeliveryBench, type PhaseEvents } from './support/delivery-common.ts';
import { loadJson } from './support/delivery-load.ts';
import { PACED_CONNECTIONS, runPaced, warmUp, type PacedReport } from './support/delivery-paced.ts';
import { runBurst, type BurstReport } from './support/delivery-burst.ts';
import { dispatchJson, runDispatch, type DispatchReport } from './support/delivery-dispatch.ts';
import { verifyDeliveries } from './support/delivery-verify.ts';

const TARGETS = { p50Ms: 5, p99Ms: 50, deliveriesPerS: 5_000 };

const options = benchOptions();
const machine = machineInfo();
const runId = randomUUID().slice(0, 8);

const PHASE_NAMES = ['paced', 'burst', 'dispatch'] as const;
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

const ledger = new ArrivalLedger(runId);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-delivery-'));
const sink = await startDeliverySink();
sink.onArrival = ledger.onArrival;
const store = await prepareStore(options, 'delivery', runId);
const engine = await startEngineProcess({ dataDir, config: store.engineConfig, nodeArgs: options.engineNodeArgs }).catch(async (error: unknown) => {
  await Promise.all([store.close(), sink.close()]);
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  throw error;
});
let stopped = false;
const stop = async () => {
  if (stopped) return;
  stopped = true;
  await engine.stop();
};
let reader: EngineReader | null = null;

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
  reader = await openEngineReader(store.target(engine.dbFile));
  log(`data directory ${dataDir}; store: ${store.description}; sink ${sink.url}`);
  const bench: DeliveryBench = { runId, options, cpus: machine.cpus, engine, sink, admin, reader, ledger, profiled, expected: 0 };

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
  await warmUp(bench, pacedClient);

  let pacedReport: PacedReport | null = null;
  let pacedPhase: PhaseEvents | null = null;
  if (runs('paced')) ({ report: pacedReport, phase: pacedPhase } = await runPaced(bench, pacedClient));

  // Burst phase: deliveries/s at full speed, end to end.
  let burstReport: BurstReport | null = null;
  if (runs('burst') && options.deliveryBurst > 0) burstReport = await runBurst(bench);
  await pacedClient.close();

  // Dispatch phase: the delivery system's own throughput.
  let dispatchReport: DispatchReport | null = null;
  if (runs('dispatch') && options.deliveryDispatch > 0) {
    await engine.settle(60_000);
    dispatchReport = await runDispatch(bench);
  }

  // Verification: the sink and the engine's own records.
  const { verified, engineListed, otherStatuses } = await verifyDeliveries(bench, pacedReport, pacedPhase);

  const verdict = (ok: boolean | null) => (ok === null ? 'SKIPPED' : ok ? 'PASS' : 'FAIL');
  const pacedOk = pacedReport !== null && pacedReport.delivered === pacedReport.events && pacedReport.failedRequests === 0
    && pacedReport.achievedPerS >= 0.98 * pacedReport.offered;
  const best = dispatchReport?.best ?? null;
  const burstOk = burstReport ? burstReport.delivered === burstReport.events && burstReport.perS >= TARGETS.deliveriesPerS : null;
  const pass = {
    p50: pacedReport ? pacedOk && pacedReport.latency.p50 <= TARGETS.p50Ms : null,
    p99: pacedReport ? pacedOk && pacedReport.latency.p99 <= TARGETS.p99Ms : null,
    // On the better dispatch run (the delivery system alone); on the burst only when dispatch did not run.
    deliveries_per_s: dispatchReport ? best !== null && best.perS >= TARGETS.deliveriesPerS : burstOk,
    verified,
  };
  const rate = fmt(options.deliveryRatePerSecond);
  log(`target p50 <= ${TARGETS.p50Ms} ms event → sink at ${rate} events/s: ${verdict(pass.p50)}${pacedReport ? ` (${fmt(pacedReport.latency.p50, 2)} ms)` : ''}`);
  log(`target p99 <= ${TARGETS.p99Ms} ms event → sink at ${rate} events/s: ${verdict(pass.p99)}${pacedReport ? ` (${fmt(pacedReport.latency.p99, 2)} ms)` : ''}`);
  const burstNote = burstReport ? `burst end to end ${fmt(burstReport.perS)}/s, bounded by event processing` : null;
  const basis = dispatchReport
    ? [
      best ? `judged on dispatch ${best.label}: ${fmt(best.perS)}/s` : 'no dispatch run verified',
      ...dispatchReport.runs.filter((r) => r !== best).map((r) => `dispatch ${r.label} ${fmt(r.perS)}/s${r.verified ? '' : ' (not verified)'}`),
      ...(burstNote ? [burstNote] : []),
    ].join('; ')
    : burstReport ? `judged on the burst end to end: ${fmt(burstReport.perS)}/s` : null;
  log(`target >= ${fmt(TARGETS.deliveriesPerS)} deliveries/s to a local sink: ${verdict(pass.deliveries_per_s)}${basis ? ` (${basis})` : ''}`);
  log(`correctness (each event delivered exactly once; engine records match): ${verdict(pass.verified)}`);

  const serverLine = serverLoadLine(store);
  if (serverLine) log(serverLine);

  console.log(`BENCH ${JSON.stringify({
    name: 'delivery', store: store.kind,
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
    ...dispatchJson(dispatchReport),
    deliveries_per_s_target_basis: dispatchReport ? (best ? `dispatch_${best.label}` : null) : burstReport ? 'burst' : null,
    concurrency: options.deliveryConcurrency,
    load: {
      paced: loadJson(pacedReport?.load), burst: loadJson(burstReport?.load),
      ...(dispatchReport ? Object.fromEntries(dispatchReport.runs.map((r) => [r.label === 'batched' ? 'dispatch_batched' : 'dispatch', loadJson(r.load)])) : {}),
    },
    events: bench.expected, sink_distinct_keys: sink.distinct, sink_duplicate_keys: sink.duplicates, engine_delivered: engineListed,
    engine_open_or_failed: otherStatuses, pass, cpu_calibration_ms: r2(calibrationMs), sqlite_mmap_mb: options.sqliteMmapMb,
    machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
  })}`);
} finally {
  await reader?.close();
  await stop().catch(() => {});
  await sink.close();
  await store.close();
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
}
