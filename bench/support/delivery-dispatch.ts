/**
 * The delivery benchmark's dispatch phase: the delivery system's own throughput, apart from event
 * processing. Its own journey (BenchDispatch → send → exit) sends to a second webhook destination
 * that is disabled, so each of N entry events records a delivery that fails at once ("destination
 * … is disabled"). Once all N are `failed`, the destination is enabled (PUT, same body otherwise)
 * and POST /api/v1/deliveries/redrive {journeyId, status: failed, limit} is called until nothing
 * is left (10,000 at most per call); deliveries/s = N / (first re-drive call → last payload at the
 * sink). Run twice: one event per call (concurrency 64), and batched (the webhook's performBatch
 * posts a JSON array with X-Idempotency-Keys). Each run checks that every key of its N failed
 * deliveries reached the sink exactly once and that the engine lists the N as delivered.
 */
import { IngestClient } from './ingest-client.ts';
import { batches, sendAll } from './bulk-ingest.ts';
import { DISPATCH_EVENT, fmt, log, PER_BATCH, PhaseEvents, RETRIES, STALL_MS, type DeliveryBench } from './delivery-common.ts';
import { loadBetween, logLoad, loadJson, sampler, snapshotAt, type Load } from './delivery-load.ts';
import { countDeliveries, forEachDelivery } from './delivery-verify.ts';

/** The engine's bound on one bulk re-drive call. */
const MAX_REDRIVE = 10_000;
const INGEST_CONNECTIONS = 8;

interface DispatchSpec {
  label: 'unbatched' | 'batched';
  tag: string;
  delivery: { concurrency: number; batchSize?: number; batchWaitMs?: number };
}

const SPECS: readonly DispatchSpec[] = [
  { label: 'unbatched', tag: 'd', delivery: { concurrency: 64 } },
  { label: 'batched', tag: 'e', delivery: { concurrency: 8, batchSize: 100, batchWaitMs: 20 } },
];

export interface DispatchRun {
  label: DispatchSpec['label'];
  delivery: DispatchSpec['delivery'];
  events: number;
  /** Seconds from the first ingest request until the engine listed all N as failed. */
  recordSeconds: number;
  redriveCalls: Array<{ redriven: number; skipped: number; ms: number }>;
  /** First re-drive call → last payload at the sink. */
  seconds: number;
  delivered: number;
  perS: number;
  steadyPerS: number;
  /** Deliveries not yet at the sink when the last re-drive call returned, and ms until the last one arrived. */
  backlogAtRedriveEnd: number;
  backlogDrainMs: number;
  /** The processing worker's CPU per delivery (ms), first re-drive call → last payload. */
  workerCpuMsPerDelivery: number;
  /** Deliveries the re-drive calls reset per second of their own time. */
  redrivePerS: number;
  firstArrivalMs: number;
  sinkRequests: number;
  load: Load;
  keys: { once: number; more: number; never: number };
  engineDelivered: number;
  complete: boolean;
  verified: boolean;
}

export interface DispatchReport {
  runs: DispatchRun[];
  /** The faster verified run (the target is judged on it), or null. */
  best: DispatchRun | null;
}

