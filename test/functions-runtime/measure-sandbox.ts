// Quick figures for the sandbox (not a test, not the bench suite):
//   npx node --no-node-snapshot test/functions-runtime/measure-sandbox.ts
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import type { HostFetch } from '../../functions-runtime/host-fetch-types.ts';

const MAPPING = `
async function onTrack(event, settings) {
  return { name: event.event, userId: event.userId, total: _.get(event, 'properties.total', 0), key: settings.apiKey };
}`;
const SYNC_MAPPING = MAPPING.replace('async function', 'function');

const noFetch: HostFetch = async () => { throw new Error('no network in measurements'); };
const event = { type: 'track', event: 'Order Completed', userId: 'u1', properties: { total: 42, currency: 'EUR' } };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function measureLatency(sandbox: FunctionSandbox, code: string, label: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) await sandbox.invoke({ key: label, code, handler: 'onTrack', payload: event, settings: { apiKey: 'k' } });
  const samples: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = performance.now();
    await sandbox.invoke({ key: label, code, handler: 'onTrack', payload: event, settings: { apiKey: 'k' } });
    samples.push((performance.now() - t) * 1000);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label}: sequential latency p50 ${percentile(samples, 0.5).toFixed(0)} µs, p99 ${percentile(samples, 0.99).toFixed(0)} µs`);
}

async function measureThroughput(sandbox: FunctionSandbox, concurrency: number, keys: number): Promise<void> {
  const total = 40_000;
  let next = 0;
  const worker = async (w: number) => {
    while (next < total) {
      next++;
      await sandbox.invoke({ key: `tp-${w % keys}`, code: MAPPING, handler: 'onTrack', payload: event, settings: { apiKey: 'k' } });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => sandbox.invoke({ key: `tp-${w % keys}`, code: MAPPING, handler: 'onTrack', payload: event, settings: {} })));
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - t) / 1000;
  console.log(`throughput, ${concurrency} concurrent calls over ${keys} function(s): ${(total / seconds).toFixed(0)} invocations/s`);
}

async function measureCold(sandbox: FunctionSandbox): Promise<void> {
  await sandbox.invoke({ key: 'warmup', code: MAPPING, handler: 'onTrack', payload: event, settings: {} });
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const result = await sandbox.invoke({ key: `cold-${i}`, code: MAPPING, handler: 'onTrack', payload: event, settings: {} });
    if (!result.timing.coldStart) throw new Error('expected a cold start');
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  console.log(`cold start (isolate + context + lodash + compile + first call): p50 ${percentile(samples, 0.5).toFixed(2)} ms, p99 ${percentile(samples, 0.99).toFixed(2)} ms`);
  const stats = await sandbox.stats();
  const heaps = stats.perIsolate.map((s) => s.heapUsedBytes).sort((a, b) => a - b);
  console.log(`heap per warm isolate: median ${(percentile(heaps, 0.5) / 1e6).toFixed(2)} MB over ${stats.isolates} isolates; process RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
}

if (import.meta.main) {
  const sandbox = new FunctionSandbox({ fetch: noFetch, maxIsolates: 200 });
  await measureCold(sandbox);
  await measureLatency(sandbox, MAPPING, 'async-mapping');
  await measureLatency(sandbox, SYNC_MAPPING, 'sync-mapping');
  await measureThroughput(sandbox, 1, 1);
  await measureThroughput(sandbox, 16, 1);
  await measureThroughput(sandbox, 32, 8);
  sandbox.dispose();
}
