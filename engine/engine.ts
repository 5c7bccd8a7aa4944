import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, type EngineConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import type { Store } from './store/store.ts';
import { openSqliteStore } from './store/sqlite/open-sqlite-store.ts';
import { CredentialService } from './spaces/credential-service.ts';
import { bootstrap, type BootstrapCredentials } from './spaces/bootstrap.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { ProfileService } from './profiles/profile-service.ts';
import { ProfileFinder } from './profiles/profile-finder.ts';
import { AudienceService } from './audiences/audience-service.ts';
import { EventProcessor } from './processing/event-processor.ts';
import { createApp } from './app.ts';

/** A running engine: its server, its parts (for tests and benchmarks) and how to stop it. */
export interface RunningEngine {
  url: string;
  server: http.Server;
  store: Store;
  credentials: BootstrapCredentials;
  processor: EventProcessor;
  logger: Logger;
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

/** Opens the store, bootstraps credentials, starts the processor and listens on the configured port. */
export async function startEngine(config: EngineConfig, options: { logger?: Logger } = {}): Promise<RunningEngine> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const store = openStore(config);
  const credentials = new CredentialService(store.spaces);
  const bootstrapped = await bootstrap(config, store.spaces, credentials);
  const finder = new ProfileFinder(store.profiles);
  const audiences = new AudienceService(store.audiences, finder, logger);
  const processor = new EventProcessor({
    store, profiles: new ProfileService(store.profiles), audiences, logger, batchSize: config.processorBatchSize,
  });
  const ingest = new IngestService({ events: store.events, config, onStored: () => processor.wake() });
  let ready = false;
  const listener = createApp({
    config, logger, store, credentials, ingest, audiences, profiles: finder,
    operatorToken: bootstrapped.operatorToken, isReady: () => ready,
  });
  const server = http.createServer({ keepAliveTimeout: 65_000 }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  processor.start();
  const spaceIds = (await store.spaces.listSpaces()).map((s) => s.id);
  void audiences.resumeBackfills(spaceIds).catch((error: unknown) => logger.error('audience backfill failed', { error }));
  const pruner = setInterval(() => {
    store.events.pruneDedupe(Date.now() - config.dedupeWindowMs)
      .catch((error: unknown) => logger.error('dedupe pruning failed', { error }));
  }, DEDUPE_PRUNE_INTERVAL_MS);
  pruner.unref();
  ready = true;
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    server, store, credentials: bootstrapped, processor, logger,
    close() {
      closing ??= (async () => {
        ready = false;
        clearInterval(pruner);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await processor.stop();
        await store.close();
      })();
      return closing;
    },
  };
}
