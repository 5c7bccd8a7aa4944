/**
 * Shared helpers for journey scenario tests: everything goes through the public HTTP API.
 * Several scenario files import this module; only add functions, never change existing ones.
 */
import { expect } from 'chai';
import type { TestEngine } from '../../support/test-engine.ts';

/** A journey as `GET /api/v1/journeys/{id}` shows it. */
export interface JourneyView {
  id: string;
  name: string;
  status: 'draft' | 'published' | 'paused' | 'archived';
  liveVersion: number | null;
  draftVersion: number | null;
  hasDraft: boolean;
  definition: any;
}

/** An instance as `GET .../instances` shows it. */
export interface InstanceView {
  id: string;
  journeyId: string;
  version: number;
  profileId: string;
  status: 'active' | 'completed' | 'exited';
  currentStep: string | null;
  identifier: string | null;
  waiting: { kind: string; until: string } | null;
  context: Record<string, any>;
  conversions: Record<string, any>;
  loops: Record<string, number>;
  enteredAt: string;
  endedAt: string | null;
  endReason: string | null;
}

/** One activity record of a journey. */
export interface ActivityView {
  id: string;
  journeyId: string;
  version: number;
  instanceId: string | null;
  profileId: string;
  type: string;
  stepId: string | null;
  eventId: string | null;
  at: string;
  reason: string | null;
  data: Record<string, unknown> | null;
}

/** One recorded delivery of a journey. */
export interface DeliveryView {
  id: string;
  instanceId: string;
  profileId: string;
  stepId: string;
  idempotencyKey: string;
  activationKey: string;
  eventName: string;
  payload: Record<string, any>;
  status: string;
  [key: string]: unknown;
}

let counter = 0;

/** A unique id for this test run (`prefix-<time>-<n>`), so tests sharing an engine never collide. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** One unique id per label (`uniqueIds('buyer', 'a', 'b')` → two ids), typed as a tuple for destructuring. */
export function uniqueIds<const L extends readonly string[]>(prefix: string, ...labels: L): { [K in keyof L]: string } {
  return labels.map((label) => uniqueId(`${prefix}-${label}`)) as { [K in keyof L]: string };
}

/** Sends one track event (`/v1/track`) and expects it acknowledged; does not settle. */
export async function track(t: TestEngine, event: Record<string, unknown>): Promise<void> {
  const res = await t.ingest('/v1/track', { type: 'track', ...event });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
}

/** Sends one track event and waits until the engine has processed it. */
export async function trackAndSettle(t: TestEngine, event: Record<string, unknown>): Promise<void> {
  await track(t, event);
  await t.settle();
}

/**
 * Puts an event name in the space's event catalog (needed to publish a journey on it), by
 * sending it once from a throwaway user when the catalog does not know it yet.
 */
export async function ensureInCatalog(t: TestEngine, eventName: string): Promise<void> {
  const known = await t.api('GET', `/api/v1/catalog/events/${encodeURIComponent(eventName)}`);
  if (known.status === 200) return;
  await trackAndSettle(t, { userId: uniqueId('catalog-seed'), event: eventName });
}

/** Creates a journey from a document and publishes it (seeding the catalog with its entry event). */
export async function createAndPublish(t: TestEngine, doc: Record<string, any>): Promise<JourneyView> {
  await ensureInCatalog(t, doc['entry']['event']);
  const created = await t.api('POST', '/api/v1/journeys', doc);
  expect(created.status, JSON.stringify(created.body)).to.equal(201);
  const published = await t.api('POST', `/api/v1/journeys/${created.body.journey.id}/publish`, {});
  expect(published.status, JSON.stringify(published.body)).to.equal(200);
  return published.body.journey as JourneyView;
}

/** Calls a lifecycle operation (`pause`, `resume`, `archive`, `publish`…) and expects it to succeed. */
export async function lifecycle(t: TestEngine, journeyId: string, op: string, body: unknown = {}): Promise<JourneyView> {
  const res = await t.api('POST', `/api/v1/journeys/${journeyId}/${op}`, body);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.journey as JourneyView;
}

/** A journey's instances, optionally of one user only (all pages). */
export async function instancesOf(t: TestEngine, journeyId: string, userId?: string, status?: InstanceView['status']): Promise<InstanceView[]> {
  const all: InstanceView[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (userId !== undefined) query.set('userId', userId);
    if (status !== undefined) query.set('status', status);
    if (cursor !== null) query.set('cursor', cursor);
    const res = await t.api('GET', `/api/v1/journeys/${journeyId}/instances?${query}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    all.push(...res.body.instances);
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  return all;
}

/** One instance with its timeline (activity) and deliveries. */
export async function instanceDetail(t: TestEngine, journeyId: string, instanceId: string): Promise<{ instance: InstanceView; activity: ActivityView[]; deliveries: DeliveryView[] }> {
  const res = await t.api('GET', `/api/v1/journeys/${journeyId}/instances/${instanceId}`);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body;
}

/** A journey's recorded deliveries (all pages), optionally of one user only. */
export async function deliveriesOf(t: TestEngine, journeyId: string, userId?: string): Promise<DeliveryView[]> {
  const all: DeliveryView[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (cursor !== null) query.set('cursor', cursor);
    const res = await t.api('GET', `/api/v1/journeys/${journeyId}/deliveries?${query}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    all.push(...res.body.deliveries);
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  if (userId === undefined) return all;
  const profileId = await profileIdOf(t, userId);
  return all.filter((d) => d.profileId === profileId);
}

/** The profile id of a user, or null when the engine has no such profile. */
export async function profileIdOf(t: TestEngine, userId: string): Promise<string | null> {
  const res = await t.api('GET', `/api/v1/profiles/lookup?userId=${encodeURIComponent(userId)}`);
  if (res.status === 404) return null;
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.profile.id;
}

/** A journey's activity log (all pages), optionally of one type and/or one user, oldest first. */
export async function activityOf(t: TestEngine, journeyId: string, filter: { type?: string; userId?: string } = {}): Promise<ActivityView[]> {
  const all: ActivityView[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '1000' });
    if (cursor !== null) query.set('cursor', cursor);
    const res = await t.api('GET', `/api/v1/journeys/${journeyId}/activity?${query}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    all.push(...res.body.activity);
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  // The log answers newest first.
  all.reverse();
  let profileId: string | null | undefined;
  if (filter.userId !== undefined) profileId = await profileIdOf(t, filter.userId);
  return all.filter((a) => (filter.type === undefined || a.type === filter.type)
    && (profileId === undefined || a.profileId === profileId));
}

/** The reasons of a user's ignored triggers in a journey, oldest first. */
export async function ignoredReasons(t: TestEngine, journeyId: string, userId: string): Promise<string[]> {
  return (await activityOf(t, journeyId, { type: 'trigger_ignored', userId })).map((a) => a.reason ?? '');
}

/** Moves the test clock forward (engine started with `testClock: true`) and waits for what came due. */
export async function advance(t: TestEngine, ms: number): Promise<{ now: string; fired: number }> {
  const res = await t.api('POST', '/api/v1/test-clock/advance', { ms });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body;
}
