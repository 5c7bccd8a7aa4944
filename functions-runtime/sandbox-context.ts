import type { HostFetchRequest } from './host-fetch-types.ts';
import { cryptoOperation, parseUrlParts } from './host-services.ts';
import { HANDLER_NAMES, type FunctionLog } from './invocation-result.ts';
import { ivm, type IsolatedVM } from './isolated-vm.ts';
import { SandboxCall, type CallChannel, type CallLimits, type CallOutcome } from './sandbox-call.ts';

/**
 * Handlers declared with `const` or `let` at the top of the code are bindings of the context's
 * global scope but not properties of `globalThis`, where dispatch looks (isolate-bootstrap.js):
 * this copies them there. `typeof` inside try: a binding the code never reached (it threw first)
 * throws even for typeof. Before, `const onTrack = async (event) => …` answered EventNotSupported.
 */
const LEXICAL_HANDLERS = HANDLER_NAMES.map((name) =>
  `try { if (typeof globalThis.${name} !== 'function' && typeof ${name} === 'function') globalThis.${name} = ${name}; } catch {}`).join('\n');

// How long a failed call waits to read back the logs its isolate holds before giving up on them.
const DRAIN_WAIT_MS = 50;

/**
 * One V8 context inside a function's isolate, with the sandbox runtime installed and the
 * function's compiled code evaluated. It runs one call at a time and is reused by the next call
 * (the warm path is a single `apply`); per-call state lives in the call, not in the context.
 */
export class SandboxContext implements CallChannel {
  private readonly isolate: IsolatedVM.Isolate;
  private readonly context: IsolatedVM.Context;
  private readonly limits: CallLimits;
  private entry: IsolatedVM.Reference | undefined;
  private current: SandboxCall | null = null;

  private constructor(isolate: IsolatedVM.Isolate, context: IsolatedVM.Context, limits: CallLimits) {
    this.isolate = isolate;
    this.context = context;
    this.limits = limits;
  }

  /** Builds a context: runtime globals first, then the function's code (bounded by the CPU limit). */
  static async create(isolate: IsolatedVM.Isolate, functionScript: IsolatedVM.Script, limits: CallLimits): Promise<SandboxContext> {
    const context = await isolate.createContext();
    const sandbox = new SandboxContext(isolate, context, limits);
    try {
      await sandbox.install(functionScript);
    } catch (error) {
      context.release();
      throw error;
    }
    return sandbox;
  }

  private async install(functionScript: IsolatedVM.Script): Promise<void> {
    // Callbacks carry copies of plain data only; the isolate never holds a host object.
    const parseUrl = new ivm.Callback(parseUrlParts);
    const crypto = new ivm.Callback(cryptoOperation);
    const fetchStart = new ivm.Callback((callId: number, entryId: number, request: HostFetchRequest) => {
      if (this.current?.id === callId) this.current.startFetch(entryId, request);
    }, { ignored: true });
    const timerStart = new ivm.Callback((callId: number, entryId: number, delayMs: number) => {
      if (this.current?.id === callId) this.current.startTimer(entryId, delayMs);
    }, { ignored: true });
    // The handler's promise settled: its envelope (one Callback per context; see isolate-bootstrap.js dispatch).
    const done = new ivm.Callback((callId: number, envelope: string) => {
      if (this.current?.id === callId) this.current.report(envelope);
    }, { ignored: true });
    this.entry = await this.context.evalClosure(
      'return __sandboxConnect($0, $1, $2, $3, $4);',
      [parseUrl, crypto, fetchStart, timerStart, done],
      { result: { reference: true }, timeout: this.limits.cpuTimeoutMs },
    );
    await functionScript.run(this.context, { timeout: this.limits.cpuTimeoutMs });
    await this.context.eval(LEXICAL_HANDLERS, { timeout: this.limits.cpuTimeoutMs });
  }

  /** Runs `handler(payload, settings)`; the payload and settings are copied in fresh. */
  async run(callId: number, handler: string, payload: unknown, settings: unknown): Promise<CallOutcome> {
    const call = new SandboxCall(callId, this.limits, this);
    this.current = call;
    try {
      // Not `result: { promise: true }`: the envelope comes back through `done` (see install).
      // No `timeout` either: the call enforces the CPU limit (see SandboxCall.dispatchStarted).
      call.dispatchStarted(this.isolateCpuMs());
      this.entry!
        .apply(undefined, ['dispatch', callId, handler, payload, settings, this.limits.maxLogBytes, this.limits.maxRequestsPerCall], {
          arguments: { copy: true },
          result: { copy: true },
        })
        .then((envelope: unknown) => call.dispatchFinished(envelope), (thrown: unknown) => call.failed(thrown));
    } catch (thrown) {
      // Arguments that cannot be copied (not plain data) fail before anything runs.
      call.failed(thrown);
    }
    try {
      return await call.outcome;
    } finally {
      this.current = null;
    }
  }

  async deliver(callId: number, kind: 'fetch' | 'timer', entryId: number, ok: boolean, data: unknown): Promise<void> {
    await this.entry!.apply(undefined, ['deliver', callId, kind, entryId, ok, data], {
      arguments: { copy: true },
      timeout: this.limits.cpuTimeoutMs,
    });
  }

  async drainLogs(callId: number): Promise<FunctionLog[] | null> {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), DRAIN_WAIT_MS); });
    try {
      const drained = this.entry!.apply(undefined, ['drain', callId], { result: { copy: true }, timeout: DRAIN_WAIT_MS }) as Promise<string>;
      const json = await Promise.race([drained.catch(() => '[]'), giveUp]);
      return json === null ? null : (JSON.parse(json) as FunctionLog[]);
    } catch {
      return [];
    } finally {
      clearTimeout(timer);
    }
  }

  isolateDisposed(): boolean {
    return this.isolate.isDisposed;
  }

  isolateCpuMs(): number {
    return this.isolate.isDisposed ? 0 : Number(this.isolate.cpuTime) / 1e6;
  }

  disposeIsolate(): void {
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }

  /** Frees the context (its isolate lives on). */
  release(): void {
    if (this.isolate.isDisposed) return;
    this.entry?.release();
    this.context.release();
  }
}
