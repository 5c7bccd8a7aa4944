/**
 * Soak (`npm run soak`): the engine in its own process under steady, moderate load for
 * BENCH_SOAK_SECONDS (default 600) at BENCH_SOAK_RATE entry events/s (default 200), with memory
 * sampled from its own /metrics every 10 s. Two journeys keep every part that could leak busy:
 * the built-in webhook and the catalog webhook (actions-core, whose `Destination.responses` is a
 * known leak) to a local sink, a delay timer between them, and a destination function (the
 * isolate pool). After a warm-up fifth, least-squares lines give the trends (of the RSS, and of
 * the heap's floor: each minute's lowest sample, both threads); the verdict is "no growth
 * trend" when each grows by less than 1 MB/min. Ends with a `BENCH {json}` line like the benchmarks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchOptions } from '../bench-options.ts';
import { startEngineProcess } from '../support/engine-handle.ts';
import { startDeliverySink } from '../support/delivery-sink.ts';
import { AdminClient } from '../support/admin-client.ts';
import { machineInfo } from '../support/machine.ts';

const SAMPLE_EVERY_MS = 10_000;
const MAX_GROWTH_MB_PER_MIN = 1;
const BATCHES_PER_SECOND = 10;

interface Sample { atMin: number; rssMb: number; heapMb: number; lagS: number }

const options = benchOptions();
const machine = machineInfo();
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-soak-'));
const sink = await startDeliverySink();
const engine = await startEngineProcess({ dataDir });
const admin = new AdminClient({ url: engine.url, adminToken: engine.adminToken! });
const basic = `Basic ${Buffer.from(`${engine.writeKey}:`).toString('base64')}`;
console.log(`soak: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}; ${options.soakSeconds} s at ${options.soakRatePerSecond} entries/s`);

async function ingest(batch: Array<Record<string, unknown>>): Promise<boolean> {
  const response = await fetch(`${engine.url}/v1/batch`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
  await response.arrayBuffer();
  return response.ok;
}

/** Two journeys: webhook → delay → catalog webhook, and a destination function. */
async function setUp(): Promise<void> {
  await ingest(['Soak Viewed', 'Soak Ordered'].map((event) => ({ type: 'track', userId: 'soak-seed', event })));
  await engine.settle(30_000);
  const hook = await admin.call<{ destination: { id: string } }>('POST', '/api/v1/destinations', { plugin: 'webhook', name: 'Soak hook', settings: {} });
  const catalog = await admin.call<{ destination: { id: string } }>('POST', '/api/v1/destinations', { plugin: 'catalog-webhook', name: 'Soak catalog hook', settings: {} });
  const fn = await admin.call<{ function: { id: string } }>('POST', '/api/v1/functions', {
    name: 'Soak function', code: 'async function onTrack(event, settings) { return { seen: event.event, at: Date.now() }; }',
  });
  await admin.call('POST', `/api/v1/functions/${fn.function.id}/deploy`, {});
  const send = (id: string, target: unknown, next: string) => ({
    id, type: 'send', eventName: `Soak ${id}`, target, payload: { context: 'all' }, mapping: { url: sink.url, data: { '@path': '$.' } }, next,
  });
  await admin.publishJourney({
    name: 'Soak: webhooks and a delay', entry: { event: 'Soak Viewed', reentry: { mode: 'multiple_active', identifier: 'properties.n' } }, start: 'first',
    steps: [
      send('first', { type: 'destination', destinationId: hook.destination.id, action: 'send' }, 'wait'),
      { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'PT3S' }, next: 'second' },
      send('second', { type: 'destination', destinationId: catalog.destination.id, action: 'send' }, 'done'),
      { id: 'done', type: 'exit' },
    ],
  });
  await admin.publishJourney({
    name: 'Soak: a function', entry: { event: 'Soak Ordered', reentry: { mode: 'multiple_active', identifier: 'properties.n' } }, start: 'call',
    steps: [
      { id: 'call', type: 'send', eventName: 'Soak call', target: { type: 'function', functionId: fn.function.id }, payload: { context: 'all' }, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  });
}

async function sample(startedAt: number): Promise<Sample> {
  const text = await (await fetch(`${engine.url}/metrics`)).text();
  const value = (pattern: RegExp) => text.split('\n').filter((l) => pattern.test(l)).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  return {
    atMin: (performance.now() - startedAt) / 60_000,
    rssMb: value(/^process_resident_memory_bytes /) / 2 ** 20,
    heapMb: value(/^nodejs_heap_size_used_bytes\{/) / 2 ** 20,
    lagS: value(/^journey_engine_processing_lag_seconds /),
  };
}

/** Least-squares slope of `y` over minutes. */
function slope(samples: readonly Sample[], y: (s: Sample) => number): number {
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.atMin, 0) / n;
  const my = samples.reduce((a, s) => a + y(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.atMin - mx) * (y(s) - my);
    den += (s.atMin - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

await setUp();
const startedAt = performance.now();
const samples: Sample[] = [await sample(startedAt)];
let n = 0;
let refused = 0;
const perBatch = Math.max(1, Math.round(options.soakRatePerSecond / BATCHES_PER_SECOND));
const sampler = setInterval(() => {
  void sample(startedAt).then((s) => {
    samples.push(s);
    console.log(`soak: ${fmt(s.atMin)} min  rss ${fmt(s.rssMb)} MB  heap ${fmt(s.heapMb)} MB  lag ${fmt(s.lagS, 2)} s  sink ${sink.distinct} deliveries`);
  });
}, SAMPLE_EVERY_MS);
const endAt = startedAt + options.soakSeconds * 1000;
while (performance.now() < endAt) {
  const tickStart = performance.now();
  const batch = Array.from({ length: perBatch }, () => {
    n += 1;
    return { type: 'track', userId: `soak-${n % 5000}`, event: n % 2 === 0 ? 'Soak Viewed' : 'Soak Ordered', properties: { n } };
  });
  if (!(await ingest(batch))) refused += batch.length;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 / BATCHES_PER_SECOND - (performance.now() - tickStart))));
}
clearInterval(sampler);
await engine.settle(60_000);
samples.push(await sample(startedAt));
await engine.stop();
await sink.close();
fs.rmSync(dataDir, { recursive: true, force: true });

const steady = samples.filter((s) => s.atMin >= (options.soakSeconds / 60) * 0.2);
// The heap is a sawtooth between collections: its trend is the trend of its floor, the lowest
// sample of each minute (what survives a collection), not of every sample.
const floors = [...Map.groupBy(steady, (s) => Math.floor(s.atMin)).values()].map((group) => group.reduce((low, s) => (s.heapMb < low.heapMb ? s : low)));
const rssSlope = slope(steady, (s) => s.rssMb);
const heapSlope = slope(floors.length >= 3 ? floors : steady, (s) => s.heapMb);
const first = steady[0]!;
const last = steady[steady.length - 1]!;
const noTrend = rssSlope < MAX_GROWTH_MB_PER_MIN && heapSlope < MAX_GROWTH_MB_PER_MIN;
console.log(`soak: ${n} entry events sent (${refused} refused), ${sink.distinct} distinct deliveries at the sink, ${sink.duplicates} repeated`);
console.log(`soak: after warm-up rss ${fmt(first.rssMb)} → ${fmt(last.rssMb)} MB (trend ${fmt(rssSlope, 2)} MB/min), heap ${fmt(first.heapMb)} → ${fmt(last.heapMb)} MB (trend ${fmt(heapSlope, 2)} MB/min): ${noTrend ? 'no growth trend' : 'GROWS'} (bound ${MAX_GROWTH_MB_PER_MIN} MB/min)`);
console.log(`BENCH ${JSON.stringify({
  bench: 'soak', machine, seconds: options.soakSeconds, ratePerSecond: options.soakRatePerSecond, events: n, refused,
  deliveries: sink.distinct, repeated: sink.duplicates, samples: samples.length,
  rssMb: { first: first.rssMb, last: last.rssMb, trendPerMin: rssSlope }, heapMb: { first: first.heapMb, last: last.heapMb, trendPerMin: heapSlope },
  noGrowthTrend: noTrend,
})}`);
process.exit(noTrend ? 0 : 1);
