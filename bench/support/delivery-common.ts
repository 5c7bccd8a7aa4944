/**
 * What the delivery benchmark's phases share: the output format, the events of a phase (when each
 * was due, sent, acked and arrived at the sink), and the matching of sink arrivals to those events.
 */
import type { BenchOptions } from '../bench-options.ts';
import type { AdminClient } from './admin-client.ts';
import type { Arrival, DeliverySink } from './delivery-sink.ts';
import type { Distribution } from './distribution.ts';
import type { EngineProcess } from './engine-handle.ts';
import type { EngineReader } from './engine-reader.ts';

/** The entry event of the measured journey (paced, burst). */
export const ENTRY_EVENT = 'BenchOrder';
/** The entry event of the dispatch phase's journey (its own journey and destination). */
export const DISPATCH_EVENT = 'BenchDispatch';
/** Waiting for deliveries: give up when none arrived for this long. */
export const STALL_MS = 15_000;
export const OTHER_LOAD_WARNING_CORES = 0.15;
/** Failed ingest requests are sent again this often. */
export const RETRIES = 5;
/** Events per /v1/batch request of the bulk phases. */
export const PER_BATCH = 100;

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const r2 = (n: number) => Math.round(n * 100) / 100;
export const log = (line: string) => console.log(`delivery: ${line}`);
export const dist = (d: Distribution) => `p50 ${fmt(d.p50, 2)} ms, p90 ${fmt(d.p90, 2)}, p99 ${fmt(d.p99, 2)}, p99.9 ${fmt(d.p999, 2)}, max ${fmt(d.max, 2)} (n=${fmt(d.count)})`;
/** performance.now() → ms since the epoch (to compare with the engine's ISO times). */
export const epochOf = (perfMs: number) => performance.timeOrigin + perfMs;

/** Events of one phase: when each was due and sent (performance.now()), acked, and arrived at the sink. */
export class PhaseEvents {
  readonly due: Float64Array;
  readonly sent: Float64Array;
  readonly acked: Float64Array;
  readonly arrived: Float64Array;
  /** Sink arrivals (distinct idempotency keys) that carried this event: exactly 1 is right. */
  readonly deliveries: Uint8Array;
  readonly tag: string;
  readonly count: number;
  readonly #runId: string;
  /** Events that reached the sink at least once. */
  received = 0;
  constructor(runId: string, tag: string, count: number) {
    this.#runId = runId;
    this.tag = tag;
    this.count = count;
    this.due = new Float64Array(count).fill(NaN);
    this.sent = new Float64Array(count).fill(NaN);
    this.acked = new Float64Array(count).fill(NaN);
    this.arrived = new Float64Array(count).fill(NaN);
    this.deliveries = new Uint8Array(count);
  }
  messageId(i: number): string {
    return `${this.#runId}-${this.tag}-${i}`;
  }
  userId(i: number): string {
    return `u-${this.#runId}-${this.tag}-${i}`;
  }
}

/**
 * Matches every first arrival of an idempotency key to the event it carried: the entry event's
 * messageId in the delivered body (data = properties.journey_context → body.<entry event>.messageId).
 */
export class ArrivalLedger {
  readonly phases = new Map<string, PhaseEvents>();
  unmatched = 0;
  firstUnmatched: string | null = null;
  /** Idempotency key → the event it carried, for the engine-side check. */
  readonly keyOfEvent = new Map<string, string>();
  readonly #runId: string;

  constructor(runId: string) {
    this.#runId = runId;
  }

  add(phase: PhaseEvents): PhaseEvents {
    this.phases.set(phase.tag, phase);
    return phase;
  }

  readonly onArrival = (arrival: Arrival): void => {
    let messageId: string | undefined;
    try {
      const body = JSON.parse(arrival.body) as Record<string, { messageId?: string } | undefined>;
      messageId = body[ENTRY_EVENT]?.messageId ?? body[DISPATCH_EVENT]?.messageId;
    } catch {
      // counted below
    }
    const parts = messageId?.split('-');
    const phase = parts && parts.length === 3 && parts[0] === this.#runId ? this.phases.get(parts[1]!) : undefined;
    const i = parts ? Number(parts[2]) : NaN;
    if (!phase || !Number.isInteger(i) || i < 0 || i >= phase.count) {
      this.unmatched++;
      this.firstUnmatched ??= arrival.body.slice(0, 300);
      return;
    }
    if (phase.deliveries[i]! === 0) {
      phase.arrived[i] = arrival.at;
      phase.received++;
    }
    phase.deliveries[i] = Math.min(255, phase.deliveries[i]! + 1);
    this.keyOfEvent.set(arrival.key, messageId!);
  };
}

/** What a phase of the delivery benchmark works with. */
export interface DeliveryBench {
  readonly runId: string;
  readonly options: BenchOptions;
  readonly cpus: number;
  readonly engine: EngineProcess;
  readonly sink: DeliverySink;
  readonly admin: AdminClient;
  /** Read-only looks into the engine's store (SQLite file or MongoDB database). */
  readonly reader: EngineReader;
  readonly ledger: ArrivalLedger;
  /** Runs `run`, with a CPU profile of the engine's HTTP thread named after the phase when BENCH_ENGINE_CPU_PROF_DIR is set. */
  profiled<T>(name: string, run: () => Promise<T>): Promise<T>;
  /** Events sent so far whose delivery the sink should get (one each). */
  expected: number;
}
