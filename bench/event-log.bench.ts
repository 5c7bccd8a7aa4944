/**
 * The event log's append path alone: what storing an acknowledged event costs the ingest thread,
 * without HTTP, parsing or validation. Events of ~1 KB (the ingest benchmark's) go through the
 * store's own `events.append` in requests of 100 (a `/v1/batch`), several in flight so the write
 * queue group-commits them as it does under load, on a store opened as the engine's HTTP thread
 * opens it (synchronous=FULL, checkpoints on their own thread).
 *
 * Then the same with one of the log's secondary indexes dropped, each on a fresh store: the
 * difference is what that index costs per event. The figures bound ingest from below: the HTTP
 * thread cannot acknowledge events faster than its share of a core allows this path to run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { newId } from '../engine/ids.ts';
import { normalizeMessage } from '../engine/ingest/normalize-message.ts';
import { openSqliteStorage } from '../engine/store/sqlite/open-sqlite-store.ts';
import { EVENT_LOG_FILE } from '../engine/store/sqlite/sqlite-event-log-file.ts';
import type { EventRecord } from '../engine/store/event-store.ts';
import { benchOptions } from './bench-options.ts';
import { EventFactory } from './support/event-factory.ts';
import { calibrateCpuMs, machineInfo } from './support/machine.ts';

const REQUEST_EVENTS = 100;
const IN_FLIGHT = 4;
const DEDUPE_WINDOW_MS = 86_400_000;
/**
 * Secondary indexes of the log measured by dropping them (sqlite-event-log-file.ts). The user index
 * is not among them: the checkpoint thread keeps it in the main file (sqlite-user-index.ts), off this path.
 */
const INDEXES = ['events_id', 'events_space', 'message_ids_age'] as const;

const options = benchOptions();
const events = Math.max(10_000, Math.round(options.logEvents));
const machine = machineInfo();
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(`event-log: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}`);
const calibration = Number(calibrateCpuMs().toFixed(2));

/** Normalized records as ingest builds them, reused with a fresh id and messageId per append. */
function recordPool(spaceId: string): EventRecord[] {
  const factory = new EventFactory({ runId: 'pool' });
  const now = Date.now();
  const ts = new Date(now).toISOString();
  return Array.from({ length: 2_000 }, () => normalizeMessage(JSON.parse(factory.track(ts)) as Record<string, unknown>, 'track', spaceId, now));
}

interface Run {
  eventsPerSecond: number;
  microsPerEvent: number;
  eventsPerCommit: number;
}

/** The faster of two runs (see once): this machine's speed drifts between runs of a few seconds. */
async function run(dropped: readonly string[], count = events): Promise<Run> {
  const [a, b] = [await once(dropped, count), await once(dropped, count)];
  return a.microsPerEvent <= b.microsPerEvent ? a : b;
}

/** Appends `count` events to a fresh store, without the `dropped` indexes, and times it. */
async function once(dropped: readonly string[], count: number): Promise<Run> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-event-log-'));
  const { store, logWrites } = openSqliteStorage({ dataDir, nonBlockingLock: true, checkpoints: 'own-thread' });
  try {
    if (dropped.length > 0) {
      // The log's connection is private to the store; a second one drops the indexes in the same file.
      const other = new Database(path.join(dataDir, EVENT_LOG_FILE));
      for (const index of dropped) other.exec(`DROP INDEX ${index}`);
      other.close();
    }
    const spaceId = 'spc_bench_event_log';
    const pool = recordPool(spaceId);
    const runId = newId();
    let next = 0;
    const request = (): EventRecord[] => Array.from({ length: REQUEST_EVENTS }, () => {
      const n = next++;
      // A unique messageId per event, shaped like the ingest benchmark's.
      return { ...pool[n % pool.length]!, id: newId(), messageId: `${runId}-${n}` };
    });
    const commitsBefore = logWrites.commitCount;
    const started = performance.now();
    const client = async () => {
      while (next < count) {
        const outcomes = await store.events.append(request(), { dedupeWindowMs: DEDUPE_WINDOW_MS, now: Date.now() });
        if (outcomes.some((o) => o !== 'stored')) throw new Error('a unique messageId was not stored');
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, client));
    const seconds = (performance.now() - started) / 1000;
    const commits = logWrites.commitCount - commitsBefore;
    return { eventsPerSecond: next / seconds, microsPerEvent: (seconds * 1e6) / next, eventsPerCommit: next / Math.max(1, commits) };
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// A first, shorter run lets V8 compile the path, so the first measured run is not the slowest for that alone.
await once([], 20_000);
const shipped = await run([]);
console.log(`as shipped: ${fmt(shipped.eventsPerSecond)} events/s, ${fmt(shipped.microsPerEvent, 2)} µs per event `
  + `(${fmt(events)} events, ${fmt(shipped.eventsPerCommit)} per commit, ${IN_FLIGHT} requests of ${REQUEST_EVENTS} in flight)`);
const indexCostMicros: Record<string, number> = {};
for (const index of INDEXES) {
  const without = await run([index]);
  indexCostMicros[index] = Number((shipped.microsPerEvent - without.microsPerEvent).toFixed(2));
  console.log(`without ${index}: ${fmt(without.eventsPerSecond)} events/s, ${fmt(without.microsPerEvent, 2)} µs per event `
    + `(the index costs ${fmt(indexCostMicros[index]!, 2)} µs per event)`);
}

const bare = await run(INDEXES);
console.log(`without all three: ${fmt(bare.eventsPerSecond)} events/s, ${fmt(bare.microsPerEvent, 2)} µs per event `
  + '(the row, its messageId claim and the group commit)');

console.log('BENCH ' + JSON.stringify({
  name: 'event-log', store: 'sqlite', events, request_events: REQUEST_EVENTS, in_flight: IN_FLIGHT,
  events_per_s: Math.round(shipped.eventsPerSecond), us_per_event: Number(shipped.microsPerEvent.toFixed(2)),
  events_per_commit: Math.round(shipped.eventsPerCommit), index_cost_us: indexCostMicros,
  without_secondary_indexes: { events_per_s: Math.round(bare.eventsPerSecond), us_per_event: Number(bare.microsPerEvent.toFixed(2)) },
  cpu_calibration_ms: calibration, machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
}));
