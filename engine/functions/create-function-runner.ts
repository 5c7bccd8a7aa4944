import type { EngineConfig } from '../config.ts';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import { createHostFetch } from '../../functions-runtime/host-fetch.ts';
import type { FunctionMetrics } from '../metrics/function-metrics.ts';
import type { FunctionRunner } from './function-runner.ts';

/**
 * The sandbox that runs destination functions in this thread, with the configured limits and
 * outbound HTTP; with `metrics`, every call's outcome is counted there.
 */
export function createFunctionRunner(config: EngineConfig, metrics?: FunctionMetrics): FunctionRunner & { dispose(): void } {
  const f = config.functions;
  const sandbox = new FunctionSandbox({
    memoryLimitMb: f.memoryLimitMb, cpuTimeoutMs: f.cpuTimeoutMs, wallTimeoutMs: f.wallTimeoutMs,
    maxIsolates: f.maxIsolates, idleEvictMs: f.idleEvictMs,
    fetch: createHostFetch({ allowPrivateNetwork: f.allowPrivateNetwork, timeoutMs: f.fetchTimeoutMs, maxResponseBytes: f.maxResponseBytes }),
  });
  if (metrics === undefined) return sandbox;
  return {
    checkSyntax: (code) => sandbox.checkSyntax(code),
    // The sandbox never rejects: every failure is an outcome.
    invoke: (input) => sandbox.invoke(input).then((outcome) => {
      metrics.invoked(outcome);
      return outcome;
    }),
    dispose: () => sandbox.dispose(),
  };
}
