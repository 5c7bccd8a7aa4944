/**
 * A local HTTP endpoint standing in for a webhook destination: node:http with keep-alive, answers
 * 200 at once, and records when each payload arrived (performance.now() of this process, once its
 * body is complete) under its `Idempotency-Key` header. A key seen again is counted as a duplicate.
 */
import http from 'node:http';
import type net from 'node:net';

/** One payload the sink received (the first arrival of its idempotency key). */
export interface Arrival {
  key: string;
  /** performance.now() when the body was complete. */
  at: number;
  body: string;
}

export interface DeliverySink {
  url: string;
  /** Distinct idempotency keys received. */
  readonly distinct: number;
  /** Requests in all, repeats included. */
  readonly requests: number;
  /** Requests whose key had arrived before. */
  readonly duplicates: number;
  /** Requests without an Idempotency-Key header. */
  readonly missingKey: number;
  /** Most connections the engine held open to the sink at once. */
  readonly maxConnections: number;
  /** Every request's key (repeats included), for the duplicate report. */
  readonly repeatedKeys: readonly string[];
  /** Called on every first arrival of a key. */
  onArrival: ((arrival: Arrival) => void) | null;
  /** Resolves when `count` distinct keys arrived, or with false when none arrived for `stallMs` (or `timeoutMs` passed). */
  waitForDistinct(count: number, options: { stallMs: number; timeoutMs: number }): Promise<boolean>;
  close(): Promise<void>;
}

export async function startDeliverySink(): Promise<DeliverySink> {
  const seen = new Set<string>();
  const repeatedKeys: string[] = [];
  const sockets = new Set<net.Socket>();
  let requests = 0;
  let duplicates = 0;
  let missingKey = 0;
  let maxConnections = 0;
  let lastArrivalAt = performance.now();
  const server = http.createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      requests++;
      lastArrivalAt = at;
      const header = req.headers['idempotency-key'];
      const key = Array.isArray(header) ? header[0] : header;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
      res.end('{"ok":true}');
      if (!key) {
        missingKey++;
        return;
      }
      if (seen.has(key)) {
        duplicates++;
        repeatedKeys.push(key);
        return;
      }
      seen.add(key);
      sink.onArrival?.({ key, at, body: Buffer.concat(chunks).toString('utf8') });
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
    get duplicates() { return duplicates; },
    get missingKey() { return missingKey; },
    get maxConnections() { return maxConnections; },
    repeatedKeys,
    onArrival: null,
    async waitForDistinct(count, options) {
      const started = performance.now();
      lastArrivalAt = Math.max(lastArrivalAt, started);
      while (seen.size < count) {
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
