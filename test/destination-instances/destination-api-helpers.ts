/**
 * Shared helpers for the destinations management API tests (destinations-*.test.ts): unique
 * names, error expectations, and the calls that create and list destinations and spaces.
 */
import { expect } from 'chai';
import type { Answer, TestEngine } from '../support/test-engine.ts';

/** What the API shows instead of a secret setting's value. */
export const SECRET = '••••';
export const DEFAULT_DELIVERY = { concurrency: 10, ratePerSecond: 0, timeoutMs: 10_000, batchSize: 0, batchWaitMs: 100 };

let counter = 0;
/** A destination name no other test uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix} ${Date.now().toString(36)}-${counter}`;
}

/** Expects an API error with this status, code and (when given) path. */
export function expectError(res: Answer, status: number, code: string, path?: string): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.body.error.code, JSON.stringify(res.body)).to.equal(code);
  if (path !== undefined) expect(res.body.error.path, JSON.stringify(res.body)).to.equal(path);
}

export async function createDestination(t: TestEngine, body: Record<string, unknown>, token?: string): Promise<any> {
  const res = await t.api('POST', '/api/v1/destinations', body, token ? { token } : {});
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body.destination;
}

export async function listDestinations(t: TestEngine, token?: string): Promise<any[]> {
  const res = await t.api('GET', '/api/v1/destinations', undefined, token ? { token } : {});
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return res.body.destinations;
}

export async function createSpace(t: TestEngine, name: string): Promise<{ id: string; adminToken: string }> {
  const res = await t.api('POST', '/api/v1/spaces', { name }, { token: t.operatorToken });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return { id: res.body.space.id, adminToken: res.body.adminToken.secret };
}

/** A minimal journey draft whose one send step targets `target`. */
export function journeyDoc(name: string, target: unknown): Record<string, unknown> {
  return {
    name,
    entry: { event: 'Destination Probe Started', whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
    start: 'send',
    steps: [
      {
        id: 'send', type: 'send', eventName: 'Probe Sent', target,
        payload: { context: 'all', traits: [] },
        mapping: { url: 'http://127.0.0.1:9/hook', data: { '@path': '$.' } },
        next: 'done',
      },
      { id: 'done', type: 'exit' },
    ],
  };
}
