import { expect } from 'chai';
import { openApiDocument } from '../../engine/openapi/openapi-document.ts';
import { HTTP_METHODS, type Operation } from '../../engine/openapi/operation-parts.ts';
import { routesOf, toOpenApiPath } from '../../engine/openapi/route-table.ts';
import { MESSAGE_TYPES } from '../../engine/ingest/validate-message.ts';
import { BATCH_ENDPOINTS } from '../../engine/ingest/ingest-handler.ts';
import { answer, startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';

/*
 * The document against the routes the engine really serves. Express routes are read from the
 * app's router (engine/openapi/route-table.ts); the ingest endpoints are served on node:http,
 * outside Express, so they come from the ingest module. Paths are compared by shape: parameter
 * names do not take part in routing (`/profiles/:profileId/journeys` is `/profiles/{id}/journeys`).
 */

// The ingest handler accepts /v1/<message type> and these two batch paths; it does not export
// the pair, so it is repeated here (see the report asking for an export).

interface Route {
  method: string;
  path: string;
}

const shapeOf = ({ method, path }: Route) => `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, '{}')}`;
const show = ({ method, path }: Route) => `${method.toUpperCase()} ${path}`;

function documented(): Array<Route & { operation: Operation }> {
  return Object.entries(openApiDocument.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => (item[method] ? [{ method: method.toUpperCase(), path, operation: item[method] }] : [])));
}

/** Every route an engine serves, in OpenAPI form (`null` path: Express syntax OpenAPI cannot express). */
function served(t: TestEngine): Array<Route & { expressPath: string; openApiPath: string | null }> {
  const listener = t.engine.server.listeners('request')[0];
  if (typeof listener !== 'function') throw new Error('the engine server has no request listener');
  const express = routesOf(listener).map((r) => ({ ...r, expressPath: r.path, openApiPath: toOpenApiPath(r.path) }));
  const ingest = [...MESSAGE_TYPES, ...BATCH_ENDPOINTS].map((endpoint) => `/v1/${endpoint}`)
    .map((path) => ({ method: 'POST', path, expressPath: path, openApiPath: path }));
  return [...express, ...ingest].map((r) => ({ ...r, path: r.openApiPath ?? r.expressPath }));
}

function missingFrom<T extends Route>(routes: readonly T[], others: readonly Route[]): string[] {
  const shapes = new Set(others.map(shapeOf));
  return [...new Set(routes.filter((r) => !shapes.has(shapeOf(r))).map(show))].sort();
}

/** Calls a documented operation with its credential, placeholder ids and an empty JSON body where it takes one. */
async function call(t: TestEngine, route: Route & { operation: Operation }): Promise<Answer> {
  const headers: Record<string, string> = {};
  const scheme = Object.keys(route.operation.security[0] ?? {})[0];
  if (scheme === 'adminToken') headers['authorization'] = `Bearer ${t.adminToken}`;
  if (scheme === 'operatorToken') headers['authorization'] = `Bearer ${t.operatorToken}`;
  if (scheme === 'writeKey') headers['authorization'] = `Basic ${Buffer.from(`${t.writeKey}:`).toString('base64')}`;
  const body = route.operation.requestBody ? '{}' : undefined;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const url = `${t.url}${route.path.replace(/\{[^}]+\}/g, 'openapi-probe')}`;
  return answer(await fetch(url, { method: route.method, headers, ...(body !== undefined ? { body } : {}) }));
}

/** Whether an answer says the engine has no such route (or not with this method). */
function isUnknownRoute(res: Answer): boolean {
  const code = (res.body as { error?: { code?: string } } | null)?.error?.code;
  return code === 'route_not_found' || code === 'method_not_allowed';
}

describe('openapi: the document matches the routes the engine serves', () => {
  let withClock: TestEngine;
  let plain: TestEngine;
  before(async () => {
    [withClock, plain] = await Promise.all([
      startTestEngine({ dataDir: ':memory:', testClock: true }),
      startTestEngine({ dataDir: ':memory:' }),
    ]);
  });
  after(async () => { await Promise.all([withClock?.close(), plain?.close()]); });

  it('serves the document at GET /api/v1/openapi.json without credentials', async () => {
    const res = await withClock.api('GET', '/api/v1/openapi.json', undefined, { token: null });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    expect(res.body).to.deep.equal(JSON.parse(JSON.stringify(openApiDocument)));
  });

  it('serves only routes whose paths OpenAPI can express', () => {
    expect(served(withClock).filter((r) => r.openApiPath === null).map((r) => `${r.method} ${r.expressPath}`)).to.deep.equal([]);
    expect(served(withClock).filter((r) => r.method === '*').map(show), 'app.all() routes').to.deep.equal([]);
  });

  it('documents every route the engine serves', () => {
    expect(served(withClock).length).to.be.greaterThan(50);
    expect(missingFrom(served(withClock), documented())).to.deep.equal([]);
  });

  it('serves every documented route (the test clock ones with ENGINE_TEST_CLOCK=1)', () => {
    expect(missingFrom(documented(), served(withClock))).to.deep.equal([]);
  });

  it('serves the routes marked x-test-clock-only exactly when the test clock is on', () => {
    const clockOnly = documented().filter((r) => r.operation['x-test-clock-only']);
    expect(clockOnly.map(show)).to.have.members(['GET /api/v1/test-clock', 'POST /api/v1/test-clock/advance']);
    expect(missingFrom(documented().filter((r) => !r.operation['x-test-clock-only']), served(plain)), 'without the test clock').to.deep.equal([]);
    expect(missingFrom(served(withClock), served(plain)), 'served only with the test clock').to.deep.equal(clockOnly.map(show).sort());
  });

  it('answers every documented operation over HTTP with something other than "no such route"', async () => {
    const unknown: string[] = [];
    for (const route of documented()) {
      const res = await call(withClock, route);
      if (isUnknownRoute(res)) unknown.push(`${show(route)} → ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(unknown).to.deep.equal([]);
  });

  it('answers the test-clock operations with "no such route" without the test clock', async () => {
    for (const route of documented().filter((r) => r.operation['x-test-clock-only'])) {
      const res = await call(plain, route);
      expect(isUnknownRoute(res), `${show(route)} → ${res.status}`).to.equal(true);
    }
  });
});
