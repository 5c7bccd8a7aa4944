/**
 * Shared helpers for the deliveries API tests (deliveries-*.test.ts). Journeys send through the
 * built-in webhook to a real local HTTP sink (deliveries run on the processing thread, which nock
 * in this process cannot see).
 *
 * The sink answers per path, so each test owns its path and its journey; switching a path's
 * answer from 400 to 200 is how a "fixed" receiver is simulated.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';
import type { EngineConfig } from '../../engine/config.ts';

/** One request the sink received. */
export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver whose answer is set per path (200 unless told otherwise). */
export class Sink {
  readonly received: Received[] = [];
  readonly #status = new Map<string, number>();
  #server: http.Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => { body += chunk; });
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ method: req.method ?? '', path, headers: req.headers, body });
        const status = this.#status.get(path) ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status < 300 ? { ok: true } : { error: `refused with ${status}` }));
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  answer(path: string, status: number): void {
    this.#status.set(path, status);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

let counter = 0;
/** A name, id or event no other test uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** A time the API shows as epoch ms or as an ISO string, as epoch ms. */
export function epochMs(value: number | string): number {
  return typeof value === 'number' ? value : Date.parse(value);
}

/** Expects an API error with this status, code and (when given) path. */
export function expectError(res: Answer, status: number, code: string, path?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body.error.code, JSON.stringify(res.body)).to.equal(code);
  if (path !== undefined) expect(res.body.error.path, JSON.stringify(res.body)).to.equal(path);
}

export async function createWebhook(t: TestEngine, settings: Record<string, unknown> = {}): Promise<string> {
  const res = await t.api('POST', '/api/v1/destinations', { plugin: 'webhook', name: unique('Sink hook'), settings });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.destination.id;
}

/** Creates and publishes a journey: on `event`, send once to `url` through `target`, then exit. */
export async function publishSendJourney(t: TestEngine, event: string, target: unknown, url: string): Promise<string> {
  // The entry event must be in the catalog before publishing: a throwaway user sends it first.
  const seed = await t.ingest('/v1/track', { userId: unique('catalog-seed'), event });
  expect(seed.status).to.equal(200);
  await t.settle();
  const doc = {
    name: unique(`Forward ${event}`),
    entry: { event, whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
    start: 'forward',
    steps: [
      {
        id: 'forward', type: 'send', eventName: `${event} Forwarded`, target,
        payload: { context: 'all', traits: ['email'] },
        mapping: { url, data: { '@path': '$.' } },
        next: 'done',
      },
      { id: 'done', type: 'exit' },
    ],
  };
  const created = await t.api('POST', '/api/v1/journeys', doc);
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const published = await t.api('POST', `/api/v1/journeys/${created.body.journey.id}/publish`, {});
  expect(published.status, JSON.stringify(published.body)).to.equal(200);
  return created.body.journey.id;
}

/** Each user performs `event` once; waits until the engine has processed everything (sends included). */
export async function enter(t: TestEngine, event: string, userIds: string[]): Promise<void> {
  for (const userId of userIds) {
    const res = await t.ingest('/v1/track', { userId, event, properties: { cart: userId } });
    expect(res.status).to.equal(200);
  }
  await t.settle();
}

/** Advances engine time by `ms` (test clock) and waits for what became due, retries included. */
export async function advanceClock(t: TestEngine, ms: number): Promise<void> {
  const res = await t.api('POST', '/api/v1/test-clock/advance', { ms });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  await t.settle();
}

export async function deliveriesOfJourney(t: TestEngine, journeyId: string): Promise<any[]> {
  const res = await t.api('GET', `/api/v1/deliveries?journeyId=${journeyId}&limit=1000`);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.deliveries;
}

export async function delivery(t: TestEngine, id: string): Promise<any> {
  const res = await t.api('GET', `/api/v1/deliveries/${id}`);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.delivery;
}

/**
 * Starts the sink and a test-clock engine before the enclosing suite and stops both after it;
 * `use` receives the engine (tests keep their own `t`).
 */
export function withEngineAndSink(sink: Sink, use: (t: TestEngine) => void, config: Partial<EngineConfig> = {}): void {
  let t: TestEngine | null = null;
  before(async () => {
    await sink.start();
    t = await startTestEngine({ testClock: true, ...config });
    use(t);
  });
  after(async () => {
    await t?.close();
    await sink.stop();
  });
}
