/**
 * The MongoDB-compatible server the MongoDB suites run against (loaded through .mocharc.json
 * `require` as a mocha global fixture). `MONGODB_URI`, when set, names it (a real MongoDB, or the
 * FerretDB that .ci/run starts); otherwise a FerretDB is started for the run from the cached
 * binary that `scripts/ferretdb.sh install` builds (it needs Go, or the cache). Without either,
 * the MongoDB suites fail at their first test, saying why.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../engine/config.ts';
import { freePort } from './free-port.ts';

const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/ferretdb.sh');

let uri: string | null = loadConfig({ MONGODB_URI: process.env['MONGODB_URI'] }).mongodbUri;
let ferret: { pid: number; dir: string } | null = null;
let counter = 0;

/** The server's connection string (without a database); fails the calling test, saying why, when there is no server. */
export function requireMongoUri(): string {
  if (uri === null) throw new Error('no MongoDB server (set MONGODB_URI, or install Go so that scripts/ferretdb.sh can build FerretDB)');
  return uri;
}

/** A database name no other test uses (the server is shared by the whole run). */
export function freshDbName(prefix = 't'): string {
  counter += 1;
  return `je_${prefix}_${process.pid}_${counter}_${Date.now().toString(36)}`;
}

/** The server's connection string naming `dbName` as its database (what MONGODB_URI is given to an engine). */
export function mongoUriFor(dbName: string): string {
  const url = new URL(requireMongoUri());
  url.pathname = `/${dbName}`;
  return url.toString();
}

/** Drops a test database. */
export async function dropDatabase(dbName: string): Promise<void> {
  if (uri === null) return;
  const client = new MongoClient(uri);
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Starts FerretDB for this run when no MONGODB_URI is given and it can be built or is cached. */
export async function mochaGlobalSetup(): Promise<void> {
  if (uri !== null) return;
  try {
    execFileSync(SCRIPT, ['install'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch {
    console.warn('No MONGODB_URI, and FerretDB could not be built (scripts/ferretdb.sh install): the MongoDB suites will fail');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-engine-ferretdb-'));
  const port = await freePort();
  const pid = Number(execFileSync(SCRIPT, ['start', dir, String(port)], { encoding: 'utf8' }).trim());
  ferret = { pid, dir };
  uri = `mongodb://127.0.0.1:${port}/`;
}

/** Stops the FerretDB this run started. */
export async function mochaGlobalTeardown(): Promise<void> {
  if (!ferret) return;
  try {
    process.kill(ferret.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  fs.rmSync(ferret.dir, { recursive: true, force: true });
  ferret = null;
}
