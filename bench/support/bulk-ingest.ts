import type { IngestClient, IngestRequest } from './ingest-client.ts';

/** What a bulk send acknowledged. */
export interface BulkResult {
  seconds: number;
  requests: number;
  ackedEvents: number;
  duplicates: number;
  failedRequests: number;
  /** Attempts that failed and were sent again (as Segment clients retry 5xx and network errors). */
  retriedAttempts: number;
  firstError: string | null;
}

/** A `/v1/batch` request of these Segment messages. */
export function batchRequest(messages: readonly Record<string, unknown>[]): IngestRequest {
  return { path: '/v1/batch', body: JSON.stringify({ batch: messages, sentAt: new Date().toISOString() }), events: messages.length };
}

/**
 * Sends every request `next` yields (null ends it) over `concurrency` closed-loop workers, as fast
 * as the engine acknowledges them. Used to load a known number of events, not to measure ingest.
 * A failed request is sent again up to `retries` times after 100 ms (the same body: the engine
 * dedupes by messageId), as a Segment client would; every failed attempt is counted.
 */
export async function sendAll(client: IngestClient, next: () => IngestRequest | null, concurrency: number, retries = 0): Promise<BulkResult> {
  const result: BulkResult = { seconds: 0, requests: 0, ackedEvents: 0, duplicates: 0, failedRequests: 0, retriedAttempts: 0, firstError: null };
  const started = performance.now();
  const worker = async () => {
    for (let request = next(); request !== null; request = next()) {
      let outcome = await client.send(request);
      for (let attempt = 0; !outcome.ok && attempt < retries; attempt++) {
        result.retriedAttempts++;
        result.firstError ??= outcome.error;
        await new Promise((resolve) => setTimeout(resolve, 100));
        outcome = await client.send(request);
      }
      result.requests++;
      if (outcome.ok) {
        result.ackedEvents += outcome.stored;
        result.duplicates += outcome.duplicates;
      } else {
        result.failedRequests++;
        result.firstError ??= outcome.error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** A `next` for sendAll: `total` messages made by `make(i)`, `perBatch` to a request. */
export function batches(total: number, perBatch: number, make: (i: number) => Record<string, unknown>): () => IngestRequest | null {
  let i = 0;
  return () => {
    if (i >= total) return null;
    const messages: Record<string, unknown>[] = [];
    for (const end = Math.min(total, i + perBatch); i < end; i++) messages.push(make(i));
    return batchRequest(messages);
  };
}
