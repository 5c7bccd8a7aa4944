/**
 * The delivery benchmark's warm-up and paced phase: /v1/track at a fixed rate, open loop.
 * Latency = sink received the payload − the moment the ingest request was due (not when it was
 * sent), so a stall anywhere counts against the engine (no coordinated omission).
 */
import type { IngestClient } from './ingest-client.ts';
import { distribution, type Distribution } from './distribution.ts';
import { dist, ENTRY_EVENT, fmt, log, PhaseEvents, STALL_MS, type DeliveryBench } from './delivery-common.ts';
import { loadBetween, logLoad, snapshot, type Load } from './delivery-load.ts';

export const PACED_CONNECTIONS = 64;

export interface PacedReport {
  events: number; offered: number; achievedPerS: number; latency: Distribution; fromSent: Distribution; ack: Distribution;
  delivered: number; failedRequests: number; maxInFlight: number; load: Load; complete: boolean;
  stages: { toRecorded: Distribution; queued: Distribution; sending: Distribution } | null;
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

/** Warm-up: the JIT (past its tier-up wave, see BenchOptions.latencyWarmupSeconds), the sink's keep-alive connections, SQLite's page cache. */
export async function warmUp(b: DeliveryBench, client: IngestClient): Promise<void> {
  const warmCount = Math.round(b.options.latencyWarmupSeconds * b.options.deliveryRatePerSecond);
  if (warmCount <= 0) return;
  const warm = b.ledger.add(new PhaseEvents(b.runId, 'w', warmCount));
  b.expected += warmCount;
  const w = await paced(client, warm, b.options.deliveryRatePerSecond);
  await b.sink.waitForDistinct(b.expected, { stallMs: STALL_MS, timeoutMs: 60_000 });
  const wl = distribution(Array.from(warm.arrived, (a, i) => a - warm.due[i]!).filter(Number.isFinite));
  log(`warm-up: ${fmt(warmCount)} events in ${fmt(w.seconds, 1)} s; event → sink ${dist(wl)}`);
}

/** Paced phase: event-to-destination latency. */
export async function runPaced(b: DeliveryBench, client: IngestClient): Promise<{ report: PacedReport; phase: PhaseEvents }> {
  const { engine, sink, options } = b;
  const count = Math.round(options.phaseSeconds * options.deliveryRatePerSecond);
  const phase = b.ledger.add(new PhaseEvents(b.runId, 'p', count));
  b.expected += count;
  log(`paced: ${fmt(count)} events at ${fmt(options.deliveryRatePerSecond)}/s through /v1/track (${PACED_CONNECTIONS} connections, open loop)`);
  await engine.stats(); // resets the HTTP thread's loop figures
  const start = snapshot(engine.pid);
  const result = await b.profiled('paced', async () => {
    const r = await paced(client, phase, options.deliveryRatePerSecond);
    const sentAll = snapshot(engine.pid);
    const complete = await sink.waitForDistinct(b.expected, { stallMs: STALL_MS, timeoutMs: 60_000 });
    return { ...r, complete, sentAll };
  });
  // The load while events were sent at the offered rate.
  const load = loadBetween(start, result.sentAll, await engine.stats(), b.cpus);
  const latencies: number[] = [];
  const fromSent: number[] = [];
  const acks: number[] = [];
  for (let i = 0; i < count; i++) {
    acks.push(phase.acked[i]! - phase.due[i]!);
    if (!Number.isFinite(phase.arrived[i]!)) continue;
    latencies.push(phase.arrived[i]! - phase.due[i]!);
    fromSent.push(phase.arrived[i]! - phase.sent[i]!);
  }
  const latency = distribution(latencies);
  const report: PacedReport = {
    events: count, offered: options.deliveryRatePerSecond, achievedPerS: count / result.seconds,
    latency, fromSent: distribution(fromSent), ack: distribution(acks), delivered: latencies.length,
    failedRequests: result.failed, maxInFlight: result.maxInFlight, load, complete: result.complete, stages: null,
  };
  log(`  sent at ${fmt(report.achievedPerS)} events/s (${result.maxInFlight} requests in flight at most)${result.failed > 0 ? `, ${result.failed} FAILED; first: ${result.firstError}` : ''}`);
  log(`  event → sink (from when each request was due): ${dist(latency)}`);
  log(`  event → sink (from when each request was sent): ${dist(report.fromSent)}`);
  log(`  ingest ack (from due): ${dist(report.ack)}`);
  if (latencies.length < count) log(`  ${fmt(count - latencies.length)} events NOT delivered to the sink (waited until no delivery arrived for ${STALL_MS / 1000} s)`);
  logLoad(load);
  await engine.settle(60_000);
  return { report, phase };
}
