/**
 * The destination side of the chaos run: a real `node:http` server on 127.0.0.1 that the engine's
 * webhook destinations send to. Per request it answers 200, answers slowly, fails with 500,
 * throttles with 429 and `Retry-After`, refuses with 400, or hangs past the destination's timeout,
 * as the path's profile and the seeded dice say.
 *
 * It honours `Idempotency-Key` the way a careful receiver does: the first 2xx answer for a key is
 * its one success (the effect a real receiver would apply), and a later request with that key is a
 * replay, answered 200 again without a second success. The log of every arrival per key is what
 * the delivery invariants read (chaos-delivery-checks.ts).
 */
import http from 'node:http';
import type net from 'node:net';
import { verifySignature } from '../../destinations/builtin/webhook/signature.ts';
import type { ChaosRandom } from './chaos-random.ts';

/** How the sink treats one request (or one item of a batch). */
export type SinkBehaviour = 'ok' | 'slow' | 'error' | 'throttle' | 'reject' | 'hang';

/** Relative weights of the behaviours on one path. */
export type SinkProfile = Readonly<Partial<Record<SinkBehaviour, number>>>;

/** What the sink answered to one arrival of a key. */
export type SinkAnswer = 'success' | 'replay' | 'error' | 'throttle' | 'reject' | 'hang' | 'gone';

/** One request (or batch item) carrying a key. */
export interface SinkArrival {
  path: string;
  /** Date.now() when the request had been read. */
  at: number;
  batch: boolean;
  answer: SinkAnswer;
}

/** Everything the sink saw of one idempotency key. */
export interface SinkKeyLog {
  key: string;
  /** When the sink answered 2xx for the key the first time (its one success), or null. */
  firstSuccessAt: number | null;
  arrivals: SinkArrival[];
}

/** Options of the sink. */
export interface ChaosSinkOptions {
  random: ChaosRandom;
  /** The profile of a request path (every path the journeys send to). */
  profileFor: (path: string) => SinkProfile;
  /** A hung request is dropped after this long (well past the destinations' timeout). */
  hangMs: number;
  /** Slow answers take between these (well inside the destinations' timeout). */
  slowMs: readonly [number, number];
  /** The webhook's shared secret, to check `X-Signature` (null: not checked). */
  sharedSecret: string | null;
}

/** The local HTTP receiver of the chaos run. */
export class ChaosSink {
  readonly #o: ChaosSinkOptions;
  readonly #keys = new Map<string, SinkKeyLog>();
  readonly #sockets = new Set<net.Socket>();
  readonly #server: http.Server;
  /** Requests the sink could not make sense of (no key, bad body, bad signature): harness or engine faults. */
  readonly problems: string[] = [];
  #port = 0;
  #requests = 0;

