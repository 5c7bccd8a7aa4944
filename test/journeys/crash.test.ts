/**
 * product.md "Reliability": processing resumes after a crash from what was stored — no
 * acknowledged event is lost, no instance is lost, every due timer fires once. The real engine
 * runs as a child process and is killed with SIGKILL while batches keep arriving and timers are
 * firing, then started again on the same data directory. Where the kill lands is up to timing, so
 * a second test stages the one crash window that matters most for duplicates deterministically:
 * events applied but not yet marked processed.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SQLITE_FILE } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { attachEventLog } from '../../engine/store/sqlite/sqlite-event-log-file.ts';
import { removeDir, startTestEngine, tempDataDir, type TestEngine } from '../support/test-engine.ts';
import { allPages, startEngineProcess, type EngineProcess } from '../support/engine-process.ts';

const WRITE_KEY = 'wk_crash-test-write-key-0001';
const ADMIN_TOKEN = 'adm_crash-test-admin-token-0001';
const HOLD_EVENT = 'Crash Cart Updated';
const DELAY_EVENT = 'Crash Trial Started';
const USERS_BEFORE_CRASH = 300;
const USERS_PER_BATCH = 25;
const MINUTE_MS = 60_000;

/** Cart abandonment: wait up to an hour for a purchase nobody makes, then remind. */
const holdJourney = {
  name: 'Crash: cart reminder',
  entry: { event: HOLD_EVENT },
  start: 'wait',
  steps: [
    { id: 'wait', type: 'hold_until', branches: [{ id: 'bought', event: 'Crash Order Completed', next: 'done' }], timeout: { after: 'PT1H', next: 'remind' } },
    { id: 'remind', type: 'send', eventName: 'Cart Reminder', next: 'done' },
    { id: 'done', type: 'exit' },
  ],
};

/** Trial follow-up: wait 30 minutes, then send a tip. */
const delayJourney = {
  name: 'Crash: trial tip',
  entry: { event: DELAY_EVENT },
  start: 'later',
  steps: [
    { id: 'later', type: 'delay', wait: { type: 'duration', duration: 'PT30M' }, next: 'tip' },
    { id: 'tip', type: 'send', eventName: 'Trial Tip', next: 'done' },
    { id: 'done', type: 'exit' },
  ],
};

/** One batch: each user performs both entry events. */
interface SentBatch {
  users: string[];
  messageIds: string[];
  body: { batch: Array<Record<string, unknown>> };
  acknowledged: boolean;
}

function makeBatch(firstUser: number): SentBatch {
  const users = Array.from({ length: USERS_PER_BATCH }, (_, i) => `crash-user-${firstUser + i}`);
  const batch = users.flatMap((userId) => [
    { type: 'track', userId, event: HOLD_EVENT, messageId: `${userId}-cart`, properties: { total: 42 } },
    { type: 'track', userId, event: DELAY_EVENT, messageId: `${userId}-trial`, properties: { plan: 'pro' } },
  ]);
  return { users, messageIds: batch.map((m) => m.messageId), body: { batch }, acknowledged: false };
}

async function ok(res: Promise<{ status: number; body: any }>, status = 200): Promise<any> {
  const answer = await res;
  expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
  return answer.body;
}

