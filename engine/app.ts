import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { EngineConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { Store } from './store/store.ts';
import type { CredentialService } from './spaces/credential-service.ts';
import type { IngestService } from './ingest/ingest-service.ts';
import type { AudienceService } from './audiences/audience-service.ts';
import type { ProfileFinder } from './profiles/profile-finder.ts';
import { EngineError } from './errors.ts';
import { assignRequestId } from './http/request-id.ts';
import { sendJson } from './http/send-json.ts';
import { jsonBody } from './http/json-body.ts';
import { requireAdmin, requireOperator } from './http/admin-auth.ts';
import { errorHandler, unknownRoute } from './http/error-handler.ts';
import { allowedMethodsOf, type AllowedMethods } from './http/allowed-methods.ts';
import { openApiDocument } from './openapi/openapi-document.ts';
import { routesOfApp, withRouteTable } from './openapi/route-table.ts';
import { createOpsRoutes } from './http/ops-routes.ts';
import { httpMetricsMiddleware } from './metrics/http-metrics.ts';
import type { EngineMetrics } from './metrics/engine-metrics.ts';
import type { ProcessingHandle } from './processing/processing-handle.ts';
import { createIngestHandler, isIngestPath } from './ingest/ingest-handler.ts';
import type { IngestAdmission } from './ingest/ingest-admission.ts';
import { createEventLogRoutes } from './ingest/event-log-routes.ts';
import { createSpaceRoutes } from './spaces/space-routes.ts';
import { createCredentialRoutes } from './spaces/credential-routes.ts';
import { createProfileRoutes } from './profiles/profile-routes.ts';
import { createAudienceRoutes } from './audiences/audience-routes.ts';
import { createCatalogRoutes } from './catalog/catalog-routes.ts';
import { createJourneyRoutes } from './journeys/journey-routes.ts';
import type { JourneyService } from './journeys/journey-service.ts';
import type { DestinationService } from './destination-instances/destination-service.ts';
import { createDestinationRoutes } from './destination-instances/destination-routes.ts';
import type { DeliveryService } from './delivery/delivery-service.ts';
import { createDeliveryRoutes, createSendPreviewRoutes } from './delivery/delivery-routes.ts';
import type { SendPreview } from './delivery/send-preview.ts';
import type { FunctionService } from './functions/function-service.ts';
import { createFunctionRoutes } from './functions/function-routes.ts';
import { createTestClockRoutes } from './scheduler/test-clock-routes.ts';
import type { Clock, ManualClock } from './clock.ts';
import { createObservabilityRoutes } from './observability/observability-routes.ts';
import { createExplainRoutes } from './observability/explain-routes.ts';

/** Everything the HTTP layer needs; built by the engine's composition root. */
export interface AppDeps {
  config: EngineConfig;
  logger: Logger;
  store: Store;
  credentials: CredentialService;
  ingest: IngestService;
  /** Whether an ingest request may go on (concurrency bound, backpressure, per-write-key rate limit). */
  admission: IngestAdmission;
  audiences: AudienceService;
  profiles: ProfileFinder;
  journeys: JourneyService;
  destinations: DestinationService;
  deliveries: DeliveryService;
  sendPreview: SendPreview;
  functions: FunctionService;
  /** Engine time (journey time). */
  clock: Clock;
  /** Present only with ENGINE_TEST_CLOCK=1: the clock, and how to move it and settle. */
  testClock: { clock: ManualClock; advance: (ms: number) => Promise<number> } | null;
  operatorToken: string;
  /** Whether the engine accepts events yet (false while starting or stopping). */
  isReady: () => boolean;
  /** This thread's metrics (/metrics merges the processing worker's in). */
  metrics: EngineMetrics;
  /** Processing, for readiness and its metrics. */
  processing: ProcessingHandle;
}

/** A node:http request listener serving the whole API. */
export type AppListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Builds the engine's HTTP API: the Segment-compatible ingest endpoints on a lean node:http
 * path, and health plus the management API (`/api/v1`) on Express.
 */
export function createApp(deps: AppDeps): AppListener {
  const ingest = createIngestHandler(deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(httpMetricsMiddleware(deps.metrics.http));
  app.use((req, res, next) => {
    const requestId = assignRequestId(req, res);
    const started = performance.now();
    // Read now: by the time the response finishes, a router has cut its mount path from req.path.
    const path = req.path;
    res.on('finish', () => {
      deps.logger.info('request', {
        requestId, method: req.method, path, status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      });
    });
    next();
  });
  // Every route is registered by the time the first request asks.
  let allowed: AllowedMethods | null = null;
  const allowedMethods = () => (allowed ??= allowedMethodsOf(routesOfApp(app)));
  // OPTIONS before any router: each mounted router would answer it itself, counting a sibling's
  // `:id` route as serving a spelled-out path (`/deliveries/redrive`).
  app.use((req, res, next) => {
    const methods = req.method === 'OPTIONS' ? allowedMethods()(req.path) : [];
    if (methods.length === 0) return next();
    res.setHeader('allow', methods.join(', '));
    res.status(204).end();
  });
  app.get('/health', (_req, res) => {
    const ready = deps.isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'starting', store: deps.store.kind });
  });
  app.get('/api/v1/openapi.json', (_req, res) => { res.json(openApiDocument); });
  app.use(createOpsRoutes(deps));
  app.use('/api/v1', jsonBody({ limitBytes: deps.config.maxApiBodyBytes, maxDepth: deps.config.maxJsonDepth }));
  app.use('/api/v1/spaces', requireOperator(deps.credentials, deps.operatorToken), createSpaceRoutes(deps.store.spaces, deps.credentials));
  app.use('/api/v1', requireAdmin(deps.credentials, deps.operatorToken));
  app.use('/api/v1', createCredentialRoutes(deps.store.spaces, deps.credentials));
  app.use('/api/v1/events', createEventLogRoutes(deps.store.events));
  app.use('/api/v1/profiles', createProfileRoutes(deps.profiles, deps.audiences));
  app.use('/api/v1/audiences', createAudienceRoutes(deps.audiences));
  app.use('/api/v1/catalog', createCatalogRoutes(deps.store.catalog));
  app.use('/api/v1', createJourneyRoutes(deps.journeys, deps.store, deps.profiles));
  app.use('/api/v1', createDestinationRoutes(deps.destinations));
  app.use('/api/v1', createDeliveryRoutes(deps.deliveries));
  app.use('/api/v1', createSendPreviewRoutes(deps.sendPreview));
  app.use('/api/v1', createFunctionRoutes(deps.functions));
  app.use('/api/v1', createObservabilityRoutes({ store: deps.store, journeys: deps.journeys, finder: deps.profiles, clock: deps.clock }));
  app.use('/api/v1', createExplainRoutes({ store: deps.store, profiles: deps.profiles, audiences: deps.audiences }));
  if (deps.testClock) app.use('/api/v1/test-clock', createTestClockRoutes(deps.testClock.clock, deps.testClock.advance));
  app.use(unknownRoute(allowedMethods));
  app.use(errorHandler(deps.logger, deps.store.isTransientError));

  return withRouteTable(app, (req, res) => {
    if (isIngestPath(req.url)) {
      if (!deps.isReady()) {
        deps.metrics.ingest.rejected('not_ready');
        sendJson(res, 503, new EngineError('not_ready', 'the engine is not accepting events right now; retry').toBody());
        return;
      }
      ingest(req, res);
      return;
    }
    app(req, res);
  });
}
