/**
 * The security sweep: every operation of the OpenAPI document (so a new route is swept the day it
 * is documented, and test/openapi checks that every served route is documented) is called with
 * credentials it must refuse: none, malformed headers, wrong, revoked and rotated-away tokens, a
 * write key as a Bearer token, the operator token on admin routes, an admin token on operator
 * routes, and another space's admin token on this space's ids. Each refusal must be 401, 403 or
 * 404 with nothing but the error in the body, no answer may carry the seeded space's ids, names
 * or secrets, and afterwards the seeded space must read exactly as before.
 */
import { expect } from 'chai';
import { openApiDocument } from '../../engine/openapi/openapi-document.ts';
import type { Operation, Parameter, Reference } from '../../engine/openapi/operation-parts.ts';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';
import { sendOnEntryJourney, startSink, type Sink } from '../delivery-e2e/helpers.ts';
import { expectNoMarkers, expectOnlyError, seedSpace, spaceSnapshot, type SeededSpace } from './seeded-space.ts';

/** The endpoints that take no credentials, as the README documents them. */
const PUBLIC_OPERATIONS = ['GET /health', 'GET /ready', 'GET /metrics', 'GET /api/v1/openapi.json'];
const SCHEMES = ['adminToken', 'operatorToken', 'writeKey'] as const;
type Scheme = (typeof SCHEMES)[number];

interface SweptOperation {
  method: string;
  path: string;
  operation: Operation;
  /** The one scheme it declares; null for the public ones. */
  scheme: Scheme | null;
}

function listOperations(): SweptOperation[] {
  const found: SweptOperation[] = [];
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    for (const [method, operation] of Object.entries(item) as Array<[string, Operation]>) {
      const requirement = Array.isArray(operation.security) ? operation.security : [];
      const names = requirement.flatMap((r) => Object.keys(r));
      const scheme = names.length === 1 && (SCHEMES as readonly string[]).includes(names[0]!) ? names[0] as Scheme : null;
      found.push({ method: method.toUpperCase(), path, operation, scheme });
    }
  }
  return found;
}

const OPERATIONS = listOperations();
const byScheme = (scheme: Scheme) => OPERATIONS.filter((o) => o.scheme === scheme);
const label = (o: SweptOperation) => `${o.method} ${o.path}`;

/**
 * The seeded value of each path parameter, keyed by the segment before it. A new route whose
 * parameter is not here fails the sweep with a message saying what to add.
 */
const PATH_VALUES: Record<string, (s: SeededSpace) => string> = {
  'spaces/{id}': (s) => s.spaceId,
  'credentials/{id}': (s) => s.victimCredentialId,
  'profiles/{id}': (s) => s.profileId,
  'profiles/{profileId}': (s) => s.profileId,
  'audiences/{id}': (s) => s.audienceId,
  'events/{name}': (s) => s.eventName,
  'journeys/{id}': (s) => s.journeyId,
  'instances/{instanceId}': (s) => s.instanceId,
  'instances/{id}': (s) => s.instanceId,
  'steps/{stepId}': (s) => s.stepId,
  'destination-plugins/{slug}': () => 'webhook',
  'destinations/{id}': (s) => s.destinationId,
  'deliveries/{id}': (s) => s.deliveryId,
  'functions/{id}': (s) => s.functionId,
};
/** Parameters that name something of no space (a plugin), or only within another id (a step of a journey). */
const NOT_SPACE_SCOPED = new Set(['destination-plugins/{slug}', 'steps/{stepId}']);
/** Query parameters filled in when an operation declares them: they aim at the seeded space's data. */
const QUERY_VALUES: Record<string, (s: SeededSpace) => string> = {
  userId: (s) => s.userId,
  messageId: (s) => s.messageId,
};

/** The operation's path with the seeded space's ids in it, and whether any of them is the space's own. */
function fillPath(o: SweptOperation, s: SeededSpace): { url: string; spaceScoped: boolean } {
  const segments = o.path.split('/');
  let spaceScoped = false;
  const filled = segments.map((segment, i) => {
    if (!segment.startsWith('{')) return segment;
    const key = `${segments[i - 1]}/${segment}`;
    const value = PATH_VALUES[key];
    if (!value) throw new Error(`${label(o)}: no seeded value for ${key}; add one to PATH_VALUES in ${import.meta.url}`);
    if (!NOT_SPACE_SCOPED.has(key)) spaceScoped = true;
    return encodeURIComponent(value(s));
  });
  const query = new URLSearchParams();
  for (const p of o.operation.parameters ?? []) {
    const parameter = resolveParameter(p);
    const value = QUERY_VALUES[parameter.name];
    if (parameter.in === 'query' && value) query.set(parameter.name, value(s));
  }
  const search = query.toString();
  return { url: filled.join('/') + (search ? `?${search}` : ''), spaceScoped };
}