describe('crash: SIGKILL while events arrive, then a restart on the same data', function () {
  this.timeout(30_000);
  let dataDir: string;
  const started: EngineProcess[] = [];

  before(() => { dataDir = tempDataDir(); });
  after(async () => {
    for (const engine of started) await engine.kill();
    removeDir(dataDir);
  });

  async function start(): Promise<EngineProcess> {
    const engine = await startEngineProcess({ dataDir, writeKey: WRITE_KEY, adminToken: ADMIN_TOKEN });
    started.push(engine);
    return engine;
  }

  it('loses no acknowledged event, no instance and no timer, and fires every timer once', async () => {
    const first = await start();
    await ok(first.ingest('/v1/batch', { batch: [HOLD_EVENT, DELAY_EVENT].map((event) => ({ type: 'track', userId: 'crash-catalog-seed', event })) }));
    await ok(first.api('POST', '/api/v1/test-clock/advance', { ms: 0 }));
    const journeys: Record<string, string> = {};
    for (const doc of [holdJourney, delayJourney]) {
      const created = await ok(first.api('POST', '/api/v1/journeys', doc), 201);
      await ok(first.api('POST', `/api/v1/journeys/${created.journey.id}/publish`, {}));
      journeys[doc.entry.event] = created.journey.id;
    }

    // 300 users enter both journeys; every batch is acknowledged and processed before the crash.
    const batches: SentBatch[] = [];
    const post = async (batch: SentBatch) => {
      batches.push(batch);
      const res = await first.ingest('/v1/batch', batch.body);
      batch.acknowledged = res.status === 200;
    };
    const initial = Array.from({ length: USERS_BEFORE_CRASH / USERS_PER_BATCH }, (_, i) => makeBatch(i * USERS_PER_BATCH));
    await Promise.all(initial.map(post));
    expect(initial.every((b) => b.acknowledged)).to.equal(true);
    await ok(first.api('POST', '/api/v1/test-clock/advance', { ms: 0 }));

    // More keep arriving from three clients while the clock moves past the delays; then the process dies.
    let nextUser = USERS_BEFORE_CRASH;
    let acknowledgedDuringLoad = 0;
    let killed = false;
    const client = async () => {
      while (!killed) {
        const batch = makeBatch(nextUser);
        nextUser += USERS_PER_BATCH;
        try {
          await post(batch);
          if (batch.acknowledged) acknowledgedDuringLoad++;
        } catch {
          return; // the connection died with the process
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const clients = [client(), client(), client()];
    const timersFiring = first.api('POST', '/api/v1/test-clock/advance', { ms: 31 * MINUTE_MS }).catch(() => null);
    // Die once delay timers have started firing (or after 5 s) with client batches acknowledged in between.
    const firingSince = Date.now();
    while (Date.now() - firingSince < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (acknowledgedDuringLoad < 3) continue;
      const sent = await first.api('GET', `/api/v1/journeys/${journeys[DELAY_EVENT]}/deliveries?limit=1`);
      if (sent.body.deliveries.length > 0) break;
    }
    killed = true;
    await first.kill();
    await Promise.all([...clients, timersFiring]);

    // Restart on the same data directory: its test clock starts again at real time.
    const second = await start();
    const storedIds = async () => {
      const events = await allPages<{ messageId: string; userId: string }>(second, '/api/v1/events?type=track', 'events');
      return events.map((e) => e.messageId).filter((id) => id.startsWith('crash-user-'));
    };
    const afterCrash = new Set(await storedIds());
    const acknowledged = batches.filter((b) => b.acknowledged).flatMap((b) => b.messageIds);
    expect(acknowledged.length).to.be.greaterThan(2 * USERS_BEFORE_CRASH);
    expect(acknowledged.filter((id) => !afterCrash.has(id)), 'acknowledged events missing after the crash').to.deep.equal([]);

    // Clients retry what was not acknowledged (same messageIds); one acknowledged batch is sent again too.
    for (const batch of batches.filter((b) => !b.acknowledged)) await ok(second.ingest('/v1/batch', batch.body));
    await ok(second.ingest('/v1/batch', initial[0]!.body));
    // Process them first (advancing by 0 settles): entries made after the big advance would start their timers from then.
    await ok(second.api('POST', '/api/v1/test-clock/advance', { ms: 0 }));
    await ok(second.api('POST', '/api/v1/test-clock/advance', { ms: 3 * 60 * MINUTE_MS }));

    const users = batches.flatMap((b) => b.users).filter((u, i, all) => all.indexOf(u) === i);
    const stored = await storedIds();
    expect(stored.length, 'each event stored once').to.equal(new Set(stored).size);
    expect(new Set(stored)).to.deep.equal(new Set(batches.flatMap((b) => b.messageIds)));

    for (const [event, journeyId, reminder] of [[HOLD_EVENT, journeys[HOLD_EVENT]!, 'Cart Reminder'], [DELAY_EVENT, journeys[DELAY_EVENT]!, 'Trial Tip']] as const) {
      const instances = await allPages<any>(second, `/api/v1/journeys/${journeyId}/instances`, 'instances');
      const entered = instances.map((i) => i.context[event].userId as string).filter((u) => u !== 'crash-catalog-seed');
      expect(entered.length, `${event}: one instance per user`).to.equal(new Set(entered).size);
      expect(new Set(entered), `${event}: every user entered`).to.deep.equal(new Set(users));
      const waiting = instances.filter((i) => i.status !== 'completed' || i.waiting !== null);
      expect(waiting.map((i) => `${i.id} ${i.status} ${i.currentStep} ${i.waiting?.until} entered ${i.enteredAt}`), `${event}: instances not finished`).to.deep.equal([]);

      const deliveries = await allPages<any>(second, `/api/v1/journeys/${journeyId}/deliveries`, 'deliveries');
      expect(deliveries.length, `${event}: one delivery per instance`).to.equal(instances.length);
      expect(new Set(deliveries.map((d) => d.idempotencyKey)).size).to.equal(deliveries.length);
      expect(new Set(deliveries.map((d) => d.instanceId))).to.deep.equal(new Set(instances.map((i) => i.id)));
      expect(deliveries.every((d) => d.eventName === reminder)).to.equal(true);

      const activity = await allPages<any>(second, `/api/v1/journeys/${journeyId}/activity`, 'activity');
      // Each trigger started its user's instance: processing it again after the crash must not record it as ignored.
      expect(activity.filter((a) => a.type === 'trigger_ignored').map((a) => a.reason), `${event}: triggers recorded as ignored`).to.deep.equal([]);
      const fired = activity.filter((a) => a.type === (event === HOLD_EVENT ? 'timed_out' : 'delay_over'));
      expect(fired.length, `${event}: each timer fired once`).to.equal(instances.length);
      expect(new Set(fired.map((a) => a.instanceId)).size).to.equal(instances.length);
    }
  });
});

describe('crash: events processed but not marked processed are processed again without effect', () => {
  let dataDir: string;
  const running: TestEngine[] = [];
  beforeEach(() => { dataDir = tempDataDir(); });
  afterEach(async () => {
    for (const t of running.splice(0)) await t.close();
    removeDir(dataDir);
  });

  async function start(): Promise<TestEngine> {
    const t = await startTestEngine({ dataDir, testClock: true });
    running.push(t);
    return t;
  }

  async function pages<T>(t: TestEngine, apiPath: string, key: string): Promise<T[]> {
    const body = await ok(t.api('GET', `${apiPath}?limit=1000`));
    expect(body.nextCursor).to.equal(null);
    return body[key];
  }

  it('starts no second instance, records no trigger as ignored, and fires each timer once', async () => {
    const first = await start();
    await ok(first.ingest('/v1/batch', { batch: [HOLD_EVENT, DELAY_EVENT].map((event) => ({ type: 'track', userId: 'crash-catalog-seed', event })) }));
    await first.settle();
    const journeyIds: string[] = [];
    for (const doc of [holdJourney, delayJourney]) {
      const created = await ok(first.api('POST', '/api/v1/journeys', doc), 201);
      await ok(first.api('POST', `/api/v1/journeys/${created.journey.id}/publish`, {}));
      journeyIds.push(created.journey.id);
    }
    await ok(first.ingest('/v1/batch', makeBatch(0).body));
    await first.settle();
    const before = await Promise.all(journeyIds.map((id) => pages<any>(first, `/api/v1/journeys/${id}/instances`, 'instances')));
    const activityBefore = await Promise.all(journeyIds.map((id) => pages<any>(first, `/api/v1/journeys/${id}/activity`, 'activity')));
    expect(before.map((list) => list.length)).to.deep.equal([USERS_PER_BATCH, USERS_PER_BATCH]);
    running.splice(0);
    await first.close();

    // As if the process had died after applying the batch but before recording that it had: the
    // processed-events cursor of the embedded store goes back to just before the batch.
    const db = new Database(path.join(dataDir, SQLITE_FILE));
    attachEventLog(db, dataDir);
    const { seq } = db.prepare("SELECT min(seq) AS seq FROM events WHERE message_id LIKE 'crash-user-%'").get() as { seq: number };
    expect(db.prepare("UPDATE meta SET value = ? WHERE key = 'events.processed_seq'").run(String(seq - 1)).changes).to.equal(1);
    db.close();

    const second = await start();
    await second.settle();
    for (const [i, journeyId] of journeyIds.entries()) {
      const after = await pages<any>(second, `/api/v1/journeys/${journeyId}/instances`, 'instances');
      expect(after.map((x) => x.id)).to.deep.equal(before[i]!.map((x: any) => x.id));
      const activity = await pages<any>(second, `/api/v1/journeys/${journeyId}/activity`, 'activity');
      expect(activity.filter((a) => a.type === 'trigger_ignored')).to.deep.equal([]);
      expect(activity.map((a) => a.id)).to.deep.equal(activityBefore[i]!.map((a: any) => a.id));
    }
    await ok(second.api('POST', '/api/v1/test-clock/advance', { ms: 2 * 60 * MINUTE_MS }));
    for (const journeyId of journeyIds) {
      const instances = await pages<any>(second, `/api/v1/journeys/${journeyId}/instances`, 'instances');
      const deliveries = await pages<any>(second, `/api/v1/journeys/${journeyId}/deliveries`, 'deliveries');
      expect(instances.every((x) => x.status === 'completed')).to.equal(true);
      expect(deliveries.map((d) => d.instanceId).sort()).to.deep.equal(instances.map((x) => x.id).sort());
    }
  });
});
