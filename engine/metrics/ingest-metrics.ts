import { Counter, Gauge, type Registry } from 'prom-client';
import type { ErrorCode } from '../errors.ts';
import type { AppendOutcome, MessageType } from '../store/event-store.ts';

const TYPES: readonly MessageType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];
const TYPE_INDEX: Readonly<Record<MessageType, number>> = { track: 0, identify: 1, page: 2, screen: 3, group: 4, alias: 5 };

/** Messages ingested by type and outcome, ingest requests rejected by error code, and whether backpressure is on. */
export class IngestMetrics {
  readonly #events: Counter<'type' | 'outcome'>;
  readonly #rejected: Counter<'code'>;
  readonly #backpressure: Gauge;
  /** Children by type index × 2 (+0 stored, +1 duplicate). */
  readonly #eventChildren: Counter.Internal[];
  readonly #rejectedChildren = new Map<string, Counter.Internal>();

  constructor(registry: Registry) {
    this.#events = new Counter({
      name: 'journey_engine_events_ingested_total',
      help: 'Messages accepted by the ingest API, by message type and outcome (stored, or duplicate of a recent messageId).',
      labelNames: ['type', 'outcome'], registers: [registry],
    });
    this.#rejected = new Counter({
      name: 'journey_engine_ingest_rejected_total',
      help: 'Ingest requests answered with an error, by error code (a rejected batch counts once).',
      labelNames: ['code'], registers: [registry],
    });
    this.#backpressure = new Gauge({
      name: 'journey_engine_ingest_backpressure',
      help: '1 while ingest refuses events because processing is behind (429 backpressure), else 0.',
      // Only the engine thread ingests; 'max' keeps its figure when the worker's 0 is merged in.
      registers: [registry], aggregator: 'max',
    });
    this.#eventChildren = TYPES.flatMap((type) => [this.#events.labels(type, 'stored'), this.#events.labels(type, 'duplicate')]);
  }

  /** Counts what one request appended to the log (`outcomes[i]` is the fate of `events[i]`). */
  appended(events: ReadonlyArray<{ type: MessageType }>, outcomes: readonly AppendOutcome[]): void {
    if (events.length === 1) {
      this.#eventChildren[slot(events[0]!.type, outcomes[0])]!.inc();
      return;
    }
    // A batch: one increment per (type, outcome) rather than one per message.
    const tally = new Array<number>(this.#eventChildren.length).fill(0);
    for (let i = 0; i < events.length; i++) tally[slot(events[i]!.type, outcomes[i])]! += 1;
    for (let i = 0; i < tally.length; i++) if (tally[i]! > 0) this.#eventChildren[i]!.inc(tally[i]);
  }

  /** Ingest started (true) or stopped (false) refusing events because processing is behind. */
  backpressure(refusing: boolean): void {
    this.#backpressure.set(refusing ? 1 : 0);
  }

  /** Counts one rejected request (backpressure, rate_limited and overloaded refusals included). */
  rejected(code: ErrorCode): void {
    let child = this.#rejectedChildren.get(code);
    if (child === undefined) {
      child = this.#rejected.labels(code);
      this.#rejectedChildren.set(code, child);
    }
    child.inc();
  }
}

function slot(type: MessageType, outcome: AppendOutcome | undefined): number {
  return TYPE_INDEX[type] * 2 + (outcome === 'duplicate' ? 1 : 0);
}
