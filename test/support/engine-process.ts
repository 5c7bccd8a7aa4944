/**
 * The real engine as a child process (`node --no-node-snapshot engine/main.ts`), for tests that
 * must kill it the hard way (SIGKILL) and start it again on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answer, type Answer } from './test-engine.ts';
import { freePort } from './free-port.ts';

export { freePort };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Node 24 from the project's devDependencies (the machine's default node may be older). */
const NODE = path.join(ROOT, 'node_modules/.bin/node');

/** Options of an engine process. */
export interface EngineProcessOptions {
  dataDir: string;
  /** Both at least 16 characters with no spaces or colons. */
  writeKey: string;
  adminToken: string;
  /** ENGINE_TEST_CLOCK=1 (default true). */
  testClock?: boolean;
  /** Longest wait for GET /health to answer 200 (default 10 000 ms). */
  startTimeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** A running engine process and helpers that talk to it over HTTP. */
export interface EngineProcess {
  url: string;
  pid: number;
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** POST to an ingest endpoint (`/v1/batch`…) with the write key as HTTP Basic username. */
  ingest(endpoint: string, body: unknown): Promise<Answer>;
  /** Calls the management API with the admin token. */
  api(method: string, apiPath: string, body?: unknown): Promise<Answer>;
  /** Sends SIGKILL (no shutdown of any kind) and waits until the process is gone. */
  kill(): Promise<void>;
  /** What the process wrote to stderr so far (for failure messages). */
  stderr(): string;
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `engine/main.ts` on a free port and resolves once GET /health answers 200. */
export async function startEngineProcess(options: EngineProcessOptions): Promise<EngineProcess> {
  const port = await freePort();
  const child = spawn(NODE, ['--no-node-snapshot', '--disable-warning=ExperimentalWarning', 'engine/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: options.dataDir,
      ENGINE_WRITE_KEY: options.writeKey,
      ENGINE_ADMIN_TOKEN: options.adminToken,
      LOG_LEVEL: 'error',
      // Tests deliver to local sinks on 127.0.0.1, which production refuses.
      DESTINATIONS_ALLOW_PRIVATE_NETWORK: '1',
      ...(options.testClock === false ? {} : { ENGINE_TEST_CLOCK: '1' }),
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-20_000); });
  const exit = waitForExit(child);
  const url = `http://127.0.0.1:${port}`;
  const basic = `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`;

  const handle: EngineProcess = {
    url,
    pid: child.pid!,
    get exited() { return child.exitCode !== null || child.signalCode !== null; },
    async ingest(endpoint, body) {
      return answer(await fetch(`${url}${endpoint}`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: basic }, body: JSON.stringify(body),
      }));
    },
    async api(method, apiPath, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${options.adminToken}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return answer(await fetch(`${url}${apiPath}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }));
    },
    async kill() {
      if (!handle.exited) child.kill('SIGKILL');
      await exit;
    },
    stderr: () => stderr,
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (handle.exited) throw new Error(`the engine process exited while starting (code ${child.exitCode}, signal ${child.signalCode}):\n${stderr}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.status === 200) return handle;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await handle.kill();
      throw new Error(`the engine process did not become healthy within ${options.startTimeoutMs ?? 10_000} ms:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every page of a list endpoint of an engine process (`?limit=1000&cursor=`), failing on any non-200 answer. */
export async function allPages<T = any>(engine: EngineProcess, apiPath: string, key: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000', ...(cursor !== null ? { cursor } : {}) });
    const page = await engine.api('GET', `${apiPath}${apiPath.includes('?') ? '&' : '?'}${query}`);
    if (page.status !== 200) throw new Error(`GET ${apiPath} answered ${page.status}: ${JSON.stringify(page.body)}`);
    items.push(...(page.body[key] as T[]));
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return items;
}
