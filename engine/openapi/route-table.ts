import type { Express } from 'express';

/*
 * Which routes the Express app really serves, for checking the OpenAPI document against them.
 * createApp returns a plain node:http listener (ingest bypasses Express), so the app is kept
 * beside its listener here. Routes are read from the router itself (router 2.3's listRoutes,
 * recursing into mounted routers), so a route added anywhere is seen without updating a list.
 */

/** A route as Express serves it: upper-case method and Express path (`/api/v1/journeys/:id`). */
export interface ServedRoute {
  method: string;
  path: string;
}

/** What router 2.3's `listRoutes()` answers (express's own typings predate it). */
interface ListedRoute {
  path: string | RegExp;
  methods?: string[] | undefined;
  router?: RouteLister | undefined;
}

interface RouteLister {
  listRoutes?: () => ListedRoute[];
}

const appsByListener = new WeakMap<object, Express>();

/** Returns `listener`, remembering that it dispatches to `app` (see routesOf). */
export function withRouteTable<L extends object>(app: Express, listener: L): L {
  appsByListener.set(listener, app);
  return listener;
}

function joinPaths(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function collect(router: RouteLister, prefix: string, out: ServedRoute[]): void {
  if (typeof router.listRoutes !== 'function') throw new Error('listing routes needs router 2.3 or newer (Router#listRoutes)');
  for (const entry of router.listRoutes()) {
    if (typeof entry.path !== 'string') throw new Error(`a route under '${prefix || '/'}' is a RegExp (${String(entry.path)}); it cannot be documented`);
    const path = joinPaths(prefix, entry.path);
    if (entry.router) {
      collect(entry.router, path, out);
      continue;
    }
    const methods = entry.methods ?? [];
    // listRoutes appends HEAD to every GET route; only a HEAD registered on its own is a route of its own.
    for (const method of methods) if (method !== 'HEAD' || !methods.includes('GET')) out.push({ method, path });
  }
}

/**
 * The routes served by the Express app behind a listener made with withRouteTable (`*` as the
 * method of an `.all()` route). Throws for any other listener.
 */
export function routesOf(listener: object): ServedRoute[] {
  const app = appsByListener.get(listener);
  if (!app) throw new Error('this listener was not made by createApp (no route table is kept for it)');
  return routesOfApp(app);
}

/** The routes an Express app serves (see routesOf). */
export function routesOfApp(app: Express): ServedRoute[] {
  const routes: ServedRoute[] = [];
  // express types `app.router` without listRoutes, which router 2.3 added; see ListedRoute.
  collect(app.router as unknown as RouteLister, '', routes);
  return routes;
}

/**
 * The OpenAPI form of an Express path (`:id` → `{id}`), or null when it uses syntax OpenAPI
 * paths cannot express (wildcards, optional groups, several parameters in one segment).
 */
export function toOpenApiPath(expressPath: string): string | null {
  const segments = expressPath.split('/').map((segment) => {
    if (/^:[A-Za-z_$][\w$]*$/.test(segment)) return `{${segment.slice(1)}}`;
    return /[:*{}()?+]/.test(segment) ? null : segment;
  });
  return segments.includes(null) ? null : segments.join('/');
}
