/**
 * One scenario the observability tests read back: a cart journey on the test clock where each
 * user takes a different path, so every figure, filter and timeline has something to show.
 *
 * - buyer: buys an hour after viewing → branch `bought`, converted, `thanks` sent (sink 200), completed;
 * - waiter: never buys → times out after a day → `nudge` fails (sink 400), completed;
 * - leaver: an order of 0 is ignored (branch and goal conditions), then unsubscribes → exited by rule;
 * - late: views the cart after the day has passed and is still waiting.
 */
import { expect } from 'chai';
import { startTestEngine, type StoreMode, type TestEngine } from '../support/test-engine.ts';
import { Sink, createWebhook, unique } from '../delivery-api/delivery-api-helpers.ts';
import { advance, createAndPublish } from '../journeys/scenarios/scenario-helpers.ts';
import { engineNow, HOUR, DAY } from '../journeys/scenarios/runtime-helpers.ts';

/** What the scenario left behind. */
export interface CartScenario {
  journeyId: string;
  users: { buyer: string; waiter: string; leaver: string; late: string };
  /** Engine time when the first three users viewed their carts, and when `late` did. */
  startedAt: number;
  lateAt: number;
}

/** The journey: hold up to a day for an order over 0, thank or nudge, exit; a goal and an exit rule. */
export function cartJourney(okUrl: string, badUrl: string, destinationId: string) {
  const target = { type: 'destination', destinationId, action: 'send' };
  return {
    name: unique('Observed cart'),
    entry: { event: 'Cart Viewed', whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
    start: 'wait',
    steps: [
      {
        id: 'wait', type: 'hold_until',
        branches: [{ id: 'bought', event: 'Order Completed', conditions: [{ path: 'properties.total', operator: 'gt', value: 0 }], next: 'thanks' }],
        timeout: { after: 'P1D', next: 'nudge' },
        lookback: 'PT1M',
      },
      { id: 'thanks', type: 'send', eventName: 'Thanks', target, payload: { context: 'all' }, mapping: { url: okUrl, data: { '@path': '$.' } }, next: 'done' },
      { id: 'nudge', type: 'send', eventName: 'Nudge', target, payload: { context: 'all' }, mapping: { url: badUrl, data: { '@path': '$.' } }, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
    goals: [{ id: 'purchase', event: 'Order Completed', within: 'P7D', conditions: [{ path: 'properties.total', operator: 'gt', value: 0 }] }],
    exitRules: [{ id: 'unsubscribed', event: 'Unsubscribed' }],
  };
}

async function track(t: TestEngine, userId: string, event: string, properties: Record<string, unknown> = {}): Promise<void> {
  const res = await t.ingest('/v1/track', { userId, event, properties });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
}

/** Runs the scenario on a test-clock engine; the sink must be started (its `/bad` path answers 400). */
export async function runCartScenario(t: TestEngine, sink: Sink): Promise<CartScenario> {
  sink.answer('/bad', 400);
  const seed = unique('seed');
  for (const event of ['Cart Viewed', 'Order Completed', 'Unsubscribed']) await track(t, seed, event);
  await t.settle();
  const destinationId = await createWebhook(t);
  const journey = await createAndPublish(t, cartJourney(sink.url('/ok'), sink.url('/bad'), destinationId));
  const users = { buyer: unique('buyer'), waiter: unique('waiter'), leaver: unique('leaver'), late: unique('late') };
  const startedAt = await engineNow(t);
  for (const user of [users.buyer, users.waiter, users.leaver]) await track(t, user, 'Cart Viewed', { items: 2 });
  await t.settle();
  await advance(t, HOUR);
  await track(t, users.buyer, 'Order Completed', { total: 50 });
  await track(t, users.leaver, 'Order Completed', { total: 0 });
  await t.settle();
  await track(t, users.leaver, 'Unsubscribed');
  await t.settle();
  await advance(t, DAY);
  const lateAt = await engineNow(t);
  await track(t, users.late, 'Cart Viewed', { items: 1 });
  await t.settle();
  return { journeyId: journey.id, users, startedAt, lateAt };
}

/** The engine, sink and scenario a describe block reads; `before` runs the scenario once on `store`. */
export interface ScenarioFixture {
  t: TestEngine;
  sink: Sink;
  scenario: CartScenario;
}

/**
 * Runs the cart scenario once before the enclosing describe's tests (on a fresh test-clock
 * engine on `store`) and closes everything after; `then` runs extra setup on the same engine.
 */
export function useCartScenario(store: StoreMode, then: (fixture: ScenarioFixture) => Promise<void> = async () => {}): () => ScenarioFixture {
  let fixture: ScenarioFixture | null = null;
  let engine: TestEngine | null = null;
  const sink = new Sink();
  before(async function () {
    this.timeout(60_000);
    await sink.start();
    engine = await startTestEngine({ testClock: true }, { store });
    fixture = { t: engine, sink, scenario: await runCartScenario(engine, sink) };
    await then(fixture);
  });
  after(async () => {
    await engine?.close();
    await sink.stop();
  });
  return () => {
    if (fixture === null) throw new Error('the scenario runs only inside its describe block');
    return fixture;
  };
}
