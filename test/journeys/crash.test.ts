/**
 * product.md "Reliability": processing resumes after a crash from what was stored — no
 * acknowledged event is lost, no instance is lost, every due timer fires once. The real engine
 * runs as a child process and is killed with SIGKILL while batches keep arriving and timers are
 * firing, then started again on the same data directory.
 */
import { expect } from 'chai';
import { removeDir, tempDataDir } from '../support/test-engine.ts';
import { startEngineProcess, type EngineProcess } from '../support/engine-process.ts';

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

/** Every page of a list endpoint (`?limit=1000&cursor=`). */
async function allPages<T>(engine: EngineProcess, apiPath: string, key: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000', ...(cursor !== null ? { cursor } : {}) });
    const body = await ok(engine.api('GET', `${apiPath}${apiPath.includes('?') ? '&' : '?'}${query}`));
    items.push(...body[key]);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return items;
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
      const fired = activity.filter((a) => a.type === (event === HOLD_EVENT ? 'timed_out' : 'step_reached') && (event === HOLD_EVENT || a.reason === 'delay over'));
      expect(fired.length, `${event}: each timer fired once`).to.equal(instances.length);
      expect(new Set(fired.map((a) => a.instanceId)).size).to.equal(instances.length);
    }
  });
});