export async function runDispatch(b: DeliveryBench): Promise<DispatchReport> {
  const { engine, admin, sink, runId } = b;
  const count = b.options.deliveryDispatch;
  // Its entry event must be in the catalog before its journey can be published.
  const seedClient = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: 1 });
  const seed = await seedClient.send({ path: '/v1/track', body: JSON.stringify({ type: 'track', event: DISPATCH_EVENT, userId: `seed-d-${runId}`, messageId: `${runId}-seed-d`, properties: {} }), events: 1 });
  await seedClient.close();
  if (!seed.ok) throw new Error(`seeding the catalog failed: ${seed.error}`);
  await engine.settle(30_000);
  const body = (spec: DispatchSpec, enabled: boolean) => ({ plugin: 'webhook', name: `Bench dispatch sink ${runId}`, settings: {}, enabled, delivery: spec.delivery });
  const created = await admin.call<{ destination: { id: string } }>('POST', '/api/v1/destinations', body(SPECS[0]!, false));
  const destinationId = created.destination.id;
  const journeyId = await admin.publishJourney({
    name: `Bench dispatch ${runId}`, entry: { event: DISPATCH_EVENT }, start: 'notify',
    steps: [
      {
        id: 'notify', type: 'send', eventName: 'Bench Dispatched', payload: { context: 'all', traits: [] },
        target: { type: 'destination', destinationId, action: 'send' },
        mapping: { url: `${sink.url}/dispatch`, data: { '@path': '$.properties.journey_context' } },
        next: 'done',
      },
      { id: 'done', type: 'exit' },
    ],
  });
  log(`dispatch: ${fmt(count)} deliveries recorded failed (destination ${destinationId} disabled; journey ${journeyId}: ${DISPATCH_EVENT} → send → exit),`
    + ` then the destination enabled and the deliveries re-driven (at most ${fmt(MAX_REDRIVE)} per call); rate = first re-drive call → last payload at the sink`);

  const runs: DispatchRun[] = [];
  for (const spec of SPECS) {
    await admin.call('PUT', `/api/v1/destinations/${destinationId}`, body(spec, false));
    const phase = b.ledger.add(new PhaseEvents(runId, spec.tag, count));
    b.expected += count;
    log(`dispatch ${spec.label}: delivery ${JSON.stringify(spec.delivery)}`);

    // Record N failed deliveries: entry events through /v1/batch, each makes one delivery that fails at once.
    const recordStarted = performance.now();
    const client = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: INGEST_CONNECTIONS });
    const timestamp = new Date().toISOString();
    const sent = await sendAll(client, batches(count, PER_BATCH, (i) => ({
      type: 'track', event: DISPATCH_EVENT, userId: phase.userId(i), messageId: phase.messageId(i), timestamp, properties: { order_id: `ord-${spec.tag}-${i}` },
    })), INGEST_CONNECTIONS, RETRIES);
    await client.close();
    if (sent.failedRequests > 0) log(`  ${sent.failedRequests} ingest requests FAILED after ${RETRIES} retries; first: ${sent.firstError}`);
    const keys = new Set<string>();
    let firstReason: string | null = null;
    for (const deadline = performance.now() + 180_000; ;) {
      await engine.settle(60_000);
      keys.clear();
      await forEachDelivery<{ idempotencyKey: string; reason: string | null }>(admin, `status=failed&journeyId=${journeyId}`, (d) => {
        keys.add(d.idempotencyKey);
        firstReason ??= d.reason;
      });
      if (keys.size >= count || performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const recordSeconds = (performance.now() - recordStarted) / 1000;
    log(`  ${fmt(keys.size)} of ${fmt(count)} deliveries failed after ${fmt(recordSeconds, 1)} s (ingest acked in ${fmt(sent.seconds, 1)} s); reason: ${firstReason}`);
    if (keys.size < count) log('  WARNING: not all deliveries were recorded failed; the re-drive measures fewer');

    // Enable the destination, re-drive everything failed, and time it to the last payload.
    await admin.call('PUT', `/api/v1/destinations/${destinationId}`, body(spec, true));
    await engine.stats();
    const requestsBefore = sink.requests;
    const samples = sampler(engine.pid, 250);
    const t0 = performance.now();
    const redriveCalls: DispatchRun['redriveCalls'] = [];
    const limit = Math.min(MAX_REDRIVE, Math.max(1, keys.size));
    for (let total = 0; ;) {
      const started = performance.now();
      const r = await admin.call<{ redriven: number; skipped: number }>('POST', '/api/v1/deliveries/redrive', { journeyId, status: 'failed', limit });
      redriveCalls.push({ ...r, ms: performance.now() - started });
      total += r.redriven;
      if (r.redriven < limit || total >= keys.size) break;
    }
    const redriveEnded = performance.now();
    const complete = await sink.waitUntil(() => phase.received >= count, { stallMs: STALL_MS, timeoutMs: 300_000 });
    const stats = await engine.stats();
    const snapshots = samples.stop();
    const arrivals = Array.from(phase.arrived).filter(Number.isFinite).sort((x, y) => x - y);
    const last = arrivals.at(-1) ?? t0;
    const seconds = (last - t0) / 1000;
    const at = (q: number) => arrivals[Math.min(arrivals.length - 1, Math.floor(q * arrivals.length))]!;
    const load = loadBetween(snapshots[0]!, snapshotAt(snapshots, last), stats, b.cpus);

    // Every key of the N failed deliveries at the sink exactly once, and the engine lists the N delivered.
    await engine.settle(60_000);
    const perKey = { once: 0, more: 0, never: 0 };
    for (const key of keys) {
      const n = sink.timesSeen(key);
      if (n === 0) perKey.never++;
      else if (n === 1) perKey.once++;
      else perKey.more++;
    }
    let engineDelivered = 0;
    await forEachDelivery<{ idempotencyKey: string }>(admin, `status=delivered&journeyId=${journeyId}`, (d) => {
      if (keys.has(d.idempotencyKey)) engineDelivered++;
    });
    const stillFailed = await countDeliveries(admin, `status=failed&journeyId=${journeyId}`);
    const run: DispatchRun = {
      label: spec.label, delivery: spec.delivery, events: count, recordSeconds, redriveCalls, seconds, delivered: arrivals.length,
      perS: arrivals.length / seconds, steadyPerS: arrivals.length >= 10 ? (0.8 * arrivals.length) / ((at(0.9) - at(0.1)) / 1000) : NaN,
      backlogAtRedriveEnd: arrivals.filter((x) => x > redriveEnded).length, backlogDrainMs: Math.max(0, last - redriveEnded),
      workerCpuMsPerDelivery: load.workerThreadCores === null ? NaN : (load.workerThreadCores * seconds * 1000) / Math.max(1, arrivals.length),
      redrivePerS: redriveCalls.reduce((s, c) => s + c.redriven, 0) / (redriveCalls.reduce((s, c) => s + c.ms, 0) / 1000),
      firstArrivalMs: (arrivals[0] ?? NaN) - t0, sinkRequests: sink.requests - requestsBefore, load, keys: perKey, engineDelivered, complete,
      verified: keys.size === count && perKey.once === count && engineDelivered === count && stillFailed === 0,
    };
    runs.push(run);
    const calls = redriveCalls.map((c) => `${fmt(c.redriven)} in ${fmt(c.ms / 1000, 2)} s${c.skipped > 0 ? ` (${c.skipped} skipped)` : ''}`).join(', ');
    log(`  re-drive: ${redriveCalls.length} calls (${calls}; ${fmt(run.redrivePerS)} re-driven/s), done after ${fmt((redriveEnded - t0) / 1000, 2)} s;`
      + ` first payload after ${fmt(run.firstArrivalMs)} ms`);
    log(`  ${fmt(run.delivered)} of ${fmt(count)} delivered in ${fmt(seconds, 2)} s (first re-drive call → last payload at the sink): ${fmt(run.perS)} deliveries/s;`
      + ` middle 80% at ${fmt(run.steadyPerS)}/s; ${fmt(run.sinkRequests)} requests to the sink; ${fmt(run.backlogAtRedriveEnd)} not yet sent when the last re-drive call returned`
      + ` (sent within ${fmt(run.backlogDrainMs)} ms); processing worker ${fmt(run.workerCpuMsPerDelivery, 3)} ms CPU per delivery`);
    log(`  verify: of ${fmt(keys.size)} keys ${fmt(perKey.once)} arrived once, ${fmt(perKey.more)} more than once, ${fmt(perKey.never)} never;`
      + ` the engine lists ${fmt(engineDelivered)} of them delivered, ${fmt(stillFailed)} still failed -> ${run.verified ? 'OK' : 'MISMATCH'}`);
    logLoad(load);
  }
  const verifiedRuns = runs.filter((r) => r.verified);
  const best = verifiedRuns.length === 0 ? null : verifiedRuns.reduce((x, y) => (y.perS > x.perS ? y : x));
  return { runs, best };
}

