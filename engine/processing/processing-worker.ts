/**
 * Entry point of the processing thread: opens its own connection to the store and runs the
 * ProcessingCore, so that processing uses the second core while the engine thread serves HTTP.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../logger.ts';
import { ManualClock, systemClock } from '../clock.ts';
import { openStorage } from '../open-storage.ts';
import { ProcessingCore } from './processing-core.ts';
import { createPluginRegistry } from '../../destinations/plugin-registry.ts';
import { createFunctionRunner } from '../functions/create-function-runner.ts';
import { EngineMetrics } from '../metrics/engine-metrics.ts';
import { threadMetricsSnapshot } from '../metrics/thread-metrics.ts';
import type { MetricsSnapshot } from '../metrics/metrics-snapshot.ts';
import { ArrivalFence } from '../ingest/arrival-fence.ts';
import type { FromWorker, ProcessingWorkerData, ToWorker } from './processing-messages.ts';

const data = workerData as ProcessingWorkerData;
const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);
const logger = createLogger(data.config.logLevel, data.silent);
const clock = data.config.testClock ? new ManualClock() : systemClock;
const { store, agendaBackend } = await openStorage(data.config, 'processing');
// Each thread has its own registry and sandbox: plugins and functions run where deliveries are sent.
// Metrics too: the engine thread asks for them at every scrape and merges them with its own.
const metrics = new EngineMetrics({ logger });
const functionRunner = createFunctionRunner(data.config, metrics.functions);
const core = new ProcessingCore({
  config: data.config, store, clock, logger, agendaBackend, registry: await createPluginRegistry({ outbound: data.config.destinations }),
  functions: functionRunner, metrics, arrivals: new ArrivalFence(data.arrivals),
});

async function readMetrics(): Promise<MetricsSnapshot> {
  const [own, runtime] = await Promise.all([metrics.snapshot(), threadMetricsSnapshot('processing')]);
  return [...own, ...runtime];
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'wake': core.wake(); break;
    case 'invalidate-journeys': core.invalidateJourneys(); break;
    case 'invalidate-audiences': core.invalidateAudiences(); break;
    case 'invalidate-destinations': core.invalidateDestinations(); break;
    case 'wake-deliveries': core.deliveryLoop.kick(); break;
    case 'exit-version': core.exitVersion(message.spaceId, message.journeyId, message.version, message.reason); break;
    case 'advance-clock': if (clock instanceof ManualClock) clock.advance(message.ms); break;
    case 'settle':
      core.settle().then((fired) => send({ type: 'settled', id: message.id, fired }),
        (error: unknown) => { logger.error('settle failed', { error }); send({ type: 'settled', id: message.id, fired: 0 }); });
      break;
    case 'status': send({ type: 'status', id: message.id, status: core.status() }); break;
    case 'metrics':
      readMetrics().then((snapshot) => send({ type: 'metrics', id: message.id, metrics: snapshot }),
        (error: unknown) => { logger.warn('reading the processing metrics failed', { error }); send({ type: 'metrics', id: message.id, metrics: null }); });
      break;
    case 'stop':
      core.stop().then(() => { functionRunner.dispose(); return store.close(); }).finally(() => send({ type: 'stopped', id: message.id }));
      break;
    default: {
      const never: never = message;
      logger.error('unknown message to the processing worker', { message: never });
    }
  }
});

core.start().then(() => send({ type: 'started' }), (error: unknown) => {
  logger.error('processing failed to start', { error });
  send({ type: 'start-failed', message: error instanceof Error ? error.message : String(error) });
});
