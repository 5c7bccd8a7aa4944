import { Counter, Histogram, type Registry } from 'prom-client';
import type { InvocationOutcome } from '../functions/function-runner.ts';
import { sandboxFailureKind, type SandboxFailureKind } from '../../functions-runtime/sandbox-failure.ts';

const FAILURE_KINDS: readonly SandboxFailureKind[] = ['cpu_timeout', 'wall_timeout', 'memory_limit', 'request_limit', 'sandbox_reset', 'invalid_return'];
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Destination-function calls by outcome, the sandbox limits they ran into, and their duration. */
export class FunctionMetrics {
  readonly #succeeded: Counter.Internal;
  readonly #errored: Counter.Internal;
  readonly #failures: Map<SandboxFailureKind, Counter.Internal>;
  readonly #warm: Histogram.Internal<'cold_start'>;
  readonly #cold: Histogram.Internal<'cold_start'>;

  constructor(registry: Registry) {
    const invocations = new Counter({
      name: 'journey_engine_function_invocations_total',
      help: 'Destination-function calls (deliveries, test runs), by outcome: success, or error (the function\'s own or a sandbox failure).',
      labelNames: ['outcome'], registers: [registry],
    });
    const failures = new Counter({
      name: 'journey_engine_function_sandbox_failures_total',
      help: 'Function calls the sandbox ended, by reason: cpu_timeout, wall_timeout, memory_limit, request_limit, sandbox_reset, invalid_return.',
      labelNames: ['reason'], registers: [registry],
    });
    const duration = new Histogram({
      name: 'journey_engine_function_duration_seconds',
      help: 'Time a destination-function call took, by whether it needed a new context (cold start).',
      labelNames: ['cold_start'], buckets: DURATION_BUCKETS, registers: [registry],
    });
    this.#succeeded = invocations.labels('success');
    this.#errored = invocations.labels('error');
    this.#failures = new Map(FAILURE_KINDS.map((kind) => [kind, failures.labels(kind)]));
    this.#warm = duration.labels('false');
    this.#cold = duration.labels('true');
  }

  /** Records one call's outcome. */
  invoked(outcome: InvocationOutcome): void {
    (outcome.timing.coldStart ? this.#cold : this.#warm).observe(outcome.timing.totalMs / 1000);
    if (outcome.ok) {
      this.#succeeded.inc();
      return;
    }
    this.#errored.inc();
    const kind = sandboxFailureKind(outcome.error);
    if (kind !== null) this.#failures.get(kind)!.inc();
  }
}
