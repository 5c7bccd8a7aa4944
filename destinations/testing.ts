/**
 * The test harness for plugin authors: run an action of a DestinationDefinition against nock in
 * a few lines and look at what was sent.
 *
 *   const dest = testDestination(myDefinition);
 *   nock('https://api.example.com').post('/events').reply(200, { ok: true });
 *   const [sent] = await dest.action('send', { event: { event: 'Signed Up' }, settings: { apiKey: 'k' } });
 *   expect(sent.request.json).to.deep.include({ event: 'Signed Up' });
 *
 * Built on actions-core's createTestIntegration and createTestEvent; the definition gets a unique
 * internal name like in the registry (see plugin.ts: actions-core's validator cache).
 */
import { createTestEvent, createTestIntegration } from './actions-core.ts';
import type { DecoratedResponse, JSONObject, SegmentEvent } from './actions-core.ts';
import type { AnyDestinationDefinition } from './plugin.ts';
import { toPlugin } from './plugin.ts';
import { testAuthentication, type AuthenticationResult } from './run-action.ts';
import type { DestinationSettings } from './settings.ts';

/** The request behind a response, in assertable form. */
export interface SentRequest {
  method: string;
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body as sent (text). */
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json?: unknown;
}

/** One HTTP exchange of an action run. */
export interface HarnessResponse {
  status: number;
  /** Parsed JSON response body, else undefined. */
  data: unknown;
  /** Text response body. */
  content: string;
  request: SentRequest;
  /** actions-core's response object, for anything not covered above. */
  raw: DecoratedResponse;
}

/** Input of `action()`: everything optional; the event is completed by createTestEvent. */
export interface HarnessActionInput {
  event?: Partial<SegmentEvent>;
  mapping?: JSONObject;
  settings?: DestinationSettings;
  /** Start from the action fields' defaults, `mapping` overriding them. Default: true. */
  useDefaultMappings?: boolean;
}

/** Input of `batch()`. */
export interface HarnessBatchInput extends Omit<HarnessActionInput, 'event'> {
  events: Array<Partial<SegmentEvent>>;
}

/** What testDestination returns. */
export interface DestinationHarness {
  /** Runs one action for one event; resolves with every HTTP exchange it made. */
  action(slug: string, input?: HarnessActionInput): Promise<HarnessResponse[]>;
  /** Runs an action's performBatch; `results()` then holds the per-event outcomes. */
  batch(slug: string, input: HarnessBatchInput): Promise<HarnessResponse[]>;
  /** Per-event results of the last `batch()` (actions-core multistatus nodes). */
  results(): unknown[];
  /** Runs the definition's testAuthentication with these settings. */
  testAuthentication(settings: DestinationSettings): Promise<AuthenticationResult>;
}

function describeResponse(raw: DecoratedResponse): HarnessResponse {
  const headers: Record<string, string> = {};
  raw.request.headers.forEach((value, name) => { headers[name.toLowerCase()] = value; });
  const sentBody = (raw.options as { body?: unknown }).body;
  const body = typeof sentBody === 'string' ? sentBody : sentBody === undefined ? '' : String(sentBody);
  const request: SentRequest = { method: raw.request.method, url: raw.request.url, headers, body };
  try {
    if (body) request.json = JSON.parse(body);
  } catch {
    // not JSON (a form body, say): `body` has it
  }
  return { status: raw.status, data: (raw as { data?: unknown }).data, content: (raw as { content?: string }).content ?? '', request, raw };
}

/** Wraps a DestinationDefinition in a test harness (see the file comment for an example). */
export function testDestination(definition: AnyDestinationDefinition): DestinationHarness {
  const plugin = toPlugin({ slug: definition.slug ?? 'harness', version: 'test', definition }, 'local');
  const integration = createTestIntegration(plugin.definition);
  return {
    async action(slug, input = {}) {
      const responses = await integration.testAction(slug, {
        event: createTestEvent(input.event ?? {}),
        mapping: input.mapping ?? {},
        settings: input.settings ?? {},
        useDefaultMappings: input.useDefaultMappings ?? true,
      });
      return responses.map(describeResponse);
    },
    async batch(slug, input) {
      const responses = await integration.testBatchAction(slug, {
        events: input.events.map((event) => createTestEvent(event)),
        mapping: input.mapping ?? {},
        settings: input.settings ?? {},
        useDefaultMappings: input.useDefaultMappings ?? true,
      });
      return responses.map(describeResponse);
    },
    results() {
      const first = integration.results[0] as { multistatus?: unknown[] } | undefined;
      return first?.multistatus ?? [];
    },
    testAuthentication(settings) {
      return testAuthentication(plugin, settings);
    },
  };
}
