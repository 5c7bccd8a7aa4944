import type { HostFetch, HostFetchRequest, HostFetchResponse } from './host-fetch-types.ts';
import type { FunctionError, FunctionLog, FunctionRequest } from './invocation-result.ts';
import { classifySandboxFailure } from './sandbox-failure.ts';

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
  private readonly wallTimer: NodeJS.Timeout;
  private abort: AbortController | undefined;
  private requestLimitError: FunctionError | undefined;
  private settled = false;
  private resolve!: (outcome: CallOutcome) => void;

  constructor(id: number, limits: CallLimits, channel: CallChannel) {
    this.id = id;
    this.limits = limits;
    this.channel = channel;
    this.outcome = new Promise((resolve) => { this.resolve = resolve; });
    const message = `the function did not finish within its wall-clock limit of ${limits.wallTimeoutMs} ms`;
    this.wallTimer = setTimeout(() => void this.finishFromOutside({ name: 'TimeoutError', message }, false), limits.wallTimeoutMs);
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
    const url = String(request.url);
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
      answer = this.limits.fetch({ url, method, headers: request.headers, body: request.body }, { signal: this.abort.signal });
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
    this.channel.deliver(this.id, kind, entryId, ok, data).catch((thrown: unknown) => this.failed(thrown));
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
    clearTimeout(this.wallTimer);
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
