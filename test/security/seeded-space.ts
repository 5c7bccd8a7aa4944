/**
 * A space with one of everything, for the security suites: a profile, an audience, a webhook
 * destination with a shared secret, a deployed function with a secret setting, a published
 * journey that sent to a local sink (so an instance and a delivery exist), extra credentials
 * (live, revoked, rotated away) and a second space. Every id, name and secret is collected as a
 * "marker": a value that must never appear in an answer to someone who is not this space's admin.
 */
import { expect } from 'chai';
import type { Answer, TestEngine } from '../support/test-engine.ts';
import { ok, publishJourney, sendOnEntryJourney, webhookTarget, type Sink } from '../delivery-e2e/helpers.ts';

/** What seedSpace made, by role. */
export interface SeededSpace {
  spaceId: string;
  writeKey: string;
  adminToken: string;
  /** A live admin token of the space whose credential id the sweep aims at (never used to authenticate). */
  victimCredentialId: string;
  /** Revoked with DELETE /credentials/{id}. */
  revokedAdminToken: string;
  revokedWriteKey: string;
  /** Replaced by POST /credentials/{id}/rotate (so revoked too). */
  rotatedAwayAdminToken: string;
  userId: string;
  email: string;
  profileId: string;
  audienceId: string;
  eventName: string;
  messageId: string;
  destinationId: string;
  webhookSecret: string;
  functionId: string;
  functionSecret: string;
  journeyId: string;
  stepId: string;
  instanceId: string;
  deliveryId: string;
  /** Every value above that identifies or belongs to the space (ids, names, secrets, user data). */
  markers: string[];
  /** Another space: its admin token and write key. */
  other: { spaceId: string; adminToken: string; writeKey: string };
}

const tag = () => Math.random().toString(36).slice(2, 10);

/** A function with a secret setting; it posts to `settings.url`. */
export const FUNCTION_CODE = `async function onTrack(event, settings) {
  const res = await fetch(settings.url, { method: 'POST', headers: { authorization: 'Bearer ' + settings.apiKey }, body: JSON.stringify(event) });
  if (!res.ok) throw new RetryError('upstream answered ' + res.status);
}`;

/** Issues a credential of the space and answers its id and secret. */
async function issue(t: TestEngine, kind: 'admin_token' | 'write_key', label: string): Promise<{ id: string; secret: string }> {
  const { credential } = await ok(t.api('POST', '/api/v1/credentials', { kind, label }), 201);
  return { id: credential.id, secret: credential.secret };
}

/** Seeds the engine's default space (its admin token) and creates a second space. */
export async function seedSpace(t: TestEngine, sink: Sink): Promise<SeededSpace> {
  const run = tag();
  const userId = `sec-user-${run}`;
  const email = `sec-${run}@example.com`;
  const eventName = `Security Probe ${run}`;
  const messageId = `sec-msg-${run}`;
  const webhookSecret = `whsec-${run}-${tag()}${tag()}`;
  const functionSecret = `fnsec-${run}-${tag()}${tag()}`;

  const spaceId = (await ok(t.api('GET', '/api/v1/space'))).space.id as string;
  await ok(t.ingest('/v1/identify', { userId, traits: { email, plan: `plan-${run}` } }));
  await ok(t.ingest('/v1/track', { userId: `seed-${run}`, event: eventName }));
  await t.settle();
  const profileId = (await ok(t.api('GET', `/api/v1/profiles/lookup?userId=${userId}`))).profile.id as string;

  const audienceName = `Security audience ${run}`;
  const audienceId = (await ok(t.api('POST', '/api/v1/audiences', {
    name: audienceName, rule: [{ path: 'plan', operator: 'equals', value: `plan-${run}` }],
  }), 201)).audience.id as string;

  const destinationName = `Security hook ${run}`;
  const destinationId = (await ok(t.api('POST', '/api/v1/destinations', {
    plugin: 'webhook', name: destinationName, settings: { sharedSecret: webhookSecret },
  }), 201)).destination.id as string;

  const functionName = `Security function ${run}`;
  const functionId = (await ok(t.api('POST', '/api/v1/functions', {
    name: functionName, code: FUNCTION_CODE,
    settingsSchema: [{ name: 'url', type: 'string', required: true }, { name: 'apiKey', type: 'string', required: true, secret: true }],
    settings: { url: `${sink.url}/fn`, apiKey: functionSecret },
  }), 201)).function.id as string;
  await ok(t.api('POST', `/api/v1/functions/${functionId}/deploy`, {}));

  const journeyName = `Security journey ${run}`;
  const journeyId = await publishJourney(t, sendOnEntryJourney(journeyName, eventName, {
    target: webhookTarget(destinationId),
    mapping: { url: `${sink.url}/hook`, method: 'POST', data: { user: { '@path': '$.userId' } }, idempotency_key: { '@path': '$.messageId' } },
  }));
  await ok(t.ingest('/v1/track', { userId, event: eventName, messageId }));
  await t.settle();
  const instances = (await ok(t.api('GET', `/api/v1/journeys/${journeyId}/instances?userId=${userId}`))).instances as Array<{ id: string }>;
  expect(instances, 'the seeded user entered the journey').to.have.length(1);
  const deliveries = (await ok(t.api('GET', `/api/v1/journeys/${journeyId}/deliveries`))).deliveries as Array<{ id: string; status: string }>;
  expect(deliveries.map((d) => d.status), 'the seeded send was delivered').to.deep.equal(['delivered']);

  const victim = await issue(t, 'admin_token', `victim ${run}`);
  const revokedAdmin = await issue(t, 'admin_token', `revoked ${run}`);
  await ok(t.api('DELETE', `/api/v1/credentials/${revokedAdmin.id}`), 204);
  const revokedWk = await issue(t, 'write_key', `revoked wk ${run}`);
  await ok(t.api('DELETE', `/api/v1/credentials/${revokedWk.id}`), 204);
  const rotated = await issue(t, 'admin_token', `rotated ${run}`);
  await ok(t.api('POST', `/api/v1/credentials/${rotated.id}/rotate`), 201);

  const created = await ok(t.api('POST', '/api/v1/spaces', { name: `Intruder ${run}` }, { token: t.operatorToken }), 201);
  const credentialIds = ((await ok(t.api('GET', '/api/v1/credentials'))).credentials as Array<{ id: string }>).map((c) => c.id);

  const seeded = {
    spaceId, writeKey: t.writeKey, adminToken: t.adminToken, victimCredentialId: victim.id,
    revokedAdminToken: revokedAdmin.secret, revokedWriteKey: revokedWk.secret, rotatedAwayAdminToken: rotated.secret,
    userId, email, profileId, audienceId, eventName, messageId, destinationId, webhookSecret, functionId, functionSecret,
    journeyId, stepId: 'nudge', instanceId: instances[0]!.id, deliveryId: deliveries[0]!.id,
  };
  const markers = [
    ...Object.values(seeded).filter((v) => v !== 'nudge'), ...credentialIds, victim.secret,
    audienceName, destinationName, functionName, journeyName, `plan-${run}`,
  ];
  return {
    // Values too short to be telling are left out: the bootstrap space's id is the word "default".
    ...seeded, markers: [...new Set(markers)].filter((m) => m.length >= 10),
    other: { spaceId: created.space.id, adminToken: created.adminToken.secret, writeKey: created.writeKey.secret },
  };
}

