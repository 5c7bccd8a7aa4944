import type { ServedRoute } from '../openapi/route-table.ts';

/** The methods a path is served with, from the app's route table (empty when no route has the path). */
export type AllowedMethods = (path: string) => string[];

/**
 * Matches request paths against Express route paths (`:param` segments match any one segment),
 * so that a known path asked with another method answers 405 with `Allow` instead of 404.
 */
export function allowedMethodsOf(routes: readonly ServedRoute[]): AllowedMethods {
  const patterns = routes.map((r) => ({
    method: r.method,
    literal: !r.path.includes(':'),
    regex: new RegExp(`^${r.path.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`),
  }));
  return (path) => {
    const matching = patterns.filter((p) => p.regex.test(path));
    // A path spelled out by a route (`/deliveries/redrive`) is that resource, not a value of a
    // sibling's parameter (`/deliveries/:id`).
    const chosen = matching.some((p) => p.literal) ? matching.filter((p) => p.literal) : matching;
    const methods = new Set(chosen.map((p) => p.method));
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.size > 0) methods.add('OPTIONS');
    return [...methods].sort();
  };
}
