/**
 * What the chaos run's engine is configured with: two webhook destinations pointing at the sink
 * (one sending alone, one in batches), and four published journeys that between them use every
 * kind of wait and branch with timers of a few seconds, so that timers come due all through the
 * run and across the kills:
 *
 * - cart:     checkout → hold until purchase (PT4S) → data split on the cart total → thanks, or nudge on timeout; a goal
 * - orders:   order → confirm (batched send) → delay PT3S → random split → follow-up or not; cancelling exits (with a send)
 * - welcome:  sign-up, once per profile → data split on the `plan` trait → welcome now, or after a PT2S delay
 * - reengage: app opened, one active instance at a time → delay PT2S → sticky random split → push (a flaky endpoint) or not
 */
import type { EngineProcess } from '../support/engine-process.ts';
import type { ChaosSink, SinkProfile } from './chaos-sink.ts';

/** Event names the load sends (prefixed, so nothing else in the space reacts to them). */
export const CHAOS_EVENTS = {
  checkout: 'chaos_checkout_started',
  purchase: 'chaos_purchase_completed',
  order: 'chaos_order_placed',
  cancel: 'chaos_order_cancelled',
  signup: 'chaos_signed_up',
  appOpened: 'chaos_app_opened',
  noise: 'chaos_noise',
} as const;

/** The journeys of the run. */
export type JourneyKey = 'cart' | 'orders' | 'welcome' | 'reengage';

/** Every journey key, in a fixed order. */
export const JOURNEY_KEYS: readonly JourneyKey[] = ['cart', 'orders', 'welcome', 'reengage'];

/** The entry event of each journey. */
export const ENTRY_EVENTS: Readonly<Record<JourneyKey, string>> = {
  cart: CHAOS_EVENTS.checkout, orders: CHAOS_EVENTS.order, welcome: CHAOS_EVENTS.signup, reengage: CHAOS_EVENTS.appOpened,
};

/** A cart total from this amount on takes the `big` branch of the cart journey's data split. */
export const BIG_CART_TOTAL = 100;

/** The webhook destinations' request timeout; the sink's slow answers stay well inside it, its hangs well past it. */
export const DESTINATION_TIMEOUT_MS = 2_000;

/** The shared secret of both destinations (the sink checks every request's signature). */
export const SHARED_SECRET = 'chaos-shared-secret-for-hmac';

const DEFAULT_PROFILE: SinkProfile = { ok: 55, slow: 12, error: 13, throttle: 8, hang: 4 };
const PROFILES: Readonly<Record<string, SinkProfile>> = {
  // Some welcomes are refused for good (400): those deliveries fail at once.
  '/welcome': { ...DEFAULT_PROFILE, reject: 4 },
  // A flaky endpoint: with 8 attempts at most, a few of its deliveries run out of retries.
  '/reengage': { ok: 25, slow: 5, error: 55, throttle: 10, hang: 5 },
};

/** How the sink answers on each path. */
export function sinkProfileFor(path: string): SinkProfile {
  return PROFILES[path] ?? DEFAULT_PROFILE;
}

async function call(engine: EngineProcess, method: string, path: string, body: unknown, status: number): Promise<Record<string, unknown>> {
  const answer = await engine.api(method, path, body);
  if (answer.status !== status) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body as Record<string, unknown>;
}

