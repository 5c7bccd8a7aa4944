import type { IngestClient, IngestOutcome, IngestRequest } from './ingest-client.ts';
import { LatencyRecorder, type LatencySummary } from './latency-recorder.ts';

/** Figures of one load phase. Latency is "request sent (or due) → acknowledgement received". */
export interface PhaseResult {
  /** From the first request to the last acknowledgement. */
  seconds: number;
  requests: number;
  failedRequests: number;
  firstError: string | null;
  ackedEvents: number;
  duplicates: number;
  eventsPerSecond: number;
  latency: LatencySummary;
  /** Most requests in flight at once (open loop only; the closed loop's is its concurrency). */
  maxInFlight: number;
}

class PhaseTally {
  readonly latency = new LatencyRecorder();
  requests = 0;
  failedRequests = 0;
  firstError: string | null = null;
  ackedEvents = 0;
  duplicates = 0;
  maxInFlight = 0;

  add(outcome: IngestOutcome, latencyMs: number): void {
    this.requests++;
    if (!outcome.ok) {
      this.failedRequests++;
      this.firstError ??= outcome.error;
      return;
    }
    this.latency.record(latencyMs);
    this.ackedEvents += outcome.stored;
    this.duplicates += outcome.duplicates;
  }

  result(seconds: number): PhaseResult {
    return {
      seconds, requests: this.requests, failedRequests: this.failedRequests, firstError: this.firstError,
      ackedEvents: this.ackedEvents, duplicates: this.duplicates, eventsPerSecond: this.ackedEvents / seconds,
      latency: this.latency.summary(), maxInFlight: this.maxInFlight,
    };
  }
}

/**
 * Closed loop: `concurrency` clients each send a request, wait for its ack, and send the next,
 * for `durationMs`. Measures the most the engine sustains at that concurrency.
 */
export async function runClosedLoop(options: {
  client: IngestClient; concurrency: number; durationMs: number; next: () => IngestRequest;
}): Promise<PhaseResult> {
  const tally = new PhaseTally();
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const request = options.next();
      const sentAt = performance.now();
      const outcome = await options.client.send(request);
      tally.add(outcome, performance.now() - sentAt);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  tally.maxInFlight = options.concurrency;
  return tally.result((performance.now() - started) / 1000);
}

/**
 * Open loop: requests are due at a fixed rate whatever the engine does, and each latency is
 * measured from the moment the request was due, so a stall shows up in the figures instead of
 * silently slowing the generator down (no coordinated omission).
 */
export async function runOpenLoop(options: {
  client: IngestClient; requestsPerSecond: number; durationMs: number; next: () => IngestRequest;
}): Promise<PhaseResult> {
  const tally = new PhaseTally();
  const intervalMs = 1000 / options.requestsPerSecond;
  const total = Math.round((options.durationMs / 1000) * options.requestsPerSecond);
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let lastAck = 0;
  const started = performance.now();
  const fire = (dueAt: number) => {
    const request = options.next();
    const done = options.client.send(request).then((outcome) => {
      lastAck = performance.now();
      tally.add(outcome, lastAck - dueAt);
      inFlight.delete(done);
    });
    inFlight.add(done);
    if (inFlight.size > tally.maxInFlight) tally.maxInFlight = inFlight.size;
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
      while (sent < due) fire(started + sent++ * intervalMs);
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  while (inFlight.size > 0) await Promise.all(inFlight);
  return tally.result((Math.max(lastAck, started + options.durationMs) - started) / 1000);
}
