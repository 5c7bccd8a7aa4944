/**
 * Shared pieces of the destination-function tests: an engine whose functions may (or may not)
 * reach 127.0.0.1, API helpers for functions and journeys that send to them, and the local sink
 * (a real node:http server) the functions post to. Processing runs on a worker thread with its
 * own sandbox, so only real servers see the functions' requests.
 */
import { expect } from 'chai';
import { testConfig, type EngineConfig } from '../../engine/config.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { ok, sendOnEntryJourney, type ApiClient } from '../delivery-e2e/helpers.ts';

export { ok, startSink, advance, advancePast, engineNow, journeyDeliveries, type Sink, type SinkRequest } from '../delivery-e2e/helpers.ts';

/** The marker the API shows in place of a secret setting. */
export const SECRET = '••••';

/** Starts an engine; `allowPrivateNetwork` lets functions reach local servers (off by default, as in production). */
export async function startFunctionsEngine(options: { allowPrivateNetwork?: boolean; functions?: Partial<EngineConfig['functions']>; config?: Partial<EngineConfig> } = {}): Promise<TestEngine> {
  return startTestEngine({
    ...options.config,
    functions: { ...testConfig().functions, allowPrivateNetwork: options.allowPrivateNetwork ?? false, ...options.functions },
  });
}

/** A create/update body of /api/v1/functions. */
export interface FunctionBody {
  name: string;
  code: string;
  description?: string | null;
  settingsSchema?: Array<Record<string, unknown>>;
  settings?: Record<string, unknown>;
}

/** Creates a function (201) and answers it as the API shows it. */
export async function createFunction(t: ApiClient, body: FunctionBody, token?: string): Promise<any> {
  const api = token === undefined ? t.api('POST', '/api/v1/functions', body) : (t as TestEngine).api('POST', '/api/v1/functions', body, { token });
  return (await ok(api, 201)).function;
}

/** Creates a function and deploys its first version; answers its id. */
export async function deployedFunction(t: ApiClient, body: FunctionBody): Promise<string> {
  const fn = await createFunction(t, body);
  const deployed = (await ok(t.api('POST', `/api/v1/functions/${fn.id}/deploy`, {}))).function;
  expect(deployed.deployedVersion).to.equal(1);
  return fn.id as string;
}

/** Runs POST /api/v1/functions/{id}/test and answers the body (expects 200). */
export async function testRun(t: ApiClient, id: string, body: Record<string, unknown>): Promise<any> {
  return ok(t.api('POST', `/api/v1/functions/${id}/test`, body));
}

/** A sample Segment track message. */
export function trackEvent(event = 'Checkout Started', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'track', event, userId: 'u-1', messageId: 'msg-1', timestamp: '2024-05-01T10:00:00.000Z',
    properties: { total: 42 }, context: { traits: { email: 'ada@example.com' } }, ...extra,
  };
}

/** Expects an error answer with this status and code; answers its `error` object. */
export async function expectError(res: Promise<{ status: number; body: any }>, status: number, code: string): Promise<any> {
  const a = await res;
  expect(a.status, JSON.stringify(a.body)).to.equal(status);
  expect(a.body.error.code, JSON.stringify(a.body)).to.equal(code);
  return a.body.error;
}

/** The function target of a send step. */
export function functionTarget(functionId: string) {
  return { type: 'function', functionId };
}

/** A journey that runs one send step on entry, then exits. */
export const sendOnEntry = sendOnEntryJourney;

/** Puts an event into the space's catalog, so that journeys may enter on it. */
export async function seedCatalog(t: TestEngine, event: string): Promise<void> {
  await ok(t.ingest('/v1/track', { userId: 'catalog-seed', event }));
  await t.settle();
}

/** Creates a journey draft; answers its id. */
export async function createJourney(t: ApiClient, doc: Record<string, unknown>): Promise<string> {
  return (await ok(t.api('POST', '/api/v1/journeys', doc), 201)).journey.id as string;
}

/** A function that posts the event it receives (and a few facts about it) to `settings.url` as JSON. */
export const FORWARD_CODE = `
async function onTrack(event, settings) {
  const res = await fetch(settings.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-version': settings.tag || 'v1' },
    body: JSON.stringify({ handler: 'onTrack', event }),
  });
  if (res.status >= 500) throw new RetryError('sink answered ' + res.status);
  if (!res.ok) throw new ValidationError('sink refused: ' + res.status);
  return { forwarded: res.status };
}
`;