  constructor(options: ChaosSinkOptions) {
    this.#o = options;
    this.#server = http.createServer((req, res) => this.#onRequest(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Listens on a free loopback port. */
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as net.AddressInfo).port;
  }

  /** The URL of a path on the sink. */
  url(path: string): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** Every key seen, with its arrivals. */
  get keys(): ReadonlyMap<string, SinkKeyLog> {
    return this.#keys;
  }

  /** Requests received so far (a batch counts once). */
  get requests(): number {
    return this.#requests;
  }

  /** How many key arrivals got each answer (a batch counts once per item). */
  answerCounts(): Record<SinkAnswer, number> {
    const counts: Record<SinkAnswer, number> = { success: 0, replay: 0, error: 0, throttle: 0, reject: 0, hang: 0, gone: 0 };
    for (const log of this.#keys.values()) for (const arrival of log.arrivals) counts[arrival.answer]++;
    return counts;
  }

  /** Closes every connection (hung ones included) and stops listening. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.#requests++;
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0]!;
      const secret = this.#o.sharedSecret;
      if (secret !== null && !verifySignature(body, secret, header(req, 'x-signature'))) {
        this.problems.push(`${path}: request with a missing or wrong X-Signature`);
      }
      const batchKeys = header(req, 'x-idempotency-keys')?.split(',');
      const keys = batchKeys ?? [header(req, 'idempotency-key') ?? ''];
      // The mapping puts each send's key in its body too: header and body must name the same sends.
      const bodyKeys = keysInBody(body);
      if (bodyKeys === null || bodyKeys.join(',') !== keys.join(',')) {
        this.problems.push(`${path}: the body's keys (${bodyKeys?.join(',') ?? 'unreadable'}) are not the request's keys (${keys.join(',')})`);
      }
      if (batchKeys !== undefined) this.#batch(path, batchKeys, res);
      else this.#single(path, header(req, 'idempotency-key'), res);
    });
  }

  #single(path: string, key: string | undefined, res: http.ServerResponse): void {
    if (!key) {
      this.problems.push(`${path}: request without an Idempotency-Key`);
      answer(res, 400, { error: 'no idempotency key' });
      return;
    }
    const log = this.#log(key);
    const arrival: SinkArrival = { path, at: Date.now(), batch: false, answer: 'gone' };
    log.arrivals.push(arrival);
    if (log.firstSuccessAt !== null) {
      arrival.answer = 'replay';
      answer(res, 200, { ok: true, replay: true });
      return;
    }
    const behaviour = this.#roll(path);
    switch (behaviour) {
      case 'ok':
        this.#succeed(log, arrival, res, 0);
        return;
      case 'slow':
        this.#succeed(log, arrival, res, this.#o.random.between(...this.#o.slowMs));
        return;
      case 'error':
        arrival.answer = 'error';
        answer(res, 500, { error: 'chaos: internal error' });
        return;
      case 'throttle':
        arrival.answer = 'throttle';
        answer(res, 429, { error: 'chaos: slow down' }, { 'retry-after': '1' });
        return;
      case 'reject':
        arrival.answer = 'reject';
        answer(res, 400, { error: 'chaos: refused for good' });
        return;
      case 'hang':
        arrival.answer = 'hang';
        this.#hang(res);
        return;
      default: {
        const never: never = behaviour;
        throw new Error(`unknown behaviour ${String(never)}`);
      }
    }
  }

  /** A batch: one whole-request fate (hang, 500, 429), or per-item results in `{results: [...]}`. */
  #batch(path: string, keys: string[], res: http.ServerResponse): void {
    const at = Date.now();
    const logs = keys.map((key) => this.#log(key));
    const arrivals = logs.map((log) => {
      const arrival: SinkArrival = { path, at, batch: true, answer: 'gone' };
      log.arrivals.push(arrival);
      return arrival;
    });
    const whole = this.#roll(path);
    if (whole === 'hang' || whole === 'error' || whole === 'throttle') {
      // A replayed item shares the request's fate: it is still no second success.
      for (const arrival of arrivals) arrival.answer = whole;
      if (whole === 'hang') this.#hang(res);
      else if (whole === 'error') answer(res, 500, { error: 'chaos: batch failed' });
      else answer(res, 429, { error: 'chaos: slow down' }, { 'retry-after': '1' });
      return;
    }
    const statuses = logs.map((log, i) => {
      const arrival = arrivals[i]!;
      if (log.firstSuccessAt !== null) {
        arrival.answer = 'replay';
        return 200;
      }
      const [itemAnswer, status] = ITEM_RESULTS[this.#roll(path)];
      if (itemAnswer !== null) arrival.answer = itemAnswer;
      return status;
    });
    const delay = whole === 'slow' ? this.#o.random.between(...this.#o.slowMs) : 0;
    this.#later(res, delay, () => {
      const now = Date.now();
      statuses.forEach((status, i) => {
        const arrival = arrivals[i]!;
        if (status !== 200 || arrival.answer !== 'gone') return;
        // Another request with the key may have succeeded while this batch was slow.
        if (logs[i]!.firstSuccessAt !== null) {
          arrival.answer = 'replay';
        } else {
          arrival.answer = 'success';
          logs[i]!.firstSuccessAt = now;
        }
      });
      answer(res, 200, { results: statuses.map((status) => (status === 200 ? { status } : { status, error: `chaos: item answered ${status}` })) });
    });
  }

  /** Answers 200 after `delayMs` — the key's one success — unless the caller gave up meanwhile. */
  #succeed(log: SinkKeyLog, arrival: SinkArrival, res: http.ServerResponse, delayMs: number): void {
    this.#later(res, delayMs, () => {
      // Another arrival of the key may have succeeded while this one was slow.
      if (log.firstSuccessAt !== null) {
        arrival.answer = 'replay';
      } else {
        arrival.answer = 'success';
        log.firstSuccessAt = Date.now();
      }
      answer(res, 200, { ok: true });
    });
  }

  /** Runs `write` after `delayMs` if the connection is still open (the engine may have timed out or died). */
  #later(res: http.ServerResponse, delayMs: number, write: () => void): void {
    const go = () => {
      if (!res.destroyed && !res.socket?.destroyed) write();
    };
    if (delayMs <= 0) go();
    else setTimeout(go, delayMs);
  }

  /** Never answers: the engine's timeout ends it; the socket is dropped later in any case. */
  #hang(res: http.ServerResponse): void {
    const timer = setTimeout(() => res.destroy(), this.#o.hangMs);
    res.on('close', () => clearTimeout(timer));
  }

  #roll(path: string): SinkBehaviour {
    const profile = this.#o.profileFor(path);
    const weights: Record<SinkBehaviour, number> = { ok: 0, slow: 0, error: 0, throttle: 0, reject: 0, hang: 0, ...profile };
    return this.#o.random.weighted(weights);
  }

  #log(key: string): SinkKeyLog {
    let log = this.#keys.get(key);
    if (!log) {
      log = { key, firstSuccessAt: null, arrivals: [] };
      this.#keys.set(key, log);
    }
    return log;
  }
}

/** How one batch item fares for each behaviour (a hang is per request, so an item just fails); null: a success, decided when written. */
const ITEM_RESULTS: Readonly<Record<SinkBehaviour, readonly [SinkAnswer | null, number]>> = {
  ok: [null, 200], slow: [null, 200], error: ['error', 500], hang: ['error', 500], throttle: ['throttle', 429], reject: ['reject', 400],
};

/** The `key` of the body's item (a single send) or items (a batch), or null when the body is not that shape. */
function keysInBody(body: string): string[] | null {
  try {
    const parsed = JSON.parse(body) as unknown;
    const items = Array.isArray(parsed) ? parsed : [parsed];
    const keys = items.map((item) => (item as { key?: unknown } | null)?.key);
    return keys.every((k): k is string => typeof k === 'string') ? keys : null;
  } catch {
    return null;
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
