import type { NextFunction, Request, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';

type HttpLabel = 'method' | 'route' | 'status_class';

/** Latency buckets (seconds) from sub-millisecond ingest answers to slow management calls. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = ['OTHER', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const METHOD_INDEX = new Map(METHODS.map((m, i) => [m, i]));
const STATUS_CLASSES = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** The route label of requests answered before any route matched (unknown paths, failed authentication). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Request latency of the HTTP API by method, route template and status class. Labels are
 * bounded: the route is a template (`/api/v1/journeys/:journeyId`), never the raw URL, and an
 * unusual method counts as OTHER.
 */
export class HttpMetrics {
  readonly #duration: Histogram<HttpLabel>;
  // Children cached per route, then by method × status class: observing on the ingest path
  // builds no label object and no key string.
  readonly #children = new Map<string, Array<Histogram.Internal<HttpLabel> | undefined>>();

  constructor(registry: Registry) {
    this.#duration = new Histogram({
      name: 'journey_engine_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'], buckets: BUCKETS, registers: [registry],
    });
  }

  /** Records one answered request. */
  observe(method: string | undefined, route: string, status: number, seconds: number): void {
    const m = (method === undefined ? undefined : METHOD_INDEX.get(method)) ?? 0;
    const hundreds = Math.floor(status / 100);
    const c = hundreds >= 1 && hundreds <= 5 ? hundreds : 0;
    let slots = this.#children.get(route);
    if (slots === undefined) {
      slots = [];
      this.#children.set(route, slots);
    }
    const slot = m * STATUS_CLASSES.length + c;
    let child = slots[slot];
    if (child === undefined) {
      child = this.#duration.labels(METHODS[m]!, route, STATUS_CLASSES[c]!);
      slots[slot] = child;
    }
    child.observe(seconds);
  }
}

/** Express middleware recording every request's latency under the template of the route that answered it. */
export function httpMetricsMiddleware(metrics: HttpMetrics): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const started = performance.now();
    let route: unknown;
    let template: string | null = null;
    // Express sets req.route when a route matches, while req.baseUrl still holds the mount path of
    // its router; by the time an error handler answers, baseUrl is restored. Catch it at that moment.
    Object.defineProperty(req, 'route', {
      configurable: true, enumerable: true,
      get: () => route,
      set: (value: unknown) => {
        route = value;
        template = templateOf(req.baseUrl, value);
      },
    });
    res.on('finish', () => metrics.observe(req.method, template ?? UNMATCHED_ROUTE, res.statusCode, (performance.now() - started) / 1000));
    next();
  };
}

function templateOf(baseUrl: string, route: unknown): string | null {
  const path = (route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return null;
  const full = `${baseUrl}${path}`;
  return full.length > 1 && full.endsWith('/') ? full.slice(0, -1) : full;
}