function resolveParameter(p: Parameter | Reference): Parameter {
  if (!('$ref' in p)) return p;
  const name = p.$ref.replace('#/components/parameters/', '');
  const found = openApiDocument.components.parameters[name];
  if (!found) throw new Error(`unresolvable parameter ${p.$ref}`);
  return found;
}

/** Plausible bodies (valid JSON, mostly valid requests), so that a refusal is about credentials, not input. */
function bodyOf(o: SweptOperation): unknown {
  const run = Math.random().toString(36).slice(2, 8);
  const draft = sendOnEntryJourney(`Intruder journey ${run}`, 'Intruder Event', {});
  const bodies: Record<string, unknown> = {
    'POST /api/v1/test-clock/advance': { ms: 1 },
    'POST /api/v1/spaces': { name: `Intruder space ${run}` },
    'POST /api/v1/credentials': { kind: 'admin_token', label: 'intruder' },
    'POST /api/v1/audiences': { name: `Intruder audience ${run}` },
    'PUT /api/v1/audiences/{id}': { name: `Renamed ${run}` },
    'POST /api/v1/audiences/{id}/members': { add: [{ userId: 'intruder' }] },
    'POST /api/v1/journeys': draft,
    'PUT /api/v1/journeys/{id}': draft,
    'POST /api/v1/journeys/{id}/publish': { previousVersion: 'drain' },
    'POST /api/v1/journeys/{id}/duplicate': { name: `Intruder copy ${run}` },
    'POST /api/v1/destinations': { plugin: 'webhook', name: `Intruder hook ${run}`, settings: {} },
    'PUT /api/v1/destinations/{id}': { plugin: 'webhook', name: `Hijacked ${run}`, settings: {} },
    'POST /api/v1/deliveries/redrive': { status: 'failed' },
    'POST /api/v1/journeys/{id}/steps/{stepId}/preview': { event: { event: 'Intruder Event', properties: {} }, userId: 'intruder' },
    'POST /api/v1/journeys/{id}/steps/{stepId}/test': { event: { event: 'Intruder Event', properties: {} }, userId: 'intruder' },
    'POST /api/v1/functions': { name: `Intruder fn ${run}`, code: 'async function onTrack() {}' },
    'PUT /api/v1/functions/{id}': { name: `Hijacked fn ${run}`, code: 'async function onTrack() {}' },
    'POST /api/v1/functions/{id}/deploy': {},
    'POST /api/v1/functions/{id}/test': { event: { type: 'track', event: 'Intruder Event', userId: 'intruder' } },
  };
  const key = label(o);
  if (key in bodies) return bodies[key];
  return o.operation.requestBody ? {} : undefined;
}

/** A Segment message for each ingest endpoint (by its last path segment). */
function ingestBody(path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const message = { userId: 'intruder', messageId: `intruder-${Math.random()}`, ...extra };
  switch (path.split('/').at(-1)) {
    case 'identify': return { ...message, traits: { plan: 'intruder' } };
    case 'page': case 'screen': return { ...message, name: 'Intruder' };
    case 'group': return { ...message, groupId: 'intruders' };
    case 'alias': return { ...message, previousId: 'intruder-before' };
    case 'batch': case 'import': return { batch: [{ type: 'track', event: 'Intruder Event', userId: 'intruder' }], ...extra };
    default: return { ...message, event: 'Intruder Event' };
  }
}

