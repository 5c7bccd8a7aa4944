/**
 * The store a benchmark run puts the engine on (BENCH_STORE): SQLite in the run's data directory,
 * or MongoDB: a fresh database per run on BENCH_MONGODB_URI's server, or on a FerretDB the run
 * starts itself (scripts/ferretdb.sh) when none is given; the database is dropped and that server
 * stopped at the end (the database is kept with BENCH_KEEP_DATA=1).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import type { EngineConfig } from '../../engine/config.ts';
import type { BenchOptions } from '../bench-options.ts';
import type { StoreKind, StoreTarget } from './engine-reader.ts';
import { procCoresBetween, readProcCpu } from './proc-cpu.ts';

const FERRETDB_SCRIPT = fileURLToPath(new URL('../../scripts/ferretdb.sh', import.meta.url));

/** The store of one benchmark run. */
export interface BenchStore {
  readonly kind: StoreKind;
  /** Engine configuration that selects this store (nothing for SQLite, the data directory's file). */
  readonly engineConfig: Partial<EngineConfig>;
  /** What to print about it. */
  readonly description: string;
  /** Where the engine keeps its data, given the file the engine reported (used in sqlite mode only). */
  target(dbFile: string): StoreTarget;
  /**
   * The FerretDB this run started: its CPU since then, in cores on average (its load shows under
   * "other processes" in the phases' figures); null when the run started none.
   */
  serverLoad(): { pid: number; cores: number; seconds: number } | null;
  /** Drops the run's database (unless BENCH_KEEP_DATA=1) and stops the FerretDB the run started. */
  close(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether a process is still there (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Stops the process by its id: SIGTERM, then SIGKILL after 5 s. */
async function stopPid(pid: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (const deadline = Date.now() + 5000; Date.now() < deadline;) {
    if (!alive(pid)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Starts a FerretDB (v1 on SQLite) on a free port with its data in a temp directory. */
async function startFerretDb(): Promise<{ uri: string; pid: number; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-bench-ferretdb-'));
  const port = await freePort();
  const { stdout } = await promisify(execFile)('bash', [FERRETDB_SCRIPT, 'start', dir, String(port)], { timeout: 600_000 });
  const pid = Number(stdout.trim().split('\n').at(-1));
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`scripts/ferretdb.sh start printed no pid: '${stdout}'`);
  return { uri: `mongodb://127.0.0.1:${port}`, pid, dir };
}

/** The server URI with `db` as its database (before any query string). */
function withDatabase(serverUri: string, db: string): string {
  const q = serverUri.indexOf('?');
  const base = (q < 0 ? serverUri : serverUri.slice(0, q)).replace(/\/$/, '');
  return `${base}/${db}${q < 0 ? '' : serverUri.slice(q)}`;
}

/** Prepares the store of a run of benchmark `bench`; `runId` makes its MongoDB database name fresh. */
export async function prepareStore(options: BenchOptions, bench: string, runId: string): Promise<BenchStore> {
  if (options.store === 'sqlite') {
    return {
      kind: 'sqlite', engineConfig: {}, description: 'SQLite (synchronous=FULL) in the data directory',
      target: (dbFile) => ({ kind: 'sqlite', dbFile }),
      serverLoad: () => null,
      async close() {},
    };
  }
  const own = options.mongodbUri === null ? await startFerretDb() : null;
  const ownCpuAtStart = own ? readProcCpu(own.pid) : null;
  const server = options.mongodbUri ?? own!.uri;
  const dbName = `bench_${bench}_${runId.replace(/[^A-Za-z0-9]/g, '')}`;
  const uri = withDatabase(server, dbName);
  return {
    kind: 'mongodb', engineConfig: { mongodbUri: uri },
    description: `MongoDB database ${dbName} on ${server}`
      + (own ? ` (a FerretDB v1 on SQLite started for this run, pid ${own.pid}, data in ${own.dir})` : ''),
    target: () => ({ kind: 'mongodb', uri }),
    serverLoad() {
      const load = own && ownCpuAtStart ? procCoresBetween(ownCpuAtStart, readProcCpu(own.pid)) : null;
      return own && ownCpuAtStart && load ? { pid: own.pid, cores: load.total, seconds: (performance.now() - ownCpuAtStart.at) / 1000 } : null;
    },
    async close() {
      if (!options.keepData) {
        // Bounded, so a server that stopped answering cannot hold the run; a failure is reported, not thrown over the run's own error.
        const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000, timeoutMS: 60_000 });
        try {
          await client.connect();
          await client.db().dropDatabase();
        } catch (error) {
          console.error(`bench: could not drop the database ${dbName} on ${server}: ${String(error)}`);
        } finally {
          await client.close().catch(() => {});
        }
      }
      if (own) {
        await stopPid(own.pid);
        if (!options.keepData) fs.rmSync(own.dir, { recursive: true, force: true });
      }
    },
  };
}

/** One line on the FerretDB the run started (its CPU is counted under "other processes"), or null. */
export function serverLoadLine(store: BenchStore): string | null {
  const load = store.serverLoad();
  if (!load) return null;
  return `store server: the FerretDB (pid ${load.pid}) used ${(100 * load.cores).toFixed(0)}% of a core on average over ${load.seconds.toFixed(0)} s`
    + ' (part of "other processes" in the figures above)';
}

/** For the benchmarks that run on SQLite only: says so when BENCH_STORE=mongodb was asked for. */
export function noteSqliteOnly(options: BenchOptions, log: (line: string) => void, why: string): void {
  if (options.store === 'sqlite') return;
  log(`NOTE: BENCH_STORE=${options.store} was given, but this benchmark runs on SQLite only (${why}); these figures are SQLite's`);
}