/**
 * Everything the space's admin can read about it, for comparing before and after: a request that
 * changed nothing leaves this exactly as it was.
 */
export async function spaceSnapshot(t: TestEngine, s: SeededSpace): Promise<Record<string, unknown>> {
  const paths = [
    '/api/v1/space', '/api/v1/credentials', '/api/v1/events?limit=1000', '/api/v1/catalog/events',
    `/api/v1/profiles/${s.profileId}`, `/api/v1/profiles/${s.profileId}/journeys`,
    '/api/v1/audiences', `/api/v1/audiences/${s.audienceId}/members`,
    '/api/v1/destinations', '/api/v1/functions', `/api/v1/functions/${s.functionId}/versions`,
    '/api/v1/journeys', `/api/v1/journeys/${s.journeyId}`, `/api/v1/journeys/${s.journeyId}/versions`,
    `/api/v1/journeys/${s.journeyId}/instances`, `/api/v1/journeys/${s.journeyId}/stats`,
    `/api/v1/instances/${s.instanceId}/timeline`, '/api/v1/deliveries?limit=1000',
  ];
  const snapshot: Record<string, unknown> = {};
  for (const path of paths) snapshot[path] = await ok(t.api('GET', path, undefined, { token: s.adminToken }));
  snapshot['spaces (operator)'] = await ok(t.api('GET', '/api/v1/spaces', undefined, { token: t.operatorToken }));
  return snapshot;
}

/**
 * Expects `answer` to carry no marker of the space, apart from values the request itself sent
 * (a 404 may name the id it was asked for: that tells the caller nothing new).
 */
export function expectNoMarkers(answer: Answer, markers: readonly string[], sent: string, what: string): void {
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  const leaked = markers.filter((m) => !sent.includes(m) && text.includes(m));
  expect(leaked, `${what}: the answer carries the seeded space's data: ${text.slice(0, 500)}`).to.deep.equal([]);
}

/** Expects an error answer that carries nothing but `{ error: { code, message } }`. */
export function expectOnlyError(answer: Answer, statuses: readonly number[], codes: readonly string[], what: string): void {
  const shown = `${what}: ${answer.status} ${JSON.stringify(answer.body)}`;
  expect(statuses, shown).to.include(answer.status);
  expect(answer.body, shown).to.be.an('object');
  expect(Object.keys(answer.body), shown).to.deep.equal(['error']);
  expect(codes, shown).to.include(answer.body.error.code);
  expect(Object.keys(answer.body.error).sort(), shown).to.deep.equal(['code', 'message']);
}