const basic = (username: string) => `Basic ${Buffer.from(`${username}:`).toString('base64')}`;
const made = (prefix: string) => `${prefix}_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

/** A credential to try, and how it must be refused. */
interface Attempt {
  what: string;
  authorization: string | null;
  status: number;
  codes: string[];
}

const MISSING = { status: 401, codes: ['missing_credentials'] };
const INVALID = { status: 401, codes: ['invalid_credentials'] };
const FORBIDDEN = { status: 403, codes: ['forbidden'] };

/** Header shapes that carry no usable Bearer token, built around a real one so near misses are tried. */
function malformed(token: string): Attempt[] {
  return [
    { what: 'no Authorization header', authorization: null, ...MISSING },
    { what: 'an empty Bearer', authorization: 'Bearer', ...MISSING },
    { what: 'the token without a scheme', authorization: token, ...MISSING },
    { what: 'the token as HTTP Basic', authorization: basic(token), ...MISSING },
    { what: 'another scheme', authorization: `Token ${token}`, ...MISSING },
    { what: 'the token with a character added', authorization: `Bearer ${token}x`, ...INVALID },
    { what: 'the token without its last character', authorization: `Bearer ${token.slice(0, -1)}`, ...INVALID },
    { what: 'the token twice', authorization: `Bearer ${token} ${token}`, ...INVALID },
    { what: 'the token in upper case', authorization: `Bearer ${token.toUpperCase()}`, ...INVALID },
  ];
}

describe('security sweep: every documented route refuses foreign and broken credentials and leaks nothing', function () {
  this.timeout(120_000);
  let t: TestEngine;
  let sink: Sink;
  let s: SeededSpace;
  let snapshotBefore: Record<string, unknown>;

  before(async () => {
    sink = await startSink();
    t = await startTestEngine({ testClock: true });
    s = await seedSpace(t, sink);
    snapshotBefore = await spaceSnapshot(t, s);
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  /** Calls the operation with exactly this Authorization header (or none). */
  async function call(o: SweptOperation, authorization: string | null): Promise<{ answer: Answer; sent: string }> {
    const { url } = fillPath(o, s);
    const body = bodyOf(o);
    const answer = await t.api(o.method, url, body, { token: null, headers: authorization === null ? {} : { authorization } });
    return { answer, sent: `${decodeURIComponent(url)} ${JSON.stringify(body ?? null)}` };
  }

  it('declares a credential on every operation except the documented public ones', () => {
    const undeclared = OPERATIONS.filter((o) => o.scheme === null && !PUBLIC_OPERATIONS.includes(label(o)));
    expect(undeclared.map(label), 'operations without exactly one declared security scheme').to.deep.equal([]);
    for (const o of OPERATIONS.filter((op) => PUBLIC_OPERATIONS.includes(label(op)))) {
      expect(o.operation.security, `${label(o)} is public and says so`).to.deep.equal([]);
    }
    expect(OPERATIONS.filter((o) => o.scheme === null).map(label).sort()).to.deep.equal([...PUBLIC_OPERATIONS].sort());
    // The sweep below covers something of each kind, and every parameter has a seeded value.
    for (const scheme of SCHEMES) expect(byScheme(scheme), scheme).not.to.be.empty;
    expect(byScheme('adminToken').length).to.be.greaterThan(50);
    for (const o of OPERATIONS) expect(() => fillPath(o, s)).not.to.throw();
  });

  it('the public endpoints answer without credentials and carry none of the space\'s data', async () => {
    for (const o of OPERATIONS.filter((op) => op.scheme === null)) {
      const { answer, sent } = await call(o, null);
      expect(answer.status, label(o)).to.equal(200);
      expectNoMarkers(answer, s.markers, sent, label(o));
    }
  });

  it('admin routes refuse no token, malformed headers, made-up, revoked and rotated-away tokens, a write key and the operator token', async () => {
    const attempts: Attempt[] = [
      ...malformed(s.adminToken),
      { what: 'a made-up admin token', authorization: `Bearer ${made('adm')}`, ...INVALID },
      { what: 'a revoked admin token', authorization: `Bearer ${s.revokedAdminToken}`, ...INVALID },
      { what: 'an admin token replaced by rotation', authorization: `Bearer ${s.rotatedAwayAdminToken}`, ...INVALID },
      { what: 'the write key as a Bearer token', authorization: `Bearer ${s.writeKey}`, ...INVALID },
      { what: 'a revoked write key as a Bearer token', authorization: `Bearer ${s.revokedWriteKey}`, ...INVALID },
      { what: 'the operator token', authorization: `Bearer ${t.operatorToken}`, ...FORBIDDEN },
    ];
    for (const o of byScheme('adminToken')) {
      for (const attempt of attempts) {
        const { answer, sent } = await call(o, attempt.authorization);
        const what = `${label(o)} with ${attempt.what}`;
        expectOnlyError(answer, [attempt.status], attempt.codes, what);
        expectNoMarkers(answer, s.markers, sent, what);
      }
    }
  });

  it("admin routes with another space's admin token: 404 for this space's ids, and none of its data anywhere", async () => {
    const token = `Bearer ${s.other.adminToken}`;
    for (const o of byScheme('adminToken')) {
      // Moving the test clock is engine-wide by design (a test facility, refused in production).
      if (o.operation['x-test-clock-only'] && o.method !== 'GET') continue;
      const { spaceScoped } = fillPath(o, s);
      const { answer, sent } = await call(o, token);
      const what = `${label(o)} with another space's admin token`;
      if (spaceScoped) expectOnlyError(answer, [404], ['not_found'], what);
      else expect(answer.status, `${what}: ${JSON.stringify(answer.body)}`).to.be.below(500);
      expectNoMarkers(answer, s.markers, sent, what);
    }
  });

  it('operator routes refuse no token, malformed headers, a made-up operator token, admin tokens (this and another space\'s) and write keys', async () => {
    const attempts: Attempt[] = [
      ...malformed(t.operatorToken),
      { what: 'a made-up operator token', authorization: `Bearer ${made('op')}`, ...INVALID },
      { what: 'a revoked admin token', authorization: `Bearer ${s.revokedAdminToken}`, ...INVALID },
      { what: 'the write key as a Bearer token', authorization: `Bearer ${s.writeKey}`, ...INVALID },
      { what: "the space's admin token", authorization: `Bearer ${s.adminToken}`, ...FORBIDDEN },
      { what: "another space's admin token", authorization: `Bearer ${s.other.adminToken}`, ...FORBIDDEN },
    ];
    for (const o of byScheme('operatorToken')) {
      for (const attempt of attempts) {
        const { answer, sent } = await call(o, attempt.authorization);
        const what = `${label(o)} with ${attempt.what}`;
        expectOnlyError(answer, [attempt.status], attempt.codes, what);
        expectNoMarkers(answer, s.markers, sent, what);
      }
    }
  });

  it('ingest routes refuse no write key, wrong, revoked, admin and operator tokens (header or body) and store nothing', async () => {
    const headerAttempts: Attempt[] = [
      { what: 'no credentials', authorization: null, ...MISSING },
      { what: 'an empty Basic username', authorization: basic(''), ...MISSING },
      { what: 'Basic with garbage', authorization: 'Basic !!!not-base64!!!', ...INVALID },
      { what: 'a made-up write key', authorization: basic(made('wk')), ...INVALID },
      { what: 'a revoked write key', authorization: basic(s.revokedWriteKey), ...INVALID },
      { what: 'the admin token as the Basic username', authorization: basic(s.adminToken), ...INVALID },
      { what: 'the operator token as the Basic username', authorization: basic(t.operatorToken), ...INVALID },
      { what: 'the admin token as a Bearer token', authorization: `Bearer ${s.adminToken}`, ...MISSING },
      { what: 'the write key as a Bearer token', authorization: `Bearer ${s.writeKey}`, ...MISSING },
    ];
    const bodyKeys = [
      { what: 'a made-up writeKey in the body', writeKey: made('wk') },
      { what: 'a revoked writeKey in the body', writeKey: s.revokedWriteKey },
      { what: 'the admin token as writeKey in the body', writeKey: s.adminToken },
    ];
    for (const o of byScheme('writeKey')) {
      for (const attempt of headerAttempts) {
        const headers: Record<string, string> = attempt.authorization === null ? {} : { authorization: attempt.authorization };
        const answer = await t.ingest(o.path, ingestBody(o.path), { writeKey: null, headers });
        const what = `${label(o)} with ${attempt.what}`;
        expectOnlyError(answer, [attempt.status], attempt.codes, what);
        expectNoMarkers(answer, s.markers, '', what);
      }
      for (const attempt of bodyKeys) {
        const answer = await t.ingest(o.path, ingestBody(o.path, { writeKey: attempt.writeKey }), { writeKey: null });
        const what = `${label(o)} with ${attempt.what}`;
        expectOnlyError(answer, [401], ['invalid_credentials'], what);
        expectNoMarkers(answer, s.markers, attempt.writeKey, what);
      }
    }
  });

  it('nothing changed in the seeded space (read back in full with its own admin token)', async () => {
    await t.settle();
    expect(await spaceSnapshot(t, s)).to.deep.equal(snapshotBefore);
  });
});
