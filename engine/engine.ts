import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, type EngineConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { ManualClock, systemClock, type Clock } from './clock.ts';
import type { Store } from './store/store.ts';
import { openSqliteStore } from './store/sqlite/open-sqlite-store.ts';
import { CredentialService } from './spaces/credential-service.ts';
import { bootstrap, type BootstrapCredentials } from './spaces/bootstrap.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { ProfileService } from './profiles/profile-service.ts';
import { ProfileFinder } from './profiles/profile-finder.ts';
import { AudienceService } from './audiences/audience-service.ts';
import { EventProcessor } from './processing/event-processor.ts';
import { LiveJourneys } from './journeys/runtime/live-journeys.ts';
import { JourneyRuntime } from './journeys/runtime/journey-runtime.ts';
import { JourneyService } from './journeys/journey-service.ts';
import { TimerLoop } from './scheduler/timer-loop.ts';
import { BackgroundTasks } from './scheduler/background-tasks.ts';
import { createApp } from './app.ts';

/** A running engine: its server, its parts (for tests and benchmarks) and how to stop it. */
export interface RunningEngine {
  url: string;
  server: http.Server;
  store: Store;
  credentials: BootstrapCredentials;
  processor: EventProcessor;
  runtime: JourneyRuntime;
  timers: TimerLoop;
  clock: Clock;
  logger: Logger;
  /** Resolves once stored events are processed, due timers fired and background work done. */
  settle(): Promise<number>;
  /** Stops accepting requests, finishes in-flight processing and closes the store. */
  close(): Promise<void>;
}

const DEDUPE_PRUNE_INTERVAL_MS = 10 * 60_000;

function openStore(config: EngineConfig): Store {
  if (config.mongodbUri) {
    throw new ConfigError('MONGODB_URI is set, but the MongoDB store is not part of this version yet; unset it to use the embedded store');
  }
  return openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
}

/** Opens the store, bootstraps credentials, starts processing and timers, and listens on the configured port. */
export async function startEngine(config: EngineConfig, options: { logger?: Logger } = {}): Promise<RunningEngine> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const manualClock = config.testClock ? new ManualClock() : null;
  const clock: Clock = manualClock ?? systemClock;
  const store = openStore(config);
  const credentials = new CredentialService(store.spaces);
  const bootstrapped = await bootstrap(config, store.spaces, credentials);
  const finder = new ProfileFinder(store.profiles);
  const audiences = new AudienceService(store.audiences, finder, logger);
  const profiles = new ProfileService(store.profiles);
  const live = new LiveJourneys(store.journeys);
  const background = new BackgroundTasks(logger);
  let timers: TimerLoop | null = null;
  const runtime = new JourneyRuntime({
    store, live, clock, audiences, profiles, logger, onTimer: (at) => timers?.notify(at),
  });
  timers = new TimerLoop({ source: runtime, clock, logger });
  const exitVersion = async (spaceId: string, journeyId: string, version: number, reason: string) => {
    background.run(`exit ${journeyId} v${version}`, async () => {
      await runtime.exitVersion(spaceId, journeyId, version, reason);
      await store.journeys.setVersionState(spaceId, journeyId, version, 'retired');
      live.invalidate();
    });
  };
  const journeys = new JourneyService({ store, onChange: () => live.invalidate(), exitVersion });
  const processor = new EventProcessor({
    store, profiles, audiences, journeys: runtime, logger, batchSize: config.processorBatchSize,
  });
  // receivedAt must be journey time: look-backs compare it with clock.now() (and the test clock moves it).
  const ingest = new IngestService({ events: store.events, config, onStored: () => processor.wake(), now: () => clock.now() });
  const timerLoop = timers;
  const settle = async (): Promise<number> => {
    let fired = 0;
    for (let round = 0; round < 100; round++) {
      await processor.idle();
      await background.idle();
      const n = await timerLoop.drain();
      fired += n;
      if (n === 0 && !background.busy) return fired;
    }
    return fired;
  };
  let ready = false;
  const listener = createApp({
    config, logger, store, credentials, ingest, audiences, profiles: finder, journeys,
    testClock: manualClock ? { clock: manualClock, settle } : null,
    operatorToken: bootstrapped.operatorToken, isReady: () => ready,
  });
  const server = http.createServer({ keepAliveTimeout: 65_000 }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  await runtime.recoverOutboxes();
  for (const v of await store.journeys.listActiveVersions()) {
    if (v.state === 'exiting') await exitVersion(v.spaceId, v.journeyId, v.version, `version ${v.version} was archived`);
  }
  processor.start();
  timerLoop.start();
  const spaceIds = (await store.spaces.listSpaces()).map((s) => s.id);
  background.run('audience backfills', () => audiences.resumeBackfills(spaceIds));
  const pruner = setInterval(() => {
    background.run('dedupe pruning', async () => { await store.events.pruneDedupe(Date.now() - config.dedupeWindowMs); });
  }, DEDUPE_PRUNE_INTERVAL_MS);
  pruner.unref();
  ready = true;
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    server, store, credentials: bootstrapped, processor, runtime, timers: timerLoop, clock, logger, settle,
    close() {
      closing ??= (async () => {
        ready = false;
        clearInterval(pruner);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await processor.stop();
        await timerLoop.stop();
        await background.idle();
        await store.close();
      })();
      return closing;
    },
  };
}
