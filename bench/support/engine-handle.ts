import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EngineConfig } from '../../engine/config.ts';
import { benchOptions } from '../bench-options.ts';
import type { EngineReply, EngineRequest, EngineStats } from './engine-messages.ts';

const ENTRY = fileURLToPath(new URL('./engine-process.ts', import.meta.url));
/**
 * Node options the engine runs with in production (`npm start`, the Dockerfile), beyond the benchmark's own.
 * test/docs/run-settings.test.ts keeps the three in step.
 */
export const ENGINE_NODE_ARGS = ['--max-semi-space-size=4', '--concurrent-turbofan-max-threads=1'];
/** Environment the engine runs with in production (`npm start`, the Dockerfile). */
export const ENGINE_ENV = { MALLOC_ARENA_MAX: '2' };

/** The benchmark's side of an engine running in its own process (on its own core). */
export interface EngineProcess {
  url: string;
  writeKey: string;
  /** The default space's admin token (management API), null when an earlier start generated it and its file is gone. */
  adminToken: string | null;
  /** The engine's SQLite file, to be read after stop() (its path in MongoDB mode too, where no such file is written). */
  dbFile: string;
  pid: number;
  stats(): Promise<EngineStats>;
  /** Starts a CPU profile of the engine process. */
  startProfile(): Promise<void>;
  /** Stops the CPU profile and writes it to `file` (open it in Chrome DevTools or bench/tools/cpu-profile-summary.ts). */
  stopProfile(file: string): Promise<void>;
  /** Waits until the processor has caught up with every stored event, or the timeout. */
  drain(timeoutMs: number): Promise<Extract<EngineReply, { kind: 'drained' }>>;
  /** RunningEngine.settle(): events processed, due timers fired and background work done, or the timeout. */
  settle(timeoutMs: number): Promise<Extract<EngineReply, { kind: 'settled' }>>;
  /** Closes the engine (server, processor, store) and waits for the process to exit. */
  stop(): Promise<void>;
}

type ReplyOf<K extends EngineReply['kind']> = Extract<EngineReply, { kind: K }>;

function nextReply<K extends EngineReply['kind']>(child: ChildProcess, kind: K): Promise<ReplyOf<K>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: EngineReply) => {
      cleanup();
      if (message.kind === kind) resolve(message as ReplyOf<K>);
      else if (message.kind === 'failed') reject(new Error(`engine process failed: ${message.message}`));
      else reject(new Error(`engine process sent '${message.kind}' while '${kind}' was expected`));
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`engine process exited (code ${code}, signal ${signal}) while '${kind}' was expected`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Starts the engine in a child process with this process's execArgv. One request is outstanding at a time.
 * `config` overrides engine settings (e.g. `{ testClock: true }`; BENCH_SQLITE_MMAP_MB sets `sqliteMmapBytes`); `env` is added to the child's environment;
 * `nodeArgs` are added to its Node options (e.g. `--cpu-prof`, which also profiles the processing worker thread).
 */
export async function startEngineProcess(options: {
  dataDir: string; config?: Partial<EngineConfig>; env?: Record<string, string>; nodeArgs?: readonly string[];
}): Promise<EngineProcess> {
  const mmapMb = benchOptions().sqliteMmapMb;
  const config = mmapMb > 0 ? { sqliteMmapBytes: mmapMb * 1024 * 1024, ...options.config } : options.config;
  const args = config ? [options.dataDir, JSON.stringify(config)] : [options.dataDir];
  const child = fork(ENTRY, args, {
    execArgv: [...process.execArgv, ...ENGINE_NODE_ARGS, ...(options.nodeArgs ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...ENGINE_ENV, ...options.env },
  });
  const ready = await nextReply(child, 'ready');
  const request = <K extends EngineReply['kind']>(message: EngineRequest, kind: K): Promise<ReplyOf<K>> => {
    const reply = nextReply(child, kind);
    child.send(message);
    return reply;
  };
  return {
    url: ready.url,
    writeKey: ready.writeKey,
    adminToken: ready.adminToken ?? null,
    dbFile: ready.dbFile,
    pid: child.pid!,
    async stats() {
      return (await request({ kind: 'stats' }, 'stats')).stats;
    },
    async startProfile() {
      await request({ kind: 'profile-start' }, 'profiling');
    },
    async stopProfile(file) {
      await request({ kind: 'profile-stop', file }, 'profiled');
    },
    drain(timeoutMs) {
      return request({ kind: 'drain', timeoutMs }, 'drained');
    },
    settle(timeoutMs) {
      return request({ kind: 'settle', timeoutMs }, 'settled');
    },
    async stop() {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await request({ kind: 'stop' }, 'stopped');
      await exited;
    },
  };
}
