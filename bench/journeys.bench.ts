/**
 * Matching and instance advancement with many journeys and many active instances, on a real
 * engine in a child process driven through its HTTP API; counts come from its SQLite file.
 *
 * 1. 100 journeys are published: J0 "BenchStart → hold until BenchReply (timeout P30D) → send →
 *    exit", and J1…J99 "BenchEvent<k> (properties.plan exists) → delay P30D → send → exit".
 * 2. Calibration: 50,000 trigger events through /v1/batch (distinct users, spread over the 100
 *    journeys) enter 50,000 instances; this times the engine's entry rate and gives one real
 *    instance per journey, and the bytes the engine writes per entry.
 * 3. If entering the rest of the 1,000,000 instances through HTTP would take longer than
 *    BENCH_MAX_HTTP_SETUP_SECONDS, the engine is stopped and the rest are written into its file as
 *    copies of those real instances (support/synthetic-rows.ts): 5 per profile, one of them in J0,
 *    the others in distinct journeys. The engine is then started again on that file.
 * 4. Measured, with 1,000,000 active instances:
 *    - follow-ups: BenchReply from profiles that have an instance waiting in J0 (each advances
 *      hold → send → exit; each profile's 4 other instances do not listen to it);
 *    - triggers: BenchEvent<k> from profiles not yet in journey k (each starts an instance).
 *    Throughput = events / (first request sent → processor caught up); also the processor's own
 *    rate on the backlog left when ingest finished. Disk bytes and engine RSS per active instance.
 * A profile's instances lie at random places in the table, and the measured events reach profiles
 * in random order, as real traffic does (BENCH_PROFILE_ORDER=sequential: each profile's instances
 * side by side and the events in profile order, as before the eighteenth session).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { benchOptions } from './bench-options.ts';
import { noteSqliteOnly } from './support/bench-store.ts';
import { startEngineProcess, type EngineProcess } from './support/engine-handle.ts';
import { IngestClient } from './support/ingest-client.ts';
import { AdminClient } from './support/admin-client.ts';
import { batches, batchRequest, sendAll } from './support/bulk-ingest.ts';
import { fileBytes, openReadOnly, pendingEvents, pollUntil, processMemory, tableBytes, type ReadOnlyDb } from './support/engine-db.ts';
import { readInstanceTemplate, readProfileTemplate, writeSyntheticRows, type InstanceTemplate } from './support/synthetic-rows.ts';
import { profilePermutation } from './support/profile-order.ts';
import { calibrateCpuMs, coresUsed, machineInfo, readCpuTimes } from './support/machine.ts';
import { describeIo, ioFigure, ioPerUnit, readProcIo } from './support/proc-io.ts';

const TARGETS = { eventsPerS: 20_000, diskBytesPerInstance: 1024, rssMb: 300, atInstances: 1_000_000 };
const OTHER_LOAD_WARNING_CORES = 0.15;
const CONNECTIONS = 8;
const PER_BATCH = 100;
/** Coprime with 99, so the journeys of one profile are distinct. */
const STRIDE = 19;
/** Retries of a failed ingest request (a Segment client retries 5xx). */
const RETRIES = 5;

const options = benchOptions();
const machine = machineInfo();
const runId = randomUUID().slice(0, 8);
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const r2 = (n: number) => Math.round(n * 100) / 100;
const log = (line: string) => console.log(`journeys: ${line}`);
const MB = 2 ** 20;

calibrateCpuMs();
const calibrationMs = calibrateCpuMs();
log(`${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}; CPU calibration ${fmt(calibrationMs, 1)} ms; profiles in ${options.profileOrder} order`);
noteSqliteOnly(options, log, "it writes synthetic instances into the engine's SQLite file and measures its size");

const journeyCount = options.journeyCount;
const perProfile = Math.min(options.journeyInstancesPerProfile, journeyCount);
const eventName = (j: number) => (j === 0 ? 'BenchStart' : `BenchEvent${j}`);
/** The journey (1 … count-1) of a profile's j-th non-J0 instance; j = perProfile-1 is the one it is not in (trigger phase). */
const otherJourney = (profile: number, j: number) => 1 + ((profile + j * STRIDE) % (journeyCount - 1));
const pad = (n: number) => String(n).padStart(7, '0');

