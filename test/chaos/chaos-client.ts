/**
 * The tracking client of the chaos run, behaving like Segment's libraries: most messages are
 * queued and flushed as `/v1/batch` requests (a few go alone to `/v1/track`, `/v1/identify`,
 * `/v1/page`), and a request that fails — connection refused or reset while the engine is down,
 * a 5xx, a 429 — is sent again, the same messages with the same messageIds, until it is
 * answered 200. A message counts as acknowledged only then.
 */
import type { ChaosRandom } from './chaos-random.ts';

/** A Segment message as the load makes it (always with a userId and a messageId). */
export interface ChaosMessage {
  type: 'track' | 'identify' | 'page';
  messageId: string;
  userId: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
}

/** What became of one message the client was given. */
export interface SentMessage {
  message: ChaosMessage;
  /** Date.now() when it was first offered to the engine. */
  firstSentAt: number;
  /** Date.now() of the 200 answer, or null: never acknowledged. */
  ackedAt: number | null;
  /** Requests that carried it. */
  attempts: number;
}

/** Options of the client. */
export interface ChaosClientOptions {
  /** The engine's base URL (a dead process's while the engine is down: refused, like a host that is down), or null before the first start. */
  endpoint: () => string | null;
  writeKey: string;
  random: ChaosRandom;
  /** Share of messages sent alone rather than batched (default 0.2). */
  singleShare?: number;
  /** Messages per batch request (default 20) and longest wait to fill one (default 40 ms). */
  batchSize?: number;
  flushMs?: number;
}

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 1_000;
/** A request the engine does not answer within this is abandoned and sent again (the engine may have died mid-request). */
const REQUEST_TIMEOUT_MS = 15_000;

/** A batching, retrying Segment-style client whose every message is accounted for. */
export class ChaosClient {
  readonly #o: Required<ChaosClientOptions>;
  readonly #sent = new Map<string, SentMessage>();
  readonly #queue: Array<{ message: ChaosMessage; done: (acked: boolean) => void }> = [];
  readonly #inFlight = new Set<Promise<void>>();
  #flushTimer: NodeJS.Timeout | null = null;
  /** Past this time (Date.now()), unacknowledged requests give up; null while running. */
  #giveUpAt: number | null = null;
  #requests = 0;
  #failedRequests = 0;
  #duplicates = 0;
  /** 4xx answers: the harness sent something the engine rightly refused. */
  readonly problems: string[] = [];

  constructor(options: ChaosClientOptions) {
    this.#o = { singleShare: 0.2, batchSize: 20, flushMs: 40, ...options };
  }

  /** Sends a message; resolves true once the engine acknowledged it, false if the client gave up on it. */
  send(message: ChaosMessage): Promise<boolean> {
    if (this.#sent.has(message.messageId)) throw new Error(`messageId ${message.messageId} used twice by the load`);
    this.#sent.set(message.messageId, { message, firstSentAt: Date.now(), ackedAt: null, attempts: 0 });
    return new Promise((resolve) => {
      if (this.#o.random.chance(this.#o.singleShare)) {
        this.#track(this.#deliver(`/v1/${message.type}`, message, [message], resolve));
        return;
      }
      this.#queue.push({ message, done: resolve });
      if (this.#queue.length >= this.#o.batchSize) this.#flush();
      else this.#flushTimer ??= setTimeout(() => this.#flush(), this.#o.flushMs);
    });
  }

  /** Every message offered, by messageId. */
  get sent(): ReadonlyMap<string, SentMessage> {
    return this.#sent;
  }

  /**
   * Requests made, how many failed (and were retried), and messages the engine acknowledged as
   * duplicates: stored by an earlier attempt whose answer was lost (a kill mid-request).
   */
  get requestCounts(): { requests: number; failed: number; duplicates: number } {
    return { requests: this.#requests, failed: this.#failedRequests, duplicates: this.#duplicates };
  }

  /** Flushes the queue and waits until every message is acknowledged, giving up on the rest after `deadlineMs`. */
  async close(deadlineMs: number): Promise<void> {
    this.#flush();
    this.#giveUpAt = Date.now() + deadlineMs;
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    while (this.#queue.length > 0) {
      const items = this.#queue.splice(0, this.#o.batchSize);
      const resolveAll = (acked: boolean) => { for (const item of items) item.done(acked); };
      this.#track(this.#deliver('/v1/batch', { batch: items.map((i) => i.message) }, items.map((i) => i.message), resolveAll));
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  /** Sends one request until it is answered 200 (same body every time), or the client gives up. */
  async #deliver(path: string, body: unknown, messages: ChaosMessage[], done: (acked: boolean) => void): Promise<void> {
    const payload = JSON.stringify(body);
    const authorization = `Basic ${Buffer.from(`${this.#o.writeKey}:`).toString('base64')}`;
    for (let attempt = 0; ; attempt++) {
      if (this.#giveUpAt !== null && Date.now() > this.#giveUpAt) return done(false);
      const base = this.#o.endpoint();
      if (base !== null) {
        for (const m of messages) this.#sent.get(m.messageId)!.attempts++;
        this.#requests++;
        const { status, duplicates } = await post(`${base}${path}`, payload, authorization);
        if (status === 200) {
          this.#duplicates += duplicates;
          const now = Date.now();
          for (const m of messages) this.#sent.get(m.messageId)!.ackedAt = now;
          return done(true);
        }
        this.#failedRequests++;
        if (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429) {
          this.problems.push(`POST ${path} answered ${status} for ${messages.map((m) => m.messageId).join(', ')}`);
          return done(false);
        }
      }
      await sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempt, 4)) * this.#o.random.between(0.5, 1));
    }
  }
}

/** POSTs; answers the status (null when the request failed: refused, reset, timed out) and the answer's `duplicates`. */
async function post(url: string, body: string, authorization: string): Promise<{ status: number | null; duplicates: number }> {
  try {
    const res = await fetch(url, {
      method: 'POST', body, headers: { 'content-type': 'application/json', authorization }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let duplicates = 0;
    if (res.status === 200) {
      const answer = JSON.parse(text) as { duplicates?: unknown };
      duplicates = typeof answer.duplicates === 'number' ? answer.duplicates : 0;
    }
    return { status: res.status, duplicates };
  } catch {
    return { status: null, duplicates: 0 };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
