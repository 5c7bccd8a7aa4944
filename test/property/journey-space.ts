/** A space ready for generated journeys, and the request body a generated document becomes in it. */
import { expect } from 'chai';
import { toJsonText } from './arbitraries.ts';
import { DESTINATION_PLACEHOLDER, EXAMPLE_JOURNEYS, FUNCTION_PLACEHOLDER } from './journey-mutations.ts';
import { startPropertyEngine, type PropertyEngine } from './property-harness.ts';

/** The ids of the space's webhook destination and deployed function. */
export interface SpaceIds {
  destinationId: string;
  functionId: string;
}

/** A space with every example's entry event in its catalog, a webhook destination and a deployed function. */
export async function prepareSpace(t: PropertyEngine): Promise<SpaceIds> {
  for (const example of EXAMPLE_JOURNEYS) {
    const event = (example['entry'] as { event: string }).event;
    expect((await t.ingest('/v1/track', { userId: 'warm-up', event, properties: { session_id: 's', order_id: 'o', referral_id: 'r', targetIds: [] } })).status).to.equal(200);
  }
  await t.settleWithin();
  const destination = await t.api('POST', '/api/v1/destinations', { plugin: 'webhook', name: 'Hooks' });
  expect(destination.status, JSON.stringify(destination.body)).to.equal(201);
  const fn = await t.api('POST', '/api/v1/functions', { name: 'Echo', code: 'async function onTrack(event) { return { ok: true }; }' });
  expect(fn.status, JSON.stringify(fn.body)).to.equal(201);
  expect((await t.api('POST', `/api/v1/functions/${fn.body.function.id}/deploy`, {})).status).to.equal(200);
  return { destinationId: destination.body.destination.id as string, functionId: fn.body.function.id as string };
}

/**
 * The request body of a generated document: a unique name (when it has a string one), activation
 * keys made unique to this case (so cases do not collide with each other), and the space's real
 * destination and function ids in place of the placeholders.
 */
export function bodyOf(generated: unknown, n: number, ids: SpaceIds): string {
  // A copy: fast-check reuses generated values while shrinking.
  const doc = structuredClone(generated);
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
    const record = doc as Record<string, unknown>;
    if (typeof record['name'] === 'string') record['name'] = `${record['name'].slice(0, 150)} #${n}`;
  }
  return toJsonText(doc)
    .replace(/"activationKey":"([A-Za-z0-9_-]{1,40})"/g, `"activationKey":"$1-${n}"`)
    .replaceAll(JSON.stringify(DESTINATION_PLACEHOLDER), JSON.stringify(ids.destinationId))
    .replaceAll(JSON.stringify(FUNCTION_PLACEHOLDER), JSON.stringify(ids.functionId));
}


/** Starts a property engine with a prepared space before the enclosing suite and closes it after; `use` receives both. */
export function withPreparedSpace(use: (t: PropertyEngine, ids: SpaceIds) => void): void {
  let t: PropertyEngine | null = null;
  before(async () => {
    t = await startPropertyEngine();
    use(t, await prepareSpace(t));
  });
  after(async () => {
    await t?.close();
  });
}