interface Engine {
  engine: EngineProcess;
  admin: AdminClient;
  client: IngestClient;
  db: ReadOnlyDb;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-journeys-'));
let current: Engine | null = null;

async function start(): Promise<Engine> {
  const engine = await startEngineProcess({ dataDir, nodeArgs: options.engineNodeArgs });
  if (!engine.adminToken) throw new Error('the engine started without a printable admin token');
  current = {
    engine, admin: new AdminClient({ url: engine.url, adminToken: engine.adminToken }),
    client: new IngestClient({ url: engine.url, writeKey: engine.writeKey, connections: CONNECTIONS }), db: openReadOnly(engine.dbFile),
  };
  return current;
}

async function stop(e: Engine): Promise<void> {
  if (current !== e) return;
  current = null;
  e.db.close();
  await e.client.close();
  await e.engine.stop();
}

const count = (db: ReadOnlyDb, sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n;
const activeInstances = (db: ReadOnlyDb) => count(db, `SELECT count(*) AS n FROM instances WHERE status = 'active'`);
const deliveries = (db: ReadOnlyDb) => count(db, 'SELECT count(*) AS n FROM deliveries');

function track(event: string, userId: string, messageId: string, properties: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'track', event, userId, messageId, timestamp: new Date().toISOString(), properties };
}

/** Bytes of the instances table and its indexes, and of the profile tables, from dbstat. */
function instanceBytes(db: ReadOnlyDb): { instances: number; profiles: number; all: Array<{ name: string; bytes: number }> } {
  const all = tableBytes(db);
  const sum = (test: (name: string) => boolean) => all.filter((t) => test(t.name)).reduce((s, t) => s + t.bytes, 0);
  return {
    instances: sum((n) => n === 'instances' || n.startsWith('instances_')),
    profiles: sum((n) => n === 'profiles' || n.startsWith('profiles_') || n === 'sqlite_autoindex_profiles_1' || n === 'identities'),
    all,
  };
}

/**
 * Sends `total` events and measures until the processor has caught up: end-to-end events/s
 * (ingest and processing share the engine) and the processor's rate on what was left after ingest.
 */
async function measure(e: Engine, name: string, total: number, make: (i: number) => Record<string, unknown>) {
  if (options.engineCpuProfileDir) {
    fs.mkdirSync(options.engineCpuProfileDir, { recursive: true });
    await e.engine.startProfile();
  }
  const before = await e.engine.stats();
  const ioBefore = readProcIo(e.engine.pid);
  const machineBefore = readCpuTimes();
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  const sent = await sendAll(e.client, batches(total, PER_BATCH, make), CONNECTIONS, RETRIES);
  if (sent.failedRequests > 0) throw new Error(`${name}: ${sent.failedRequests} ingest requests failed after ${RETRIES} retries; first error: ${sent.firstError}`);
  if (sent.retriedAttempts > 0) log(`  WARNING: ${fmt(sent.retriedAttempts)} ingest attempts failed and were retried; first error: ${sent.firstError}`);
  const backlogAfterIngest = pendingEvents(e.db);
  const drainStarted = performance.now();
  const caughtUp = await pollUntil(() => pendingEvents(e.db), (n) => n === 0, { timeoutMs: 300_000, everyMs: 20 });
  const ended = performance.now();
  const seconds = (ended - started) / 1000;
  const drainSeconds = (ended - drainStarted) / 1000;
  const after = await e.engine.stats();
  const io = ioPerUnit(ioBefore, readProcIo(e.engine.pid), total);
  const machineCores = coresUsed(machineBefore, readCpuTimes(), machine.cpus);
  const generator = process.cpuUsage(generatorBefore);
  if (options.engineCpuProfileDir) {
    const file = path.join(options.engineCpuProfileDir, `journeys-${name}.cpuprofile`);
    await e.engine.stopProfile(file);
    log(`  CPU profile: ${file}`);
  }
  await e.engine.settle(120_000);
  const wallMs = seconds * 1000;
  const engineCores = (after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs) / wallMs;
  const otherCores = machineCores ? Math.max(0, machineCores.busy - engineCores - (generator.user + generator.system) / 1000 / wallMs) : null;
  const result = {
    events: total, seconds, eventsPerS: total / seconds, ingestSeconds: sent.seconds, ingestEventsPerS: total / sent.seconds,
    backlogAfterIngest, drainSeconds, drainEventsPerS: backlogAfterIngest / drainSeconds, caughtUp: caughtUp.ok,
    enginePercent: 100 * engineCores, otherCores, rssMb: after.rssMb, heapUsedMb: after.heapUsedMb, failedAttempts: sent.retriedAttempts, io,
  };
  log(`  ${fmt(total)} events in ${fmt(seconds, 1)} s: ${fmt(result.eventsPerS)} events/s from the first request to the processor caught up`
    + ` (ingest acked them in ${fmt(sent.seconds, 1)} s; the processor then took ${fmt(drainSeconds, 1)} s for the last ${fmt(backlogAfterIngest)}: ${fmt(result.drainEventsPerS)} events/s alone)`);
  log(`  engine CPU ${fmt(result.enginePercent)}% of a core, RSS ${fmt(after.rssMb)} MB (V8 heap ${fmt(after.heapUsedMb)} MB); other processes ${otherCores === null ? 'n/a' : `${fmt(otherCores, 2)} cores`}`);
  log(`  ${describeIo(io, 'event')} (the engine's read and write calls: WAL frames, checkpoint copies, pages missing SQLite's cache)`);
  if ((otherCores ?? 0) > OTHER_LOAD_WARNING_CORES) log(`  WARNING: other processes used ${fmt(otherCores!, 2)} cores during this phase; its figures are disturbed`);
  return result;
}

try {
  // 1. Journeys.
  let e = await start();
  const idleRss = (await e.engine.stats()).rssMb;
  const seed = await e.client.send(batchRequest(Array.from({ length: journeyCount + 1 }, (_, j) =>
    track(j === journeyCount ? 'BenchReply' : eventName(j), `seed-${runId}`, `${runId}-seed-${j}`, { plan: 'seed' }))));
  if (!seed.ok) throw new Error(`seeding the catalog failed: ${seed.error}`);
  await e.engine.settle(30_000);
  const journeyIds: string[] = [];
  for (let j = 0; j < journeyCount; j++) {
    journeyIds.push(await e.admin.publishJourney(j === 0
      ? {
        name: 'Bench J0 follow-ups', entry: { event: eventName(0) }, start: 'wait',
        steps: [
          { id: 'wait', type: 'hold_until', branches: [{ id: 'reply', event: 'BenchReply', next: 'notify' }], timeout: { after: 'P30D', next: 'done' } },
          { id: 'notify', type: 'send', eventName: 'Bench Replied', next: 'done' },
          { id: 'done', type: 'exit' },
        ],
      }
      : {
        name: `Bench J${j}`, entry: { event: eventName(j), conditions: [{ path: 'properties.plan', operator: 'exists' }] }, start: 'wait',
        steps: [
          { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'P30D' }, next: 'notify' },
          { id: 'notify', type: 'send', eventName: `Bench Sent ${j}`, next: 'done' },
          { id: 'done', type: 'exit' },
        ],
      }));
  }
  log(`published ${fmt(journeyCount)} journeys; engine RSS ${fmt(idleRss)} MB at start`);

