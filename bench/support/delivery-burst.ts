/**
 * The delivery benchmark's burst phase: entry events through /v1/batch as fast as the engine acks
 * them; deliveries/s = delivered / (first request sent → last payload received). End to end, so
 * bounded by event processing as much as by sending.
 */
import { IngestClient } from './ingest-client.ts';
import { batches, sendAll } from './bulk-ingest.ts';
import { histogram } from './distribution.ts';
import { ENTRY_EVENT, fmt, log, PER_BATCH, PhaseEvents, RETRIES, STALL_MS, type DeliveryBench } from './delivery-common.ts';
import { loadBetween, logLoad, sampler, snapshotAt, type Load } from './delivery-load.ts';

const BURST_CONNECTIONS = 8;

export interface BurstReport {
  events: number; delivered: number; seconds: number; perS: number; ingestSeconds: number; ingestPerS: number;
  processedAfterS: number | null; firstDeliveryMs: number; steadyPerS: number; perSecond: number[]; load: Load; complete: boolean; retriedAttempts: number;
}

export async function runBurst(b: DeliveryBench): Promise<BurstReport> {
  const { engine, sink, reader } = b;
  const count = b.options.deliveryBurst;
  const phase = b.ledger.add(new PhaseEvents(b.runId, 'b', count));
  b.expected += count;
  const expected = b.expected;
  log(`burst: ${fmt(count)} events through /v1/batch (${PER_BATCH} per request, ${BURST_CONNECTIONS} connections) as fast as acked`);
  const client = new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: BURST_CONNECTIONS });
  await engine.stats();
  const samples = sampler(engine.pid, 250);
  const t0 = performance.now();
  let processedAt: number | null = null;
  const result = await b.profiled('burst', async () => {
    // Watch the processor's backlog through the store reader: when did it catch up?
    let watching = true;
    const watcher = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      while (watching) {
        if (sink.distinct > expected - count && await reader.pendingEvents() === 0) {
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
  const arrivals = Array.from(phase.arrived).filter(Number.isFinite).sort((x, y) => x - y);
  const last = arrivals.at(-1) ?? t0;
  const seconds = (last - t0) / 1000;
  const at = (q: number) => arrivals[Math.min(arrivals.length - 1, Math.floor(q * arrivals.length))]!;
  const steadyPerS = arrivals.length >= 10 ? (0.8 * arrivals.length) / ((at(0.9) - at(0.1)) / 1000) : NaN;
  const perSecond = histogram(arrivals, t0, 1000);
  // The load from the first request to the last delivery (not the wait for stragglers after it).
  const load = loadBetween(snapshots[0]!, snapshotAt(snapshots, last), stats, b.cpus);
  const report: BurstReport = {
    events: count, delivered: arrivals.length, seconds, perS: arrivals.length / seconds,
    ingestSeconds: result.sent.seconds, ingestPerS: result.sent.ackedEvents / result.sent.seconds,
    processedAfterS: processedAt === null ? null : ((processedAt as number) - t0) / 1000,
    firstDeliveryMs: (arrivals[0] ?? NaN) - t0, steadyPerS, perSecond, load, complete: result.complete, retriedAttempts: result.sent.retriedAttempts,
  };
  log(`  ${fmt(arrivals.length)} of ${fmt(count)} delivered in ${fmt(seconds, 2)} s (first request → last payload at the sink): ${fmt(report.perS)} deliveries/s`);
  log(`  ingest acked all in ${fmt(result.sent.seconds, 2)} s (${fmt(report.ingestPerS)} events/s); processor caught up after`
    + ` ${report.processedAfterS === null ? 'n/a' : `${fmt(report.processedAfterS, 2)} s`}; first delivery after ${fmt(report.firstDeliveryMs)} ms;`
    + ` middle 80% of deliveries at ${fmt(steadyPerS)}/s; the engine held ${sink.maxConnections} connections to the sink at most`);
  log(`  deliveries per second: ${perSecond.map((n) => fmt(n)).join(' ')}`);
  if (result.sent.retriedAttempts > 0) log(`  WARNING: ${result.sent.retriedAttempts} ingest attempts failed and were retried; first error: ${result.sent.firstError}`);
  logLoad(load);
  return report;
}
