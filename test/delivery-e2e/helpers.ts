/**
 * Shared pieces of the end-to-end delivery tests: a real HTTP sink on 127.0.0.1 that records what
 * the engine sends and answers as a test scripts it, and small API helpers (destinations,
 * journeys, deliveries, the test clock) over the public HTTP API.
 */
import http from 'node:http';
import type net from 'node:net';
import { expect } from 'chai';
import type { Answer } from '../support/test-engine.ts';

/** One request the sink received. */
export interface SinkRequest {
  /** 0-based arrival order. */
  n: number;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
  /** Date.now() when it arrived. */
  at: number;
  /** 1-based number of the TCP connection it came on, in the order the sink accepted them. */
  connection: number;
}

/** How the sink answers one request; `hang` never answers (until the sink closes). */
export type SinkReply = { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number } | 'hang';

/** Decides the answer to a request. */
export type SinkHandler = (req: SinkRequest) => SinkReply | Promise<SinkReply>;

/** A local HTTP server standing in for a destination. */
export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** Requests being answered right now, per path. */
  inFlight(path?: string): number;
  /** Highest number of requests in flight at once, per path. */
  maxInFlight(path?: string): number;
  handler: SinkHandler;
  /** Resolves once `count` requests arrived (rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** How many TCP connections the sink has accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts a sink answering 200 `{ok:true}` unless another handler is set. */
export async function startSink(handler: SinkHandler = () => ({ status: 200, body: { ok: true } })): Promise<Sink> {
  const requests: SinkRequest[] = [];
  const current = new Map<string, number>();
  const peak = new Map<string, number>();
  const sockets = new Set<net.Socket>();
  const connectionOf = new WeakMap<net.Socket, number>();
  let accepted = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const bump = (path: string, by: number) => {
    const now = (current.get(path) ?? 0) + by;
    current.set(path, now);
    current.set('*', (current.get('*') ?? 0) + by);
    peak.set(path, Math.max(peak.get(path) ?? 0, now));
    peak.set('*', Math.max(peak.get('*') ?? 0, current.get('*')!));
  };
  const sink: Sink = {
    url: '',
    requests,
    handler,
    inFlight: (path = '*') => current.get(path) ?? 0,
    maxInFlight: (path = '*') => peak.get(path) ?? 0,
    waitForRequests(count, timeoutMs = 5_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the sink got ${requests.length} of ${count} requests within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
      });
    },
    connections: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try { json = JSON.parse(body); } catch { json = undefined; }
      const path = (req.url ?? '/').split('?')[0]!;
      const r: SinkRequest = { n: requests.length, method: req.method ?? '', path, headers: req.headers, body, json, at: Date.now(), connection: connectionOf.get(req.socket) ?? 0 };
      requests.push(r);
      for (const w of waiters.splice(0)) {
        if (requests.length >= w.count) w.resolve();
        else waiters.push(w);
      }
      bump(path, 1);
      let done = false;
      const finish = () => { if (!done) { done = true; bump(path, -1); } };
      res.on('close', finish);
      const reply = await sink.handler(r);
      if (reply === 'hang') return;
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (res.destroyed) return;
      const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(text, finish);
    });
  });
  server.on('connection', (s) => {
    connectionOf.set(s, ++accepted);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return sink;
}

/** Anything with the test harness's `api` (an in-process TestEngine or an EngineProcess). */
export interface ApiClient {
  api(method: string, apiPath: string, body?: unknown): Promise<Answer>;
}

/** Expects `status` and answers the body. */
export async function ok(res: Promise<Answer>, status = 200): Promise<any> {
  const a = await res;
  expect(a.status, `${a.status} ${JSON.stringify(a.body)}`).to.equal(status);
  return a.body;
}

/** Creates a destination (built-in webhook unless `plugin` says otherwise) and answers its id. */
export async function createDestination(t: ApiClient, body: { name: string; plugin?: string; enabled?: boolean; settings?: object; delivery?: object }): Promise<string> {
  const created = await ok(t.api('POST', '/api/v1/destinations', { plugin: 'webhook', ...body }), 201);
  return created.destination.id as string;
}

/** The webhook `send` target of a destination. */
export function webhookTarget(destinationId: string) {
  return { type: 'destination', destinationId, action: 'send' };
}

/** Creates and publishes a journey; answers its id. */
export async function publishJourney(t: ApiClient, doc: object): Promise<string> {
  const created = await ok(t.api('POST', '/api/v1/journeys', doc), 201);
  const id = created.journey.id as string;
  await ok(t.api('POST', `/api/v1/journeys/${id}/publish`, {}));
  return id;
}

/** A journey that sends once on entry: entry event → `nudge` send step → exit. */
export function sendOnEntryJourney(name: string, entryEvent: string, nudge: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    entry: { event: entryEvent, reentry: { mode: 'once' } },
    start: 'nudge',
    steps: [
      { id: 'nudge', type: 'send', eventName: 'Cart Nudge', payload: { context: 'all', traits: 'all' }, next: 'done', ...nudge },
      { id: 'done', type: 'exit' },
    ],
  };
}

/** Every delivery of a journey (one page of up to 1000). */
export async function journeyDeliveries(t: ApiClient, journeyId: string): Promise<any[]> {
  const body = await ok(t.api('GET', `/api/v1/journeys/${journeyId}/deliveries?limit=1000`));
  return body.deliveries;
}

/** Engine time now (epoch ms). */
export async function engineNow(t: ApiClient): Promise<number> {
  return Date.parse((await ok(t.api('GET', '/api/v1/test-clock'))).now);
}

/** Moves the test clock forward and waits for what came due. */
export async function advance(t: ApiClient, ms: number): Promise<void> {
  await ok(t.api('POST', '/api/v1/test-clock/advance', { ms }));
}

/** Moves the test clock to just past `at` (epoch ms). */
export async function advancePast(t: ApiClient, at: number): Promise<void> {
  await advance(t, Math.max(0, at - (await engineNow(t))) + 1);
}