  // 2. Calibration through HTTP.
  const calibration = Math.min(options.journeyCalibration, options.journeyInstances);
  const fileBefore = fileBytes(e.engine.dbFile);
  const calStarted = performance.now();
  const calSent = await sendAll(e.client, batches(calibration, PER_BATCH, (i) =>
    track(eventName(i % journeyCount), `cal-${runId}-${pad(i)}`, `${runId}-cal-${i}`, { plan: 'basic' })), CONNECTIONS, RETRIES);
  if (calSent.failedRequests > 0) throw new Error(`calibration: ${calSent.failedRequests} requests failed; first: ${calSent.firstError}`);
  if (calSent.retriedAttempts > 0) log(`  WARNING: ${fmt(calSent.retriedAttempts)} ingest attempts failed and were retried; first error: ${calSent.firstError}`);
  const calDone = await pollUntil(() => pendingEvents(e.db), (n) => n === 0, { timeoutMs: 300_000, everyMs: 50 });
  const calSeconds = (performance.now() - calStarted) / 1000;
  await e.engine.settle(60_000);
  const calActive = activeInstances(e.db);
  const calEntriesPerS = calActive / calSeconds;
  await stop(e);
  const fileAfterCal = fileBytes(path.join(dataDir, 'engine.db'));
  const calDb = openReadOnly(path.join(dataDir, 'engine.db'));
  const organic = instanceBytes(calDb);
  const organicInstances = count(calDb, 'SELECT count(*) AS n FROM instances');
  const organicProfiles = count(calDb, 'SELECT count(*) AS n FROM profiles');
  const templates = journeyIds.map((id) => readInstanceTemplate(calDb, id));
  const profileTemplate = readProfileTemplate(calDb, templates[0]!.profileId);
  const sampleDocBytes = Buffer.byteLength(String(templates[0]!.row['doc']));
  const sampleContextBytes = Buffer.byteLength(JSON.stringify((JSON.parse(String(templates[0]!.row['doc'])) as { context: unknown }).context));
  calDb.close();
  const calBytesPerEntry = (fileAfterCal.main + fileAfterCal.wal - fileBefore.main - fileBefore.wal) / calActive;
  log(`calibration: ${fmt(calActive)} instances entered through /v1/batch in ${fmt(calSeconds, 1)} s: ${fmt(calEntriesPerS)} entries/s`
    + ` (ingest acked in ${fmt(calSent.seconds, 1)} s)${calDone.ok ? '' : ' — processor NOT caught up'}`);
  log(`  the engine wrote ${fmt(calBytesPerEntry)} bytes of file per entry (event, profile, instance, activities, indexes);`
    + ` instances table + indexes: ${fmt(organic.instances / organicInstances)} bytes per instance; an instance document is ${fmt(sampleDocBytes)} bytes, its context ${fmt(sampleContextBytes)}`);