/** Configures destinations and publishes the four journeys; answers the journeys' ids. */
export async function setUpJourneys(engine: EngineProcess, sink: ChaosSink): Promise<Record<JourneyKey, string>> {
  const destination = async (name: string, delivery: Record<string, number>) => {
    const body = await call(engine, 'POST', '/api/v1/destinations', { plugin: 'webhook', name, settings: { sharedSecret: SHARED_SECRET }, delivery }, 201);
    return (body['destination'] as { id: string }).id;
  };
  const single = await destination('Chaos hook', { concurrency: 32, timeoutMs: DESTINATION_TIMEOUT_MS });
  const batched = await destination('Chaos batch hook', { concurrency: 4, timeoutMs: DESTINATION_TIMEOUT_MS, batchSize: 10, batchWaitMs: 50 });

  // Entry events must be in the catalog before publishing: a seed user performs each event once
  // (before any journey is published, so these start nothing).
  for (const event of Object.values(CHAOS_EVENTS)) {
    const seeded = await engine.ingest('/v1/track', { userId: 'chaos-seed', event, messageId: `seed-${event}`, properties: { cart_id: 'seed', order_id: 'seed' } });
    if (seeded.status !== 200) throw new Error(`seeding ${event} answered ${seeded.status}`);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const catalog = await call(engine, 'GET', '/api/v1/catalog/events', undefined, 200);
    const names = new Set((catalog['events'] as Array<{ name: string }>).map((e) => e.name));
    if (Object.values(ENTRY_EVENTS).every((e) => names.has(e))) break;
    if (Date.now() > deadline) throw new Error('the seed events did not reach the catalog within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const send = (id: string, eventName: string, path: string, next: string, destinationId = single) => ({
    id, type: 'send', eventName, next, ...sendSpec(destinationId, sink.url(path)),
  });
  const exit = (id: string) => ({ id, type: 'exit' });
  const docs: Record<JourneyKey, Record<string, unknown>> = {
    cart: {
      name: 'Chaos: cart abandonment',
      entry: {
        event: CHAOS_EVENTS.checkout, conditions: [{ path: 'properties.cart_id', operator: 'exists' }],
        reentry: { mode: 'multiple_active', identifier: 'properties.cart_id' },
      },
      start: 'wait-purchase',
      steps: [
        {
          id: 'wait-purchase', type: 'hold_until', branches: [{ id: 'purchased', event: CHAOS_EVENTS.purchase, next: 'big-spender' }],
          timeout: { after: 'PT4S', next: 'nudge' },
        },
        {
          id: 'big-spender', type: 'data_split', otherwise: { next: 'bought' },
          branches: [{ id: 'big', conditions: [{ path: `context.${CHAOS_EVENTS.checkout}.properties.total`, operator: 'gte', value: BIG_CART_TOTAL }], next: 'thanks' }],
        },
        send('thanks', 'Big Order Thanks', '/thanks', 'thanked'),
        send('nudge', 'Cart Nudge', '/nudge', 'nudged'),
        exit('thanked'), exit('bought'), exit('nudged'),
      ],
      goals: [{ id: 'purchase', event: CHAOS_EVENTS.purchase, within: 'PT1M' }],
    },
    orders: {
      name: 'Chaos: order follow-up',
      entry: { event: CHAOS_EVENTS.order, reentry: { mode: 'multiple_active', identifier: 'properties.order_id' } },
      start: 'confirm',
      steps: [
        send('confirm', 'Order Confirmed', '/confirm', 'cool-off', batched),
        { id: 'cool-off', type: 'delay', wait: { type: 'duration', duration: 'PT3S' }, next: 'ab' },
        { id: 'ab', type: 'random_split', branches: [{ id: 'a', percent: 50, next: 'follow-up' }, { id: 'b', percent: 50, next: 'quiet' }] },
        send('follow-up', 'Order Follow-up', '/follow-up', 'followed-up'),
        exit('followed-up'), exit('quiet'),
      ],
      exitRules: [{
        id: 'cancelled', event: CHAOS_EVENTS.cancel, matchIdentifier: true,
        send: { eventName: 'Order Cancelled', ...sendSpec(single, sink.url('/cancelled')) },
      }],
    },
    welcome: {
      name: 'Chaos: welcome',
      entry: { event: CHAOS_EVENTS.signup, reentry: { mode: 'once' } },
      start: 'plan',
      steps: [
        {
          id: 'plan', type: 'data_split', otherwise: { next: 'settle-in' },
          branches: [{ id: 'pro', conditions: [{ path: 'traits.plan', operator: 'equals', value: 'pro' }], next: 'welcome-pro' }],
        },
        send('welcome-pro', 'Welcome Pro', '/welcome', 'welcomed-pro'),
        { id: 'settle-in', type: 'delay', wait: { type: 'duration', duration: 'PT2S' }, next: 'welcome' },
        send('welcome', 'Welcome', '/welcome', 'welcomed'),
        exit('welcomed-pro'), exit('welcomed'),
      ],
    },
    reengage: {
      name: 'Chaos: re-engagement',
      entry: { event: CHAOS_EVENTS.appOpened, reentry: { mode: 'one_active' } },
      start: 'linger',
      steps: [
        { id: 'linger', type: 'delay', wait: { type: 'duration', duration: 'PT2S' }, next: 'push-or-not' },
        { id: 'push-or-not', type: 'random_split', sticky: true, branches: [{ id: 'push', percent: 70, next: 'push' }, { id: 'none', percent: 30, next: 'skipped' }] },
        send('push', 'Come Back', '/reengage', 'pushed'),
        exit('pushed'), exit('skipped'),
      ],
    },
  };
  const ids = {} as Record<JourneyKey, string>;
  for (const key of JOURNEY_KEYS) {
    const created = await call(engine, 'POST', '/api/v1/journeys', docs[key], 201);
    const id = (created['journey'] as { id: string }).id;
    await call(engine, 'POST', `/api/v1/journeys/${id}/publish`, {}, 200);
    ids[key] = id;
  }
  return ids;
}

/** A send's target, payload selection and mapping: the sink's path, the idempotency key as header and in the body. */
function sendSpec(destinationId: string, url: string) {
  return {
    target: { type: 'destination', destinationId, action: 'send' },
    payload: { context: 'all', traits: ['plan'] },
    mapping: {
      url, method: 'POST', idempotency_key: { '@path': '$.messageId' },
      data: { key: { '@path': '$.messageId' }, event: { '@path': '$.event' }, user: { '@path': '$.userId' }, instance: { '@path': '$.context.journey.instance_id' } },
    },
  };
}
