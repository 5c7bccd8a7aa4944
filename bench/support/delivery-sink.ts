/**
 * A local HTTP endpoint standing in for a webhook destination: node:http with keep-alive, answers
 * 200 at once, and records when each payload arrived (performance.now() of this process, once its
 * body is complete) under its `Idempotency-Key` header. A key seen again is counted as a duplicate.
 *
 * Batch calls of the built-in webhook (`delivery.batchSize` > 1) post a JSON array and list every
 * item's key, comma-separated in body order, in `X-Idempotency-Keys` (their `Idempotency-Key` is a
 * digest of the batch): each item counts as its own arrival under its own key.
 */
import http from 'node:http';
import type net from 'node:net';

/** One payload the sink received (the first arrival of its idempotency key). */
export interface Arrival {
  key: string;
  /** performance.now() when the body was complete. */
  at: number;
  /** The payload's JSON (a batch item's own JSON). */
  body: string;
}

export interface DeliverySink {
  url: string;
  /** Distinct idempotency keys received. */
  readonly distinct: number;
  /** Requests in all, repeats included. */
  readonly requests: number;
  /** Batch requests (X-Idempotency-Keys) among them, and the items they carried. */
  readonly batchRequests: number;
  readonly batchItems: number;
  /** Batch requests whose body was not an array of as many items as keys (their items are not counted). */
  readonly malformedBatches: number;
  /** Payloads whose key had arrived before. */
  readonly duplicates: number;
  /** Payloads without an idempotency key. */
  readonly missingKey: number;
  /** Most connections the engine held open to the sink at once. */
  readonly maxConnections: number;
  /** performance.now() of the last request. */
  readonly lastArrivalAt: number;
  /** Every repeated key, for the duplicate report. */
  readonly repeatedKeys: readonly string[];
  /** How often this key arrived (0 when never). */
  timesSeen(key: string): number;
  /** Called on every first arrival of a key. */
  onArrival: ((arrival: Arrival) => void) | null;
  /** Resolves when `count` distinct keys arrived, or with false when none arrived for `stallMs` (or `timeoutMs` passed). */
  waitForDistinct(count: number, options: { stallMs: number; timeoutMs: number }): Promise<boolean>;
  /** Resolves when `done()` holds, or with false when nothing arrived for `stallMs` (or `timeoutMs` passed). */
  waitUntil(done: () => boolean, options: { stallMs: number; timeoutMs: number }): Promise<boolean>;
  close(): Promise<void>;
}

export async function startDeliverySink(): Promise<DeliverySink> {
  const seen = new Map<string, number>();
  const repeatedKeys: string[] = [];
  const sockets = new Set<net.Socket>();
  let requests = 0;
  let batchRequests = 0;
  let batchItems = 0;
  let malformedBatches = 0;
  let duplicates = 0;
  let missingKey = 0;
  let maxConnections = 0;
  let lastArrivalAt = performance.now();
  const receive = (key: string | undefined, at: number, body: () => string) => {
    if (!key) {
      missingKey++;
      return;
    }
    const times = seen.get(key) ?? 0;
    seen.set(key, times + 1);
    if (times > 0) {
      duplicates++;
      repeatedKeys.push(key);
      return;
    }
    sink.onArrival?.({ key, at, body: body() });
  };
  const server = http.createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      requests++;
      lastArrivalAt = at;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
      res.end('{"ok":true}');
      const batchHeader = req.headers['x-idempotency-keys'];
      if (typeof batchHeader === 'string') {
        batchRequests++;
        const keys = batchHeader.split(',');
        let items: unknown;
        try {
          items = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          items = null;
        }
        if (!Array.isArray(items) || items.length !== keys.length) {
          malformedBatches++;
          return;
        }
        batchItems += items.length;
        keys.forEach((key, i) => receive(key.trim(), at, () => JSON.stringify(items[i])));
        return;
      }
      const header = req.headers['idempotency-key'];
      receive(Array.isArray(header) ? header[0] : header, at, () => Buffer.concat(chunks).toString('utf8'));
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 120_000;
  server.on('connection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    if (sockets.size > maxConnections) maxConnections = sockets.size;
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sink: DeliverySink = {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get distinct() { return seen.size; },
    get requests() { return requests; },
    get batchRequests() { return batchRequests; },
    get batchItems() { return batchItems; },
    get malformedBatches() { return malformedBatches; },
    get duplicates() { return duplicates; },
    get missingKey() { return missingKey; },
    get maxConnections() { return maxConnections; },
    get lastArrivalAt() { return lastArrivalAt; },
    repeatedKeys,
    timesSeen: (key) => seen.get(key) ?? 0,
    onArrival: null,
    waitForDistinct(count, options) {
      return sink.waitUntil(() => seen.size >= count, options);
    },
    async waitUntil(done, options) {
      const started = performance.now();
      lastArrivalAt = Math.max(lastArrivalAt, started);
      while (!done()) {
        const now = performance.now();
        if (now - lastArrivalAt > options.stallMs || now - started > options.timeoutMs) return false;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return true;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return sink;
}
