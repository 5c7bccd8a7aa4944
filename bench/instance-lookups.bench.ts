/**
 * What a profile's history costs the lookups every event makes of its active instances, on the
 * embedded store alone (no HTTP, no runtime). Ended instances are never purged, so a profile that
 * re-enters a journey often (real-time forwarding, one active session re-entered daily) piles them
 * up; the lookups must not read them.
 *
 * For profiles with 0, 100, 1,000 and 10,000 ended instances in one journey (plus an active one in
 * it and one in another journey), times `activeRefsForProfiles` (run for every processed event),
 * `countActive` and `hasEntered` (run for entries) through the store, and the first two through
 * instances_profile (profile_id, journey_id), as the store read them before the seventeenth session
 * (ended instances included). The store no longer has that index: it is made here for the comparison.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStorage } from '../engine/store/sqlite/open-sqlite-store.ts';
import type { InstanceRecord } from '../engine/store/instance-store.ts';
import { newId } from '../engine/ids.ts';
import { calibrateCpuMs, machineInfo } from './support/machine.ts';

const ENDED_COUNTS = [0, 100, 1_000, 10_000] as const;
const CALLS = 2_000;
const ROUNDS = 5;
const SPACE = 'space-bench';
const JOURNEY = 'journey-busy';
const log = (line: string) => console.log(`instance-lookups: ${line}`);

const machine = machineInfo();
calibrateCpuMs();
log(`${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}; CPU calibration ${calibrateCpuMs().toFixed(1)} ms`);

function instance(profileId: string, journeyId: string, status: InstanceRecord['status']): InstanceRecord {
  const at = new Date().toISOString();
  const ended = status !== 'active';
  return {
    id: newId(), spaceId: SPACE, journeyId, version: 1, profileId, identifier: null, status, stepId: ended ? null : 'wait',
    wait: null, wakeAt: null, context: { 'Page Viewed': { properties: { path: '/pricing' } } }, loops: {}, iteration: 0,
    conversions: {}, triggerEventId: newId(), lastEventId: null, consumedEventId: null, enteredAt: at, updatedAt: at,
    endedAt: ended ? at : null, endReason: ended ? 'completed' : null, outbox: [], rev: 0,
  };
}

/** Median µs per call of `fn` over ROUNDS rounds of CALLS calls. */
async function timeCalls(fn: () => unknown): Promise<number> {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await fn();
    rounds.push(Number(process.hrtime.bigint() - started) / CALLS / 1000);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-instance-lookups-'));
const { store, db } = openSqliteStorage({ dataDir, synchronous: 'normal' });
const results: Array<{ ended: number; refsUs: number; countUs: number; enteredUs: number; refsProfilesUs: number; countProfilesUs: number }> = [];
try {
  // The same queries through instances_profile, the index the planner took before the seventeenth session.
  db.exec('CREATE INDEX IF NOT EXISTS instances_profile ON instances (profile_id, journey_id)');
  const refsThroughProfiles = db.prepare(`SELECT id, journey_id, version FROM instances INDEXED BY instances_profile
    WHERE profile_id IN (?) AND space_id = ? AND status = 'active'`);
  const countThroughProfiles = db.prepare(`SELECT count(*) AS n FROM instances INDEXED BY instances_profile
    WHERE profile_id = ? AND journey_id = ? AND space_id = ? AND status = 'active'`);
  for (const endedCount of ENDED_COUNTS) {
    const profileId = `prf-${endedCount}`;
    const rows = [
      ...Array.from({ length: endedCount }, () => instance(profileId, JOURNEY, 'completed')),
      instance(profileId, JOURNEY, 'active'),
      instance(profileId, 'journey-other', 'active'),
    ];
    await Promise.all(rows.map((row) => store.instances.insert(row)));
    const refs = await store.instances.activeRefsForProfiles(SPACE, [profileId]);
    if (refs.length !== 2) throw new Error(`expected 2 active instances, read ${refs.length}`);
    results.push({
      ended: endedCount,
      refsUs: await timeCalls(() => store.instances.activeRefsForProfiles(SPACE, [profileId])),
      countUs: await timeCalls(() => store.instances.countActive(SPACE, JOURNEY, profileId)),
      enteredUs: await timeCalls(() => store.instances.hasEntered(SPACE, JOURNEY, profileId)),
      refsProfilesUs: await timeCalls(() => refsThroughProfiles.all(profileId, SPACE)),
      countProfilesUs: await timeCalls(() => countThroughProfiles.get(profileId, JOURNEY, SPACE)),
    });
  }
} finally {
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

const f = (us: number) => us.toFixed(1).padStart(8);
log(`µs per call (median of ${ROUNDS} rounds of ${CALLS.toLocaleString('en-US')}):`);
log('   ended | activeRefs | countActive | hasEntered | activeRefs via instances_profile | countActive via instances_profile');
for (const r of results) log(`${String(r.ended).padStart(8)} | ${f(r.refsUs)}   | ${f(r.countUs)}    | ${f(r.enteredUs)}   | ${f(r.refsProfilesUs)}                         | ${f(r.countProfilesUs)}`);
console.log(`BENCH ${JSON.stringify({
  name: 'instance-lookups', store: 'sqlite', calls: CALLS, rounds: ROUNDS,
  by_ended_instances: results.map((r) => ({
    ended: r.ended, active_refs_us: round2(r.refsUs), count_active_us: round2(r.countUs), has_entered_us: round2(r.enteredUs),
    active_refs_via_instances_profile_us: round2(r.refsProfilesUs), count_active_via_instances_profile_us: round2(r.countProfilesUs),
  })),
  machine: { cpus: machine.cpus, cpu: machine.cpuModel, node: machine.node },
})}`);

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
