import type { EngineConfig } from '../config.ts';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import { createHostFetch } from '../../functions-runtime/host-fetch.ts';
import type { FunctionRunner } from './function-runner.ts';

/** The sandbox that runs destination functions in this thread, with the configured limits and outbound HTTP. */
export function createFunctionRunner(config: EngineConfig): FunctionRunner & { dispose(): void } {
  const f = config.functions;
  return new FunctionSandbox({
    memoryLimitMb: f.memoryLimitMb, cpuTimeoutMs: f.cpuTimeoutMs, wallTimeoutMs: f.wallTimeoutMs,
    maxIsolates: f.maxIsolates, idleEvictMs: f.idleEvictMs,
    fetch: createHostFetch({ allowPrivateNetwork: f.allowPrivateNetwork, timeoutMs: f.fetchTimeoutMs, maxResponseBytes: f.maxResponseBytes }),
  });
}
