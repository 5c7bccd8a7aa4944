import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineConfig } from '../config.ts';
import { EngineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { CredentialService } from '../spaces/credential-service.ts';
import { basicUsername } from '../http/credentials-from-request.ts';
import { readBatchBody, readJsonBody, type BatchBody, type JsonBodyLimits } from '../http/read-json-body.ts';
import { assignRequestId } from '../http/request-id.ts';
import { sendError, sendJson, toEngineError } from '../http/send-json.ts';
import type { Store } from '../store/store.ts';
import type { IngestService } from './ingest-service.ts';
import type { IngestAdmission } from './ingest-admission.ts';
import type { MessageType } from '../store/event-store.ts';
import { isMessageType, MESSAGE_TYPES } from './validate-message.ts';
import type { EngineMetrics } from '../metrics/engine-metrics.ts';
import { UNMATCHED_ROUTE } from '../metrics/http-metrics.ts';

/** Dependencies of the ingest HTTP handler. */
export interface IngestHandlerDeps {
  ingest: IngestService;
  credentials: CredentialService;
  config: Pick<EngineConfig, 'maxMessageBytes' | 'maxBatchBytes' | 'maxJsonDepth'>;
  /** Whether a request may go on: concurrency bound, backpressure, per-write-key rate limit. */
  admission: Pick<IngestAdmission, 'enter' | 'leave' | 'charge'>;
  logger: Logger;
  /** Which store errors are passing conditions (answered 503 with Retry-After, not 500). */
  store: Pick<Store, 'isTransientError'>;
  /** Request latency and rejections. */
  metrics: Pick<EngineMetrics, 'http' | 'ingest'>;
}

/** The ingest endpoints, as the route label of the request-latency metric. */
/** Endpoints that take many messages of any type (`import` is Segment's older name for batch). */
export const BATCH_ENDPOINTS = ['batch', 'import'] as const;

const INGEST_ROUTES = new Set([...MESSAGE_TYPES, ...BATCH_ENDPOINTS].map((p) => `/v1/${p}`));

/** Whether a request targets the Segment-compatible ingest API. */
export function isIngestPath(url: string | undefined): boolean {
  return url !== undefined && url.startsWith('/v1/');
}

/**
 * The Segment HTTP Tracking API (`POST /v1/track|identify|page|screen|group|alias|batch|import`)
 * on plain node:http. Why not Express: ingest is the hot path, and Express costs about twice
 * the CPU per request (see product.md); the management API stays on Express.
 */
export function createIngestHandler(deps: IngestHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const limits: BodyLimits = {
    single: { limitBytes: deps.config.maxMessageBytes, maxDepth: deps.config.maxJsonDepth },
    batch: { limitBytes: deps.config.maxBatchBytes, maxDepth: deps.config.maxJsonDepth },
  };
  return (req, res) => {
    const started = performance.now();
    const requestId = assignRequestId(req, res);
    handle(deps, limits, req, res).then(() => observe(deps, req, res, started), (error: unknown) => {
      const engineError = toEngineError(error, deps.store.isTransientError);
      if (engineError.status >= 500 && engineError.code !== 'overloaded') deps.logger.error('ingest failed', { requestId, error });
      else deps.logger.debug('ingest rejected', { requestId, code: engineError.code, message: engineError.message });
      deps.metrics.ingest.rejected(engineError.code);
      // A connection the server closed (request timeout) has nobody left to answer.
      if (!res.headersSent && !res.destroyed) sendError(res, engineError);
      observe(deps, req, res, started);
    });
  };
}

/** Body limits of single calls and batches. */
interface BodyLimits {
  single: JsonBodyLimits;
  batch: JsonBodyLimits;
}

/** Records the request's latency under its endpoint (the answer is written, though maybe not flushed yet). */
function observe(deps: IngestHandlerDeps, req: IncomingMessage, res: ServerResponse, started: number): void {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  const route = INGEST_ROUTES.has(path) ? path : UNMATCHED_ROUTE;
  deps.metrics.http.observe(req.method, route, res.statusCode, (performance.now() - started) / 1000);
}

async function handle(deps: IngestHandlerDeps, limits: BodyLimits, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0]!.slice('/v1/'.length);
  const isBatch = (BATCH_ENDPOINTS as readonly string[]).includes(path);
  const type = isMessageType(path) ? path : null;
  if (!isBatch && type === null) {
    throw new EngineError('route_not_found', `POST /v1/${path} is not an ingest endpoint; use /v1/track, identify, page, screen, group, alias or batch`);
  }
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    throw new EngineError('method_not_allowed', `use POST for /v1/${path}`);
  }
  try {
    deps.admission.enter();
  } catch (error) {
    // Refused before the body is read: drain it so the connection can carry the answer and the next request.
    req.resume();
    throw error;
  }
  try {
    await admitted(deps, isBatch ? limits.batch : limits.single, type, req, res);
  } finally {
    deps.admission.leave();
  }
}

/** Events a request carries, as the rate limit counts them (a malformed body counts one: validation refuses it next). */
function eventCount(body: unknown, type: MessageType | null): number {
  if (type !== null) return 1;
  const batch = body !== null && typeof body === 'object' ? (body as { batch?: unknown }).batch : undefined;
  return Array.isArray(batch) && batch.length > 0 ? batch.length : 1;
}

/** A request `admission` let in: read, authenticate, charge to the write key, store. */
async function admitted(deps: IngestHandlerDeps, limits: JsonBodyLimits, type: MessageType | null, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headerKey = basicUsername(req);
  if (headerKey !== null && !await deps.credentials.authenticate(headerKey, 'write_key')) {
    req.resume();
    throw new EngineError('invalid_credentials', 'the write key is unknown or revoked');
  }
  const { value: body, messageBytes } = await readIngestBody(req, limits, type === null).catch((error: unknown) => { throw inBatchMessage(error); });
  // Segment also accepts the write key inside the body (batch requests from some clients).
  const bodyKey = body !== null && typeof body === 'object' && typeof (body as { writeKey?: unknown }).writeKey === 'string'
    ? (body as { writeKey: string }).writeKey : null;
  const key = headerKey ?? bodyKey;
  if (key === null) {
    throw new EngineError('missing_credentials', 'send the write key as the HTTP Basic username (or as writeKey in the body)');
  }
  const principal = await deps.credentials.authenticate(key, 'write_key');
  if (!principal) throw new EngineError('invalid_credentials', 'the write key is unknown or revoked');
  deps.admission.charge(principal.credentialId, eventCount(body, type));
  const result = type === null
    ? await deps.ingest.batch(principal.spaceId, body, messageBytes)
    : await deps.ingest.single(principal.spaceId, type, body);
  sendJson(res, 200, { success: true, ...result });
}

/** A single call's body, or a batch's with the size of each message as sent. */
async function readIngestBody(req: IncomingMessage, limits: JsonBodyLimits, batch: boolean): Promise<BatchBody> {
  return batch ? readBatchBody(req, limits) : { value: await readJsonBody(req, limits), messageBytes: null };
}

/** A body error at `/batch/<i>/…` (a number too large) names its batch message, as validation errors do. */
function inBatchMessage(error: unknown): unknown {
  if (!(error instanceof EngineError) || typeof error.details.path !== 'string') return error;
  const index = /^\/batch\/(\d+)(?:\/|$)/.exec(error.details.path)?.[1];
  if (index === undefined) return error;
  return new EngineError(error.code, `${error.message} (batch message ${index})`, { ...error.details, index: Number(index) }, { cause: error.cause });
}
