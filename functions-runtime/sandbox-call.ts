import type { HostFetch, HostFetchRequest, HostFetchResponse } from './host-fetch-types.ts';
import type { FunctionError, FunctionLog, FunctionRequest } from './invocation-result.ts';
import { classifySandboxFailure, cpuTimeoutError, wallTimeoutError } from './sandbox-failure.ts';

/** The per-call limits a context enforces. */
export interface CallLimits {
  cpuTimeoutMs: number;
  wallTimeoutMs: number;
  memoryLimitMb: number;
  maxLogBytes: number;
  maxRequestsPerCall: number;
  fetch: HostFetch;
}

/** How a call reaches the isolate it runs in (implemented by SandboxContext). */
export interface CallChannel {
  /** Runs the isolate's `deliver` for this call, bounded by the CPU limit. */
  deliver(callId: number, kind: 'fetch' | 'timer', entryId: number, ok: boolean, data: unknown): Promise<void>;
  /** The logs the isolate holds for this call, or null when the isolate does not answer quickly (it is busy). */
  drainLogs(callId: number): Promise<FunctionLog[] | null>;
  isolateDisposed(): boolean;
  /** CPU time the isolate has used so far, in ms (all its contexts). */
  isolateCpuMs(): number;
  /** Disposes the whole isolate: the only way to stop code that is still running. */
  disposeIsolate(): void;
}

/** The result of one call, before timing is added, plus whether its context can serve again. */
export type CallOutcome = {
  logs: FunctionLog[];
  requests: FunctionRequest[];
  contextReusable: boolean;
} & ({ ok: true; value: unknown } | { ok: false; error: FunctionError });

type Envelope = { ok: true; value?: unknown; logs: FunctionLog[] } | { ok: false; error: FunctionError; logs: FunctionLog[] };

/**
 * One call in flight: owns its wall-clock deadline, its host timers and its outbound requests,
 * and settles exactly once — when the handler's promise settles, when the isolate reports a
 * failure (CPU timeout, out of memory, a timer callback that threw), or at the deadline. Whatever
 * is still pending then (timers, fetches) is cancelled, so nothing outlives the call.
 */
export class SandboxCall {
  readonly id: number;
  readonly outcome: Promise<CallOutcome>;
  private readonly limits: CallLimits;
  private readonly channel: CallChannel;
  private readonly requests: FunctionRequest[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly startedAt = performance.now();
  // One timer per call for both limits: it fires at the CPU limit (nothing to do for a dispatch
  // that finished), then at the wall-clock deadline.
  private deadlineTimer: NodeJS.Timeout;
  // The isolate's CPU time when the dispatch task was queued, while that task runs (see dispatchStarted).
  private dispatchCpuAt: number | undefined;
  private abort: AbortController | undefined;
  private requestLimitError: FunctionError | undefined;
  // Isolate tasks of this call still running (the dispatch, deliveries), and the envelope the
  // isolate reported before they finished: a task can still fail afterwards (an unhandled
  // rejection fails the call even when the handler returned), so the envelope waits for them.
  private tasks = 0;
  private reported: unknown = undefined;
  private settled = false;
  private resolve!: (outcome: CallOutcome) => void;

  constructor(id: number, limits: CallLimits, channel: CallChannel) {
    this.id = id;
    this.limits = limits;
    this.channel = channel;
    this.outcome = new Promise((resolve) => { this.resolve = resolve; });
    this.deadlineTimer = setTimeout(() => this.checkDeadlines(), Math.min(limits.cpuTimeoutMs, limits.wallTimeoutMs));
  }

  /**
   * The dispatch task was queued, without an isolated-vm `timeout`: isolated-vm starts a native
   * timer for each timed task, and a cancelled one stays queued until it would have fired; at
   * ~20,000 calls/s, the timer thread then wakes ~20,000 times a second on the same core, which
   * took the warm rate from ~21,000/s to ~12,000/s once the first timers expired (bench/RESULTS.md).
   * Instead the call's own timer checks the isolate's CPU time at the CPU limit, and disposes the
   * isolate if the dispatch is still running and has used it up. (Deliveries keep the native
   * timeout: they are rare, and a timed-out task leaves the context alive so its logs can be read.)
   */
  dispatchStarted(isolateCpuMs: number): void {
    this.dispatchCpuAt = isolateCpuMs;
    this.taskStarted();
  }

  /** The dispatch task ended without throwing; `result` is an envelope, or undefined when the handler's promise is pending. */
  dispatchFinished(result: unknown): void {
    this.dispatchCpuAt = undefined;
    this.taskFinished(result);
  }

  private checkDeadlines(): void {
    if (this.settled) return;
    const wallLeft = this.limits.wallTimeoutMs - (performance.now() - this.startedAt);
    let next = wallLeft;
    if (this.dispatchCpuAt !== undefined && !this.channel.isolateDisposed()) {
      // CPU time of the whole isolate since the dispatch was queued: other contexts' tasks that ran
      // meanwhile count too, so a call is never stopped before it could have used its limit.
      const used = this.channel.isolateCpuMs() - this.dispatchCpuAt;
      if (used >= this.limits.cpuTimeoutMs) {
        // The only way to stop running code: its logs go with the isolate.
        this.settle({ ok: false, error: cpuTimeoutError(this.limits), logs: [], requests: this.requests, contextReusable: false });
        this.channel.disposeIsolate();
        return;
      }
      next = Math.min(next, this.limits.cpuTimeoutMs - used);
    }
    if (wallLeft <= 1) {
      void this.finishFromOutside(wallTimeoutError(this.limits), false);
      return;
    }
    this.deadlineTimer = setTimeout(() => this.checkDeadlines(), Math.max(1, Math.min(next, wallLeft)));
  }

  /** An isolate task of this call (dispatch or deliver) was queued. */
  taskStarted(): void {
    this.tasks++;
  }

  /** An isolate task of this call finished without throwing; `result` is an envelope or undefined. */
  taskFinished(result: unknown): void {
    this.tasks--;
    if (typeof result === 'string') this.reported = result;
    if (this.tasks === 0 && this.reported !== undefined) this.completed(this.reported);
  }

  /** The isolate reported the envelope of the settled handler promise (through its `done` callback). */
  report(envelopeJson: unknown): void {
    if (this.tasks === 0) this.completed(envelopeJson);
    else this.reported = envelopeJson;
  }

  /** The handler's promise settled inside the isolate with this envelope. */
  completed(envelopeJson: unknown): void {
    if (this.settled) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(String(envelopeJson)) as Envelope;
    } catch {
      this.failed(new Error('the sandbox returned an unreadable result'));
      return;
    }
    const logs = Array.isArray(envelope.logs) ? envelope.logs : [];
    // A refused fetch fails the call even if the function caught the rejection: limits are not optional.
    if (this.requestLimitError !== undefined) this.settle({ ok: false, error: this.requestLimitError, logs, requests: this.requests, contextReusable: true });
    else if (envelope.ok) this.settle({ ok: true, value: envelope.value, logs, requests: this.requests, contextReusable: true });
    else this.settle({ ok: false, error: readError(envelope.error), logs, requests: this.requests, contextReusable: true });
  }