  // 3. The rest of the active instances.
  const remaining = Math.max(0, options.journeyInstances - calActive);
  const httpEstimate = remaining / calEntriesPerS;
  const setup = options.setup !== 'auto' ? options.setup : httpEstimate <= options.maxHttpSetupSeconds ? 'http' : 'sqlite';
  log(`setup: ${fmt(remaining)} more instances through HTTP would take ~${fmt(httpEstimate)} s -> ${setup === 'http' ? 'through HTTP ingest' : 'written into the stopped engine\'s SQLite file'}`);
  const profiles = Math.ceil(remaining / perProfile);
  const userOf = (p: number) => `syn-${runId}-${pad(p)}`;
  // Which profile instance k belongs to, and which of its perProfile instances it is (0: the one in J0).
  const layout = profilePermutation(remaining, options.profileOrder);
  const slotOf = (k: number): { profile: number; j: number } => {
    if (options.profileOrder === 'sequential') return { profile: Math.floor(k / perProfile), j: k % perProfile };
    const q = layout[k]!;
    return { profile: q % profiles, j: Math.floor(q / profiles) };
  };
  let setupSeconds = 0;
  let fileBeforeSynthetic = fileBytes(path.join(dataDir, 'engine.db'));
  let syntheticBytes: { instances: number; profiles: number } | null = null;
  if (setup === 'sqlite') {
    const started = performance.now();
    let lastLog = 0;
    const written = writeSyntheticRows(path.join(dataDir, 'engine.db'), profileTemplate, {
      profiles, userId: userOf, instances: remaining,
      instanceOf: (k) => {
        const { profile, j } = slotOf(k);
        const template: InstanceTemplate = templates[j === 0 ? 0 : otherJourney(profile, j - 1)]!;
        return { template, profile };
      },
    }, (phase, done) => {
      if (performance.now() - lastLog > 5_000) {
        lastLog = performance.now();
        log(`  … ${phase}: ${fmt(done)}`);
      }
    });
    setupSeconds = (performance.now() - started) / 1000;
    const after = fileBytes(path.join(dataDir, 'engine.db'));
    const db = openReadOnly(path.join(dataDir, 'engine.db'));
    const bytes = instanceBytes(db);
    db.close();
    syntheticBytes = { instances: bytes.instances - organic.instances, profiles: bytes.profiles - organic.profiles };
    log(`  wrote ${fmt(profiles)} profiles and ${fmt(remaining)} instances in ${fmt(written.seconds, 1)} s; the file grew by ${fmt((after.main + after.wal - fileBeforeSynthetic.main - fileBeforeSynthetic.wal) / MB)} MB`);
    e = await start();
  } else {
    e = await start();
    const started = performance.now();
    fileBeforeSynthetic = fileBytes(e.engine.dbFile);
    const sent = await sendAll(e.client, batches(remaining, PER_BATCH, (k) => {
      const { profile, j } = slotOf(k);
      return track(eventName(j === 0 ? 0 : otherJourney(profile, j - 1)), userOf(profile), `${runId}-syn-${k}`, { plan: 'basic' });
    }), CONNECTIONS, RETRIES);
    if (sent.failedRequests > 0) throw new Error(`setup: ${sent.failedRequests} requests failed; first: ${sent.firstError}`);
    await pollUntil(() => pendingEvents(e.db), (n) => n === 0, { timeoutMs: 3_600_000, everyMs: 100 });
    await e.engine.settle(120_000);
    setupSeconds = (performance.now() - started) / 1000;
    log(`  entered ${fmt(remaining)} instances in ${fmt(setupSeconds, 1)} s`);
  }
  const activeAtStart = activeInstances(e.db);
  const rssIdle = (await e.engine.stats()).rssMb;
  log(`engine started with ${fmt(activeAtStart)} active instances in ${fmt(journeyCount)} journeys; RSS ${fmt(rssIdle)} MB`);

