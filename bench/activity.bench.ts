/**
 * Observability benchmark: a journey with 1,000,000 activity records (125,000 instances of 8
 * records each, over 30 days, 100,000 profiles) on the embedded SQLite store, then the API's
 * answers timed over real HTTP: the activity log's first page, filtered pages (type, step,
 * profile, time range, a deep cursor) and the journey's figures (all time, 7 days, 1 day).
 *
 * The records are appended through the store's own `activities.append` (counters included, as
 * the runtime appends them), with the engine stopped so setup is not slowed by HTTP; then the
 * engine starts on the same directory and answers. Requests are sequential (latency, not
 * throughput). Targets: each answers under 50 ms at p99.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../engine/config.ts';
import { startEngine } from '../engine/engine.ts';
import { createLogger } from '../engine/logger.ts';
import { newId } from '../engine/ids.ts';
import { openSqliteStore } from '../engine/store/sqlite/open-sqlite-store.ts';
import type { ActivityRecord } from '../engine/store/activity-store.ts';
import type { InstanceRecord } from '../engine/store/instance-store.ts';
import { AdminClient } from './support/admin-client.ts';
import { distribution, type Distribution } from './support/distribution.ts';
import { machineInfo } from './support/machine.ts';

const RECORDS = 1_000_000;
const PER_INSTANCE = 8;
const PROFILES = 100_000;
const SPAN_MS = 30 * 86_400_000;
const ITERATIONS = 300;
const WARMUP = 30;
const TARGET_P99_MS = 50;
const ADMIN_TOKEN = 'adm_activity_bench_token_0001';

const machine = machineInfo();
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(`activity: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}`);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-activity-'));
const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', ENGINE_ADMIN_TOKEN: ADMIN_TOKEN });
const logger = createLogger('error', true);

/** Starts the engine, publishes the journey the records belong to, stops it: answers its space and id. */
async function publishJourney(): Promise<{ spaceId: string; journeyId: string }> {
  const engine = await startEngine(config, { logger });
  try {
    const ingest = await fetch(`${engine.url}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${engine.credentials.writeKey}:`).toString('base64')}` },
      body: JSON.stringify({ userId: 'seed', event: 'Cart Viewed' }),
    });
    if (!ingest.ok) throw new Error(`seed event: HTTP ${ingest.status}`);
    await engine.settle();
    const admin = new AdminClient({ url: engine.url, adminToken: ADMIN_TOKEN });
    const journeyId = await admin.publishJourney({
      name: 'Activity bench cart', entry: { event: 'Cart Viewed' }, start: 'wait',
      steps: [
        { id: 'wait', type: 'hold_until', branches: [{ id: 'bought', event: 'Cart Viewed', next: 'thanks' }], timeout: { after: 'P1D', next: 'nudge' } },
        { id: 'thanks', type: 'send', eventName: 'Thanks', next: 'done' },
        { id: 'nudge', type: 'send', eventName: 'Nudge', next: 'done' },
        { id: 'done', type: 'exit' },
      ],
    });
    const spaces = await engine.store.spaces.listSpaces();
    return { spaceId: spaces[0]!.id, journeyId };
  } finally {
    await engine.close();
  }
}

const instanceIdOf = (n: number) => `ins_bench_${n.toString(16).padStart(10, '0')}`;
const profileIdOf = (n: number) => `prf_bench_${(n % PROFILES).toString(16).padStart(8, '0')}`;

/** The instance the records belong to, completed (the profile filter finds records through a profile's instances). */
function instanceOf(spaceId: string, journeyId: string, n: number, at: number): InstanceRecord {
  const iso = new Date(at).toISOString();
  return {
    id: instanceIdOf(n), spaceId, journeyId, version: 1, profileId: profileIdOf(n), identifier: null, status: 'completed', stepId: null,
    wait: null, wakeAt: null, context: { 'Cart Viewed': { event: 'Cart Viewed' } }, loops: {}, iteration: 0, conversions: {},
    triggerEventId: `evt_${n}`, lastEventId: null, consumedEventId: null, enteredAt: iso, updatedAt: iso, endedAt: iso,
    endReason: "reached exit step 'done'", outbox: [], rev: 1,
  };
}

/** One instance's records, as the runtime writes them: entry, hold, branch or timeout, send, exit. */
function instanceRecords(spaceId: string, journeyId: string, n: number, at: number): ActivityRecord[] {
  const instanceId = instanceIdOf(n);
  const profileId = profileIdOf(n);
  const bought = n % 3 === 0;
  const then = at + (bought ? 3_600_000 : 86_400_000);
  const iso = (ms: number) => new Date(ms).toISOString();
  const make = (type: ActivityRecord['type'], stepId: string | null, time: number, reason: string, data: Record<string, unknown> | null = null): ActivityRecord => ({
    id: newId(), spaceId, journeyId, version: 1, instanceId, profileId, type, stepId, eventId: null, at: iso(time), reason, data,
  });
  const next = bought ? 'thanks' : 'nudge';
  return [
    make('entered', null, at, 'entered on Cart Viewed'),
    make('step_reached', 'wait', at, 'start of the journey'),
    make('waiting', 'wait', at, `waiting for Cart Viewed until ${iso(at + 86_400_000)}`, { until: iso(at + 86_400_000), events: ['Cart Viewed'] }),
    bought
      ? make('event_matched', 'wait', then, "Cart Viewed matched branch 'bought'", { branch: 'bought', contextKey: 'Cart Viewed - bought', leftWait: true })
      : make('timed_out', 'wait', then, `no matching event by ${iso(then)}`),
    make('step_reached', next, then, "from 'wait'"),
    make('send_recorded', next, then, `delivery ${instanceId}:${next}:0 recorded`, { deliveryId: `dlv_${n}`, idempotencyKey: `${instanceId}:${next}:0` }),
    make('step_reached', 'done', then, `from '${next}'`),
    make('completed', 'done', then, "reached exit step 'done'", { cause: 'exit_step:done' }),
  ];
}

const { spaceId, journeyId } = await publishJourney();
const instances = RECORDS / PER_INSTANCE;
const store = openSqliteStore({ dataDir, synchronous: 'full' });
const start = Date.now() - SPAN_MS;
// The profiles the instances belong to: the log's profile filter looks them up (and follows merges).
for (let n = 0; n < PROFILES; n += 1000) {
  await Promise.all(Array.from({ length: 1000 }, (_, i) => {
    const iso = new Date(start).toISOString();
    const userId = `user-${n + i}`;
    return store.profiles.insert({
      id: profileIdOf(n + i), spaceId, userId, userIds: [userId], anonymousIds: [], email: null, traits: {}, firstSeenAt: iso, lastSeenAt: iso,
      mergedInto: null, mergedFrom: [], recentEvents: [], lastEventId: null, version: 1, createdAt: iso, updatedAt: iso,
    });
  }));
}
let written = 0;
const writeStarted = performance.now();
const pending: Array<Promise<void>> = [];
for (let n = 0; n < instances; n += 1) {
  // Instances enter in time order over the 30 days, like a real log.
  const at = start + Math.floor((n / instances) * (SPAN_MS - 86_400_000));
  pending.push(store.instances.insert(instanceOf(spaceId, journeyId, n, at)).then(() => store.activities.append(instanceRecords(spaceId, journeyId, n, at))));
  written += PER_INSTANCE;
  if (pending.length >= 256) await Promise.all(pending.splice(0));
}
await Promise.all(pending);
const writeSeconds = (performance.now() - writeStarted) / 1000;
await store.close();
console.log(`activity: ${fmt(written)} records and ${fmt(instances)} instances appended (counters included) in ${fmt(writeSeconds, 1)} s: ${fmt(written / writeSeconds)} records/s; database ${fmt(fs.statSync(path.join(dataDir, 'engine.db')).size / 2 ** 20)} MB`);

const engine = await startEngine(config, { logger });
const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
async function get(pathAndQuery: string): Promise<unknown> {
  const response = await fetch(`${engine.url}${pathAndQuery}`, { headers });
  const body = await response.json();
  if (!response.ok) throw new Error(`GET ${pathAndQuery}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body;
}
async function time(pathAndQuery: () => string): Promise<Distribution> {
  for (let i = 0; i < WARMUP; i += 1) await get(pathAndQuery());
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    const started = performance.now();
    await get(pathAndQuery());
    samples.push(performance.now() - started);
  }
  return distribution(samples);
}

