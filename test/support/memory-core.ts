/**
 * A ProcessingCore on an in-memory SQLite store with one space (`s1`), for tests that drive its
 * parts by hand (processor, runtime, timers) instead of through a running engine.
 */
import { PluginRegistry } from '../../destinations/plugin-registry.ts';
import { testConfig } from '../../engine/config.ts';
import type { Clock } from '../../engine/clock.ts';
import { createLogger } from '../../engine/logger.ts';
import { openSqliteStorage } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { SqliteAgendaBackend } from '../../engine/scheduler/sqlite-agenda/sqlite-agenda-backend.ts';
import { ProcessingCore } from '../../engine/processing/processing-core.ts';
import { withDefaults } from '../../engine/journeys/definition/journey-defaults.ts';
import type { JourneyDefinition } from '../../engine/journeys/definition/journey-definition.ts';
import type { Store } from '../../engine/store/store.ts';
import type { EventRecord } from '../../engine/store/event-store.ts';
import { newEventId } from '../../engine/ingest/normalize-message.ts';

/**
 * Opens the store (passed through `wrap`, e.g. to inject faults), builds the core on it, creates
 * space `s1` and, when given, publishes `journey` as `j1` version 1. Only the processing lease is
 * taken, as start() would; nothing runs until the test starts it.
 */
export async function memoryCore(options: { clock: Clock; journey?: JourneyDefinition; wrap?: (store: Store) => Store }): Promise<{ store: Store; core: ProcessingCore }> {
  const storage = openSqliteStorage({ dataDir: ':memory:' });
  const store = options.wrap ? options.wrap(storage.store) : storage.store;
  const core = new ProcessingCore({
    config: testConfig(), store, clock: options.clock, logger: createLogger('error', true),
    agendaBackend: new SqliteAgendaBackend({ db: storage.db, writes: storage.writes }), registry: new PluginRegistry(),
  });
  await store.spaces.createSpace({ id: 's1', name: 'S', createdAt: new Date().toISOString() });
  if (options.journey) {
    const at = new Date(options.clock.now() - 1000).toISOString();
    await store.journeys.insert({
      id: 'j1', spaceId: 's1', name: options.journey.name, description: null, status: 'published', draft: null, draftVersion: null,
      liveVersion: 1, createdAt: at, updatedAt: at, rev: 1,
    });
    await store.journeys.putVersion({ spaceId: 's1', journeyId: 'j1', version: 1, definition: withDefaults(options.journey), state: 'live', publishedAt: at });
  }
  await core.lease.start();
  return { store, core };
}

/** The current test's core and its store (see useMemoryCore). */
export interface MemoryCoreFixture {
  readonly store: Store;
  readonly core: ProcessingCore;
}

/**
 * Registers mocha hooks: a fresh memoryCore before each test (its processor started when `start`),
 * stopped and its store closed after.
 */
export function useMemoryCore(options: Parameters<typeof memoryCore>[0] & { start?: boolean }): MemoryCoreFixture {
  let current: { store: Store; core: ProcessingCore } | null = null;
  beforeEach(async () => {
    current = await memoryCore(options);
    if (options.start) current.core.processor.start();
  });
  afterEach(async () => {
    await current?.core.stop();
    await current?.store.close();
    current = null;
  });
  const now = () => {
    if (!current) throw new Error('the core is built in beforeEach');
    return current;
  };
  return { get store() { return now().store; }, get core() { return now().core; } };
}

/** A track event of user `u1` in space `s1`, received now on `clock`. */
export function trackNow(clock: Clock, name: string): EventRecord {
  const id = newEventId();
  const at = new Date(clock.now()).toISOString();
  return {
    id, spaceId: 's1', messageId: id, type: 'track', name, userId: 'u1', anonymousId: null, timestamp: at, receivedAt: at,
    message: { type: 'track', event: name, userId: 'u1', messageId: id, timestamp: at, receivedAt: at, properties: {} },
  };
}

/** Stores `events` as received now on `clock` and lets the fixture's processor handle them all. */
export async function processNow(fx: MemoryCoreFixture, clock: Clock, events: EventRecord[]): Promise<void> {
  await fx.store.events.append(events, { dedupeWindowMs: 3_600_000, now: clock.now() });
  fx.core.processor.start();
  fx.core.processor.wake();
  await fx.core.processor.idle();
}

/**
 * `part` (a real store's part) with one method replaced and every other one bound to it: for tests
 * that inject a fault into, or count calls of, one store operation. A Proxy, because store classes
 * keep private fields that a copied object would not reach.
 */
export function withMethod<T extends object, K extends keyof T>(part: T, key: K, replacement: (original: T[K]) => T[K]): T {
  return new Proxy(part, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name);
      const bound = typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      return name === key ? replacement(bound as T[K]) : bound;
    },
  });
}
