/**
 * The delivery benchmark's verification: each event reached the sink exactly once (distinct
 * idempotency keys, one per event; repeats reported), and GET /api/v1/deliveries?status=delivered
 * lists the same keys, nothing pending, retrying or failed. The paced phase's deliveries also
 * split its latency into stages by the engine's own times.
 */
import type { AdminClient } from './admin-client.ts';
import { distribution } from './distribution.ts';
import { dist, ENTRY_EVENT, epochOf, fmt, log, STALL_MS, type DeliveryBench, type PhaseEvents } from './delivery-common.ts';
import type { PacedReport } from './delivery-paced.ts';

export interface Verification {
  verified: boolean;
  engineListed: number;
  otherStatuses: { pending: number; retrying: number; failed: number };
}

/** Every delivery the query lists, page by page (1,000 a page). */
export async function forEachDelivery<T>(admin: AdminClient, query: string, each: (d: T) => void): Promise<void> {
  for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
    const page: { deliveries: T[]; nextCursor: string | null } = await admin.call('GET', `/api/v1/deliveries?${query}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const d of page.deliveries) each(d);
    cursor = page.nextCursor;
  }
}

/** How many deliveries the query lists. */
export async function countDeliveries(admin: AdminClient, query: string): Promise<number> {
  let n = 0;
  await forEachDelivery(admin, query, () => { n++; });
  return n;
}

type Listed = { idempotencyKey: string; createdAt: string; firstAttemptAt: string | null; deliveredAt: string | null; payload: { properties?: { journey_context?: Record<string, { messageId?: string }> } } };

export async function verifyDeliveries(b: DeliveryBench, pacedReport: PacedReport | null, pacedPhase: PhaseEvents | null): Promise<Verification> {
  const { engine, sink, admin, ledger, expected } = b;
  const settled = await engine.settle(120_000);
  const perEvent = { missing: 0, once: 0, more: 0 };
  for (const phase of ledger.phases.values()) {
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
  await forEachDelivery<Listed>(admin, 'status=delivered', (d) => {
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
  });
  const otherStatuses = {
    pending: await countDeliveries(admin, 'status=pending'), retrying: await countDeliveries(admin, 'status=retrying'), failed: await countDeliveries(admin, 'status=failed'),
  };
  const listSeconds = (performance.now() - listStarted) / 1000;
  let keysMatch = engineKeys.size === sink.distinct;
  for (const key of ledger.keyOfEvent.keys()) if (!engineKeys.has(key)) keysMatch = false;
  const verified = perEvent.missing === 0 && perEvent.more === 0 && sink.duplicates === 0 && ledger.unmatched === 0 && sink.missingKey === 0
    && sink.malformedBatches === 0 && engineListed === expected && keysMatch && otherStatuses.pending + otherStatuses.retrying + otherStatuses.failed === 0;
  const batchNote = sink.batchRequests > 0
    ? ` (${fmt(sink.batchRequests)} of them batches carrying ${fmt(sink.batchItems)} payloads${sink.malformedBatches > 0 ? `, ${sink.malformedBatches} MALFORMED` : ''})`
    : '';
  log(`verify: ${fmt(expected)} events; the sink got ${fmt(sink.distinct)} distinct idempotency keys in ${fmt(sink.requests)} requests${batchNote}`
    + ` (${fmt(sink.duplicates)} repeated keys${sink.repeatedKeys.length > 0 ? `, e.g. ${sink.repeatedKeys.slice(0, 3).join(', ')}` : ''}, ${sink.missingKey} without a key,`
    + ` ${ledger.unmatched} not matching an event${ledger.firstUnmatched ? `: ${ledger.firstUnmatched}` : ''})`);
  log(`verify: per event: ${fmt(perEvent.once)} delivered once, ${fmt(perEvent.more)} more than once, ${fmt(perEvent.missing)} never`);
  log(`verify: the engine lists ${fmt(engineListed)} delivered (${fmt(engineKeys.size)} keys, ${keysMatch ? 'the same as the sink\'s' : 'NOT the sink\'s'}),`
    + ` ${otherStatuses.pending} pending, ${otherStatuses.retrying} retrying, ${otherStatuses.failed} failed (listed in ${fmt(listSeconds, 1)} s)`
    + `${settled.complete ? '' : '; the engine did NOT settle'} -> ${verified ? 'OK' : 'MISMATCH'}`);
  // The same from the store itself (not the API): instances and deliveries by status.
  const [storedDeliveries, storedInstances] = [await b.reader.deliveryCounts(), await b.reader.instanceCounts()];
  const statuses = Object.entries(storedDeliveries).sort(([x], [y]) => x.localeCompare(y)).map(([k, n]) => `${fmt(n)} ${k}`).join(', ') || 'none';
  log(`verify: the store (${b.reader.store}) holds deliveries: ${statuses}; instances: ${fmt(storedInstances.active)} active,`
    + ` ${fmt(storedInstances.completed)} completed, ${fmt(storedInstances.exited)} exited`);
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
  return { verified, engineListed, otherStatuses };
}