  // 4. Measured phases.
  // The first half of the synthetic profiles send follow-ups, the second half triggers.
  const events = Math.min(options.journeyEvents, Math.floor(profiles / 2));
  // Follow-ups go to the first `events` profiles of this order, triggers to the next ones.
  const pick = profilePermutation(profiles, options.profileOrder, 2);
  const deliveriesBefore = deliveries(e.db);
  log(`follow-ups: ${fmt(events)} BenchReply events, each to a profile with ${perProfile} active instances, one waiting for it in J0`);
  const followUps = await measure(e, 'follow-ups', events, (i) => track('BenchReply', userOf(pick[i]!), `${runId}-reply-${i}`));
  const advanced = deliveries(e.db) - deliveriesBefore;
  log(`  ${fmt(advanced)} of ${fmt(events)} J0 instances advanced (hold matched → send → exit)`);
  const activeBeforeTriggers = activeInstances(e.db);
  const offset = events; // profiles not touched by the follow-ups
  const triggerEvents = Math.min(events, Math.max(0, profiles - offset));
  log(`triggers: ${fmt(triggerEvents)} BenchEvent<k> events from profiles not yet in journey k`);
  const triggers = await measure(e, 'triggers', triggerEvents, (i) => {
    const profile = pick[offset + i]!;
    return track(eventName(otherJourney(profile, perProfile - 1)), userOf(profile), `${runId}-trigger-${i}`, { plan: 'pro' });
  });
  const started = activeInstances(e.db) - activeBeforeTriggers;
  log(`  ${fmt(started)} of ${fmt(triggerEvents)} instances started`);