/** The dispatch phase as the BENCH json shows it. */
export function dispatchJson(report: DispatchReport | null) {
  const run = (label: DispatchRun['label']) => report?.runs.find((r) => r.label === label);
  const rate = (r: DispatchRun | undefined) => (r ? Math.round(r.perS) : null);
  return {
    dispatch_per_s: rate(run('unbatched')),
    dispatch_batched_per_s: rate(run('batched')),
    dispatch: report ? {
      events: report.runs[0]?.events ?? 0, best: report.best?.label ?? null,
      runs: report.runs.map((r) => ({
        label: r.label, delivery: r.delivery, per_s: Math.round(r.perS), steady_per_s: Math.round(r.steadyPerS),
        redrive_per_s: Math.round(r.redrivePerS), backlog_at_redrive_end: r.backlogAtRedriveEnd, backlog_drain_ms: Math.round(r.backlogDrainMs),
        worker_cpu_ms_per_delivery: Math.round(r.workerCpuMsPerDelivery * 1000) / 1000, seconds: Math.round(r.seconds * 100) / 100,
        redrive_calls: r.redriveCalls.length, redrive_seconds: Math.round(r.redriveCalls.reduce((s, c) => s + c.ms, 0) / 10) / 100,
        record_seconds: Math.round(r.recordSeconds * 10) / 10, sink_requests: r.sinkRequests, delivered: r.delivered,
        engine_delivered: r.engineDelivered, verified: r.verified, load: loadJson(r.load),
      })),
    } : null,
  };
}
