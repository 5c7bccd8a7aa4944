/**
 * Helpers of the runtime scenario files (runtime-*.test.ts), on top of scenario-helpers.ts:
 * a fresh test-clock engine per test, the engine's clock, and short ways to read one instance.
 */
import { expect } from 'chai';
import { startTestEngine, type StoreMode, type TestEngine } from '../../support/test-engine.ts';
import { instanceDetail, instancesOf, type ActivityView, type DeliveryView, type InstanceView } from './scenario-helpers.ts';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/**
 * Starts a fresh engine (on `store`) on the test clock before each test of the enclosing
 * `describe` and closes it after: tests never see each other's timers, journeys or activation keys.
 */
export function useClockEngine(store: StoreMode = 'sqlite'): () => TestEngine {
  let engine: TestEngine | null = null;
  beforeEach(async () => {
    engine = await startTestEngine({ testClock: true }, { store });
  });
  afterEach(async () => {
    await engine?.close();
    engine = null;
  });
  return () => {
    if (engine === null) throw new Error('the engine runs only inside a test');
    return engine;
  };
}

/** The engine's "now" in ms (real time plus every advance), as GET /api/v1/test-clock says. */
export async function engineNow(t: TestEngine): Promise<number> {
  const res = await t.api('GET', '/api/v1/test-clock');
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return Date.parse(res.body.now);
}

/** Sends several track events in one `/v1/batch` request (at most 100 a call keeps it small); does not settle. */
export async function trackBatch(t: TestEngine, events: Array<Record<string, unknown>>): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const res = await t.ingest('/v1/batch', { batch: events.slice(i, i + 100).map((e) => ({ type: 'track', ...e })) });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  }
}

/** The one instance a user has in a journey (fails if there is not exactly one). */
export async function onlyInstance(t: TestEngine, journeyId: string, userId: string): Promise<InstanceView> {
  const instances = await instancesOf(t, journeyId, userId);
  expect(instances, `instances of ${userId}`).to.have.lengthOf(1);
  return instances[0]!;
}

/** A user's instance whose identifier (session id, order id…) is `identifier`. */
export async function sessionOf(t: TestEngine, journeyId: string, userId: string, identifier: string): Promise<InstanceView> {
  const found = (await instancesOf(t, journeyId, userId)).filter((i) => i.identifier === identifier);
  expect(found, `instances of ${userId} with identifier ${identifier}`).to.have.lengthOf(1);
  return found[0]!;
}

/** An instance's timeline and deliveries, re-read from the API. */
export async function timelineOf(t: TestEngine, journeyId: string, instanceId: string): Promise<{ instance: InstanceView; activity: ActivityView[]; deliveries: DeliveryView[] }> {
  return instanceDetail(t, journeyId, instanceId);
}

/** The reasons of an instance's activities of one type, in order. */
export function reasonsOf(activity: ActivityView[], type: string): string[] {
  return activity.filter((a) => a.type === type).map((a) => a.reason ?? '');
}
