import { json, jsonBody, object, op, schemaRef, str, timestamp, type ApiArea, type Schema } from './operation-parts.ts';

const TAG = 'Engine';

// The same bound test-clock-routes.ts enforces.
const MAX_ADVANCE_MS = 10 * 366 * 86_400_000;

const timedCheck = {
  ok: { type: 'boolean' },
  latencyMs: { type: 'number', minimum: 0 },
  error: str({ description: 'Why the check failed.' }),
};

const schemas: Record<string, Schema> = {
  Health: object({
    status: { type: 'string', enum: ['ok', 'starting'] },
    store: str({ description: 'The store kind (sqlite, mongodb).' }),
  }),
  Readiness: object({
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: object({
      engine: object({ ok: { type: 'boolean', description: 'Whether the engine accepts events (not starting or stopping).' } }),
      store: object(timedCheck, { optional: ['error'], description: 'The store answers.' }),
      scheduler: object({
        ...timedCheck,
        processor: { type: 'boolean', description: 'Whether this process holds the processing lease (with several processes, only one does: information, not a fault).' },
      }, { optional: ['error'], description: 'Processing (event processor, timers, deliveries) runs.' }),
    }),
  }, { description: 'Whether the engine can serve traffic, check by check.' }),
  TestClock: object({ now: timestamp }),
};

/** Health, readiness, metrics, this document, and the test clock. */
export const engineArea: ApiArea = {
  tag: { name: TAG, description: 'The engine process itself.' },
  schemas,
  paths: {
    '/health': {
      get: op(TAG, {
        id: 'getHealth', summary: 'Liveness: whether the engine accepts requests yet', auth: 'none',
        responses: {
          200: json('Accepting requests.', { allOf: [schemaRef('Health'), { properties: { status: { const: 'ok' } } }] }),
          503: json('Starting or stopping.', schemaRef('Health')),
        },
      }),
    },
    '/ready': {
      get: op(TAG, {
        id: 'getReadiness', summary: 'Readiness: whether the store and the scheduler work', auth: 'none',
        responses: {
          200: json('Ready.', { allOf: [schemaRef('Readiness'), { properties: { status: { const: 'ready' } } }] }),
          503: json('Not ready; the failing checks say why.', schemaRef('Readiness')),
        },
      }),
    },
    '/metrics': {
      get: op(TAG, {
        id: 'getMetrics', summary: 'Prometheus metrics', auth: 'none',
        responses: {
          200: { description: 'Metrics in the Prometheus text exposition format.', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      }),
    },
    '/api/v1/openapi.json': {
      get: op(TAG, {
        id: 'getOpenApiDocument', summary: 'This document (OpenAPI 3.1)', auth: 'none',
        responses: { 200: json('The document.', { type: 'object', required: ['openapi', 'info', 'paths'] }) },
      }),
    },
    '/api/v1/test-clock': {
      get: op(TAG, {
        id: 'getTestClock', summary: "The test clock's time", auth: 'admin', testClockOnly: true,
        description: 'Only with ENGINE_TEST_CLOCK=1 (tests and demos); 404 otherwise.',
        responses: { 200: json('Its time.', schemaRef('TestClock')) },
        errors: [404],
      }),
    },
    '/api/v1/test-clock/advance': {
      post: op(TAG, {
        id: 'advanceTestClock', summary: 'Move the test clock and wait until everything due was processed', auth: 'admin', testClockOnly: true,
        description: 'Only with ENGINE_TEST_CLOCK=1 (tests and demos); 404 otherwise.',
        body: jsonBody(object({ ms: { type: 'integer', minimum: 0, maximum: MAX_ADVANCE_MS, description: 'Milliseconds to move forward.' } })),
        responses: {
          200: json('The new time and how many timers fired.', object({ now: timestamp, fired: { type: 'integer', minimum: 0 } })),
        },
        errors: [404],
      }),
    },
  },
};
