import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testConfig, type EngineConfig } from '../../engine/config.ts';
import { startEngine, type RunningEngine } from '../../engine/engine.ts';
import { createLogger } from '../../engine/logger.ts';
import { dropDatabase, freshDbName, mongoUriFor } from './mongo-server.ts';

/** An HTTP answer as tests read it. */
export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A real engine on a random port, with helpers that talk to it over real HTTP. */
export interface TestEngine {
  engine: RunningEngine;
  url: string;
  writeKey: string;
  adminToken: string;
  operatorToken: string;
  /** POST to an ingest endpoint (`/v1/track`…) with a write key as HTTP Basic username. */
  ingest(endpoint: string, body: unknown, options?: { writeKey?: string | null; headers?: Record<string, string> }): Promise<Answer>;
  /** Calls the management API with a Bearer token (the default space's admin token unless given). */
  api(method: string, apiPath: string, body?: unknown, options?: { token?: string | null; raw?: string; headers?: Record<string, string> }): Promise<Answer>;
  /** Waits until every stored event has been processed (profiles, audiences, catalog). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh temporary data directory, removed by `removeDir`. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'journey-engine-test-'));
}

/** Removes a temporary directory. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Reads a fetch response as an Answer (JSON body when it parses, text otherwise). */
export async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

/** The stores a suite can run the engine on. */
export type StoreMode = 'sqlite' | 'mongodb';

/** Both stores, for suites that run once on each (the MongoDB-compatible server comes from test/support/mongo-server.ts). */
export const STORE_MODES: readonly StoreMode[] = ['sqlite', 'mongodb'];

/**
 * Starts an engine on 127.0.0.1 and a free port: on a fresh SQLite file by default, on a fresh
 * MongoDB database with `store: 'mongodb'` (dropped at close).
 */
export async function startTestEngine(overrides: Partial<EngineConfig> = {}, options: { store?: StoreMode } = {}): Promise<TestEngine> {
  // A real file by default, so that tests run the engine as it runs in production (processing on
  // its own thread); pass dataDir ':memory:' for the single-thread mode.
  const ownDir = overrides.dataDir === undefined ? tempDataDir() : null;
  const ownDb = options.store === 'mongodb' ? freshDbName('engine') : null;
  const config = testConfig({
    host: '127.0.0.1', port: 0, ...(ownDir ? { dataDir: ownDir } : {}), ...(ownDb ? { mongodbUri: mongoUriFor(ownDb) } : {}), ...overrides,
  });
  const engine = await startEngine(config, { logger: createLogger('error', true) });
  const url = engine.url;
  const c = engine.credentials;
  if (!c.writeKey || !c.adminToken) throw new Error('test engine started without printable bootstrap credentials');
  const writeKey = c.writeKey;
  const adminToken = c.adminToken;
  return {
    engine, url, writeKey, adminToken, operatorToken: c.operatorToken,
    async ingest(endpoint, body, options = {}) {
      const key = options.writeKey === undefined ? writeKey : options.writeKey;
      const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
      if (key !== null) headers['authorization'] = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
      const payload = typeof body === 'string' ? body : JSON.stringify(body);
      return answer(await fetch(`${url}${endpoint}`, { method: 'POST', headers, body: payload }));
    },
    async api(method, apiPath, body, options = {}) {
      const token = options.token === undefined ? adminToken : options.token;
      const headers: Record<string, string> = { ...options.headers };
      if (token !== null) headers['authorization'] = `Bearer ${token}`;
      let payload: string | undefined;
      if (options.raw !== undefined) payload = options.raw;
      else if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] ??= 'application/json';
      return answer(await fetch(`${url}${apiPath}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) }));
    },
    settle: async () => { await engine.settle(); },
    close: async () => {
      await engine.close();
      if (ownDir) removeDir(ownDir);
      if (ownDb) await dropDatabase(ownDb);
    },
  };
}