  // Memory and disk with the active instances.
  const stats = await e.engine.stats();
  const proc = processMemory(e.engine.pid);
  const activeAtEnd = activeInstances(e.db);
  const dbFile = e.engine.dbFile;
  await stop(e);
  const endDb = openReadOnly(dbFile);
  const endBytes = instanceBytes(endDb);
  const totalInstances = count(endDb, 'SELECT count(*) AS n FROM instances');
  endDb.close();
  const file = fileBytes(dbFile);
  const instanceBytesPer = endBytes.instances / totalInstances;
  const peakRss = proc?.peakRssMb ?? stats.rssMb;
  log(`memory: engine RSS ${fmt(stats.rssMb)} MB now, ${fmt(peakRss)} MB at its peak (VmHWM), with ${fmt(activeAtEnd)} active instances`
    + ` (${fmt((peakRss * MB) / activeAtEnd, 1)} bytes per active instance at the peak)`);
  log(`  of the RSS now: ${proc ? `${fmt(proc.anonMb)} MB anonymous (heaps), ${fmt(proc.fileMb)} MB file-backed (node binary, libraries); ` : ''}`
    + `V8 heap ${fmt(stats.heapUsedMb)} MB used of ${fmt(stats.heapTotalMb)} MB reserved, ${fmt(stats.externalMb)} MB external,`
    + ` ${fmt(stats.v8MallocedMb)} MB malloc'ed by V8 (peak ${fmt(stats.v8PeakMallocedMb)} MB);`
    + ` processing worker's V8 heap ${fmt(stats.workerHeapUsedMb)} MB used of ${fmt(stats.workerHeapTotalMb)} MB reserved; at start ${fmt(idleRss)} MB`);
  log(`disk: file ${fmt((file.main + file.wal) / MB)} MB; instances table + indexes ${fmt(endBytes.instances / MB)} MB for ${fmt(totalInstances)} instances = ${fmt(instanceBytesPer)} bytes each`
    + (syntheticBytes ? ` (the written copies: ${fmt(syntheticBytes.instances / remaining)} bytes each, their profiles ${fmt(syntheticBytes.profiles / profiles)} bytes each)` : ''));
  log(`  largest: ${endBytes.all.slice(0, 8).map((t) => `${t.name} ${fmt(t.bytes / MB)} MB`).join(', ')}`);

  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const enoughInstances = activeAtStart >= TARGETS.atInstances;
  const pass = {
    follow_ups: enoughInstances && followUps.eventsPerS >= TARGETS.eventsPerS && advanced === events,
    triggers: enoughInstances && triggers.eventsPerS >= TARGETS.eventsPerS && started === triggerEvents,
    disk: instanceBytesPer <= TARGETS.diskBytesPerInstance,
    rss: enoughInstances && peakRss <= TARGETS.rssMb,
    rss_at_rest: enoughInstances && rssIdle <= TARGETS.rssMb,
  };
  const at = enoughInstances ? '' : ` [only ${fmt(activeAtStart)} active instances: not the target's condition]`;
  log(`target >= ${fmt(TARGETS.eventsPerS)} follow-up events/s: ${verdict(pass.follow_ups)} (${fmt(followUps.eventsPerS)}/s; the processor alone ${fmt(followUps.drainEventsPerS)}/s)${at}`);
  log(`target >= ${fmt(TARGETS.eventsPerS)} trigger events/s: ${verdict(pass.triggers)} (${fmt(triggers.eventsPerS)}/s; the processor alone ${fmt(triggers.drainEventsPerS)}/s)${at}`);
  log(`target <= ${fmt(TARGETS.diskBytesPerInstance)} bytes on disk per active instance: ${verdict(pass.disk)} (${fmt(instanceBytesPer)} bytes: instances table + indexes)`);
  log(`target RSS <= ${TARGETS.rssMb} MB with ${fmt(TARGETS.atInstances)} active instances: ${verdict(pass.rss)} (peak ${fmt(peakRss)} MB while processing)${at}`);
  log(`  (at rest, just started on the ${fmt(activeAtStart)} instances: ${verdict(pass.rss_at_rest)}, ${fmt(rssIdle)} MB)`);
  console.log(`BENCH ${JSON.stringify({
    name: 'journeys', store: 'sqlite',
    journeys: journeyCount, active_instances: activeAtStart, instances_per_profile: perProfile, setup, setup_s: r2(setupSeconds),
    follow_up_events_per_s: Math.round(followUps.eventsPerS), follow_up_processor_events_per_s: Math.round(followUps.drainEventsPerS),
    trigger_events_per_s: Math.round(triggers.eventsPerS), trigger_processor_events_per_s: Math.round(triggers.drainEventsPerS),
    events_per_phase: events, advanced, started,
    calibration_entries: calActive, calibration_entries_per_s: Math.round(calEntriesPerS), calibration_file_bytes_per_entry: Math.round(calBytesPerEntry),
    disk_bytes_per_instance: Math.round(instanceBytesPer), organic_disk_bytes_per_instance: Math.round(organic.instances / organicInstances),
    organic_profile_bytes: Math.round(organic.profiles / organicProfiles), instance_doc_bytes: sampleDocBytes, instance_context_bytes: sampleContextBytes,
    file_mb: Math.round((file.main + file.wal) / MB),
    rss_mb: { start: Math.round(idleRss), with_instances_idle: Math.round(rssIdle), end: Math.round(stats.rssMb), peak: Math.round(peakRss) },
    heap_used_mb: Math.round(stats.heapUsedMb), heap_total_mb: Math.round(stats.heapTotalMb),
    worker_heap_used_mb: Math.round(stats.workerHeapUsedMb), worker_heap_total_mb: Math.round(stats.workerHeapTotalMb),
    rss_anon_mb: proc ? Math.round(proc.anonMb) : null, rss_file_mb: proc ? Math.round(proc.fileMb) : null,
    ingest_failed_attempts: { calibration: calSent.retriedAttempts, follow_ups: followUps.failedAttempts, triggers: triggers.failedAttempts },
    engine_cpu_pct: { follow_ups: r2(followUps.enginePercent), triggers: r2(triggers.enginePercent) },
    io_per_event: { follow_ups: ioFigure(followUps.io), triggers: ioFigure(triggers.io) },
    other_load_cores: { follow_ups: followUps.otherCores === null ? null : r2(followUps.otherCores), triggers: triggers.otherCores === null ? null : r2(triggers.otherCores) },
    pass, cpu_calibration_ms: r2(calibrationMs), sqlite_mmap_mb: options.sqliteMmapMb, profile_order: options.profileOrder,
    machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
  })}`);
} finally {
  if (current) await stop(current).catch(() => {});
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
}