const base = `/api/v1/journeys/${journeyId}`;
const middle = new Date(start + SPAN_MS / 2).toISOString();
const dayAfter = new Date(start + SPAN_MS / 2 + 86_400_000).toISOString();
const firstPage = (await get(`${base}/activity?limit=1000`)) as { nextCursor: string };
let deepCursor = firstPage.nextCursor;
for (let i = 0; i < 200; i += 1) deepCursor = ((await get(`${base}/activity?limit=1000&cursor=${deepCursor}`)) as { nextCursor: string }).nextCursor;
let profile = 0;
const queries: Array<[string, () => string]> = [
  ['first page (50, newest first)', () => `${base}/activity?limit=50`],
  ['filtered: type=send_recorded', () => `${base}/activity?limit=50&type=send_recorded`],
  ['filtered: step=done&type=completed', () => `${base}/activity?limit=50&step=done&type=completed`],
  ['filtered: userId (rotating over 100,000 profiles)', () => `${base}/activity?limit=50&userId=user-${(profile++ * 7919) % PROFILES}`],
  ['filtered: one day in the middle + type=entered', () => `${base}/activity?limit=50&from=${middle}&to=${dayAfter}&type=entered`],
  ['deep page (cursor 200,000 records in)', () => `${base}/activity?limit=50&cursor=${deepCursor}`],
  ['stats: all time', () => `${base}/stats`],
  ['stats: last 7 days', () => `${base}/stats?from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}`],
  ['stats: one day', () => `${base}/stats?from=${middle}&to=${dayAfter}`],
];
// Filters that find nothing would be fast for the wrong reason: the profile filter must find the user's 8 records.
const sample = (await get(`${base}/activity?limit=50&userId=user-7`)) as { activity: unknown[] };
if (sample.activity.length < PER_INSTANCE) throw new Error(`the userId filter found ${sample.activity.length} records, expected at least ${PER_INSTANCE}`);
const figures: Record<string, { p50: number; p99: number; max: number }> = {};
let passed = true;
for (const [name, query] of queries) {
  const d = await time(query);
  figures[name] = { p50: Number(d.p50.toFixed(2)), p99: Number(d.p99.toFixed(2)), max: Number(d.max.toFixed(2)) };
  const ok = d.p99 < TARGET_P99_MS;
  passed &&= ok;
  console.log(`activity: ${name.padEnd(48)} p50 ${fmt(d.p50, 2).padStart(7)} ms  p99 ${fmt(d.p99, 2).padStart(7)} ms  max ${fmt(d.max, 2).padStart(7)} ms  ${ok ? 'meets' : 'MISSES'} < ${TARGET_P99_MS} ms p99`);
}
const stats = ((await get(`${base}/stats`)) as { stats: { entered: number; completed: number; steps: Record<string, { reached: number }> } }).stats;
const consistent = stats.entered === instances && stats.completed === instances && stats.steps['wait']?.reached === instances;
console.log(`activity: figures agree with the records written: ${consistent ? 'yes' : 'NO'} (entered ${fmt(stats.entered)}, completed ${fmt(stats.completed)})`);
await engine.close();
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(`BENCH ${JSON.stringify({
  bench: 'activity', machine, records: written, appendRecordsPerS: Math.round(written / writeSeconds),
  targetP99Ms: TARGET_P99_MS, queries: figures, meetsTargets: passed, figuresConsistent: consistent,
})}`);
