import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineConfig } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { ManualClock, systemClock, type Clock } from './clock.ts';
import type { Store } from './store/store.ts';
import { openStorage, processingOnOwnThread } from './open-storage.ts';
import type { AgendaBackend } from 'agenda';
import { CredentialService } from './spaces/credential-service.ts';
import { bootstrap, type BootstrapCredentials } from './spaces/bootstrap.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { IngestAdmission } from './ingest/ingest-admission.ts';
import { serverTimeouts } from './http/server-timeouts.ts';
import { ProfileFinder } from './profiles/profile-finder.ts';
import { AudienceService } from './audiences/audience-service.ts';
import { JourneyService } from './journeys/journey-service.ts';
import { BackgroundTasks } from './scheduler/background-tasks.ts';
import { ProcessingCore } from './processing/processing-core.ts';
import { LocalProcessing } from './processing/local-processing.ts';
import { WorkerProcessing } from './processing/worker-processing.ts';
import type { ProcessingHandle } from './processing/processing-handle.ts';
import { ArrivalFence } from './ingest/arrival-fence.ts';
import { createApp } from './app.ts';
import { createPluginRegistry, type PluginRegistry } from '../destinations/plugin-registry.ts';
import { DestinationService } from './destination-instances/destination-service.ts';
import { DeliveryService } from './delivery/delivery-service.ts';
import { SendPreview } from './delivery/send-preview.ts';
import { DeliveryTargets } from './delivery/delivery-targets.ts';
import { FunctionService } from './functions/function-service.ts';
import { createFunctionRunner } from './functions/create-function-runner.ts';
import type { FunctionRunner } from './functions/function-runner.ts';
import { EngineMetrics } from './metrics/engine-metrics.ts';
import { registerInstanceMetrics } from './metrics/instance-metrics.ts';

/** A running engine: its server, its parts (for tests and benchmarks) and how to stop it. */
export interface RunningEngine {
  url: string;
  server: http.Server;
  store: Store;
  credentials: BootstrapCredentials;
  /** Event, journey and timer processing (on its own thread unless the store is in memory). */
  processing: ProcessingHandle;
  clock: Clock;
  logger: Logger;
  /** The engine thread's metrics (`addGauge` registers a figure read at scrape time). */
  metrics: EngineMetrics;
  /** Ingest's concurrency bound, backpressure and per-write-key rate limit. */
  admission: IngestAdmission;
  /** Resolves once stored events are processed, due timers fired and background work done; answers timers fired. */
  settle(): Promise<number>;
  /** Stops accepting requests, finishes in-flight processing and closes the store. */
  close(): Promise<void>;
}

/**
 * Starts processing: on a worker thread with its own connection (so ingest and processing use
 * both cores), except for an in-memory store, which only this thread can open.
 */
async function startProcessing(
  config: EngineConfig, store: Store, agendaBackend: AgendaBackend, clock: Clock, logger: Logger, registry: PluginRegistry, functions: FunctionRunner,
  metrics: EngineMetrics, arrivals: ArrivalFence,
): Promise<ProcessingHandle> {
  if (processingOnOwnThread(config)) return WorkerProcessing.start(config, logger, arrivals);
  const core = new ProcessingCore({ config, store, clock, logger, agendaBackend, registry, functions, metrics, arrivals });
  await core.start();
  return new LocalProcessing(core);
}

/** Opens the store, bootstraps credentials, starts processing and timers, and listens on the configured port. */
export async function startEngine(config: EngineConfig, options: { logger?: Logger } = {}): Promise<RunningEngine> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const manualClock = config.testClock ? new ManualClock() : null;
  const clock: Clock = manualClock ?? systemClock;
  const { store, agendaBackend } = await openStorage(config, 'engine', logger);
  const credentials = new CredentialService(store.spaces);
  const bootstrapped = await bootstrap(config, store.spaces, credentials);
  const registry = await createPluginRegistry({ outbound: config.destinations });
  const metrics = new EngineMetrics({ logger });
  registerInstanceMetrics(metrics, store.figures);
  const functionRunner = createFunctionRunner(config, metrics.functions);
  // Ingest marks arrivals it is committing; the processing thread's timers never fire past them.
  const arrivals = new ArrivalFence();
  const processing = await startProcessing(config, store, agendaBackend, clock, logger, registry, functionRunner, metrics, arrivals);
  const finder = new ProfileFinder(store.profiles);
  const background = new BackgroundTasks(logger);
  const audiences = new AudienceService(store.audiences, finder, logger, () => processing.invalidateAudiences());
  const previewTargets = new DeliveryTargets({ store, registry, clock, functions: functionRunner });
  const destinations = new DestinationService({
    store, registry, onChange: () => { previewTargets.invalidate(); processing.invalidateDestinations(); },
  });
  const functions = new FunctionService({
    store, runner: functionRunner, onChange: () => { previewTargets.invalidate(); processing.invalidateDestinations(); },
  });
  const journeys = new JourneyService({
    store, clock, onChange: () => processing.invalidateJourneys(), destinationActions: (spaceId) => destinations.actionsOf(spaceId),
    functionState: (spaceId) => async (functionId) => {
      const fn = await store.functions.get(spaceId, functionId);
      return fn === null ? null : fn.deployedVersion === null ? 'not_deployed' : 'deployed';
    },
    exitVersion: async (spaceId, journeyId, version, reason) => processing.exitVersion(spaceId, journeyId, version, reason),
  });
  const deliveries = new DeliveryService({ store, clock, onRedrive: () => processing.wakeDeliveries() });
  const sendPreview = new SendPreview({
    store, journeys, profiles: finder, destinations, clock, targets: previewTargets,
  });
  const ingest = new IngestService({ events: store.events, config, onStored: () => processing.wake(), now: () => clock.now(), metrics: metrics.ingest, arrivals });
  const admission = new IngestAdmission({ limits: config.ingestLimits, events: store.events, now: () => clock.now(), logger, metrics: metrics.ingest });
  const settle = async (): Promise<number> => {
    await background.idle();
    return processing.settle();
  };
  let ready = false;
  const listener = createApp({
    config, logger, store, clock, credentials, ingest, admission, audiences, profiles: finder, journeys, destinations, deliveries, sendPreview, functions,
    testClock: manualClock ? {
      clock: manualClock,
      advance: async (ms: number) => {
        manualClock.advance(ms);
        processing.advanceClock(ms);
        return settle();
      },
    } : null,
    operatorToken: bootstrapped.operatorToken, isReady: () => ready, metrics, processing,
  });
  const server = http.createServer(serverTimeouts(config.httpTimeouts), listener);
  try {
    await admission.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
  } catch (error) {
    await admission.stop();
    await processing.close();
    await store.close();
    throw error;
  }
  const spaceIds = (await store.spaces.listSpaces()).map((s) => s.id);
  background.run('audience backfills', () => audiences.resumeBackfills(spaceIds));
  ready = true;
  const { port } = server.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
    server, store, credentials: bootstrapped, processing, clock, logger, metrics, admission, settle,
    close() {
      closing ??= (async () => {
        ready = false;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await admission.stop();
        await processing.close();
        await background.idle();
        functionRunner.dispose();
        await store.close();
      })();
      return closing;
    },
  };
}