  /** An isolated-vm operation for this call threw (timeout, memory, disposal, or the function's own throw). */
  failed(thrown: unknown): void {
    const failure = classifySandboxFailure(thrown, this.channel.isolateDisposed(), this.limits);
    void this.finishFromOutside(failure.error, failure.contextReusable);
  }

  /** The isolate asked for an outbound request. */
  startFetch(entryId: number, request: HostFetchRequest): void {
    if (this.settled) return;
    const method = String(request.method);
    // Recorded in part only: the isolate caps a URL at 16,384 characters, which is long for a list.
    const full = String(request.url);
    const url = full.length > 2048 ? full.slice(0, 2048) : full;
    if (this.requests.length >= this.limits.maxRequestsPerCall) {
      const error = { name: 'RequestLimitError', message: `the function made more than ${this.limits.maxRequestsPerCall} requests in one call` };
      if (this.requestLimitError === undefined) {
        this.requestLimitError = error;
        this.requests.push({ method, url, status: null, durationMs: 0, error: `${error.name}: ${error.message}` });
      }
      this.deliver('fetch', entryId, false, error);
      return;
    }
    const record: FunctionRequest = { method, url, status: null, durationMs: 0 };
    this.requests.push(record);
    this.abort ??= new AbortController();
    const started = performance.now();
    let answer: Promise<HostFetchResponse>;
    try {
      answer = this.limits.fetch({ url: full, method, headers: request.headers, body: request.body }, { signal: this.abort.signal });
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (response) => {
        record.status = response.status;
        record.durationMs = round(performance.now() - started);
        this.deliver('fetch', entryId, true, { url: response.url, status: response.status, statusText: response.statusText, headers: response.headers, body: response.body, redirected: response.redirected });
      },
      (thrown: unknown) => {
        const error = readError(thrown);
        record.durationMs = round(performance.now() - started);
        record.error = `${error.name}: ${error.message}`;
        this.deliver('fetch', entryId, false, error);
      },
    );
  }

  /** The isolate started a timer; it fires through `deliver` unless the call ends first. */
  startTimer(entryId: number, delayMs: number): void {
    if (this.settled) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.deliver('timer', entryId, true, null);
    }, delayMs);
    this.timers.add(timer);
  }

  private deliver(kind: 'fetch' | 'timer', entryId: number, ok: boolean, data: unknown): void {
    if (this.settled) return;
    this.taskStarted();
    this.channel.deliver(this.id, kind, entryId, ok, data).then(() => this.taskFinished(undefined), (thrown: unknown) => this.failed(thrown));
  }

  private async finishFromOutside(error: FunctionError, contextReusable: boolean): Promise<void> {
    if (this.settled) return;
    this.cancelPending();
    const logs = this.channel.isolateDisposed() ? [] : await this.channel.drainLogs(this.id);
    // No answer means the isolate is still running this call's code. The CPU limit cannot be
    // relied on to stop it: isolated-vm counts CPU time only, and code that spends its time in
    // synchronous host callbacks (URL, crypto) barely uses any. Disposing is the sure stop.
    if (logs === null) this.channel.disposeIsolate();
    this.settle({ ok: false, error, logs: logs ?? [], requests: this.requests, contextReusable: contextReusable && logs !== null });
  }

  private cancelPending(): void {
    this.settled = true;
    clearTimeout(this.deadlineTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.abort?.abort();
  }

  private settle(outcome: CallOutcome): void {
    this.cancelPending();
    this.resolve(outcome);
  }
}

function readError(value: unknown): FunctionError {
  if (value !== null && typeof value === 'object') {
    const { name, message } = value as { name?: unknown; message?: unknown };
    return { name: typeof name === 'string' ? name : 'Error', message: typeof message === 'string' ? message : String(message) };
  }
  return { name: 'Error', message: String(value) };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
