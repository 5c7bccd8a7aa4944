/**
 * The webhook's one action: send mapped JSON to a URL, alone (`perform`) or in batches
 * (`performBatch`). Every request carries the mapped idempotency key(s) and, when the destination
 * has a shared secret, an HMAC-SHA256 signature of the body.
 */
import { createHash } from 'node:crypto';
import { MultiStatusResponse } from '../../actions-core.ts';
import type { ActionDefinition, RequestClient } from '../../actions-core.ts';
import { ADDRESS_REFUSED_CODE } from '../../outbound-guard.ts';
import { SIGNATURE_HEADER, signBody } from './signature.ts';

/** The webhook's settings. */
export interface WebhookSettings {
  sharedSecret?: string;
}

/** The mapped fields of one event. */
export interface WebhookPayload {
  url: string;
  method: 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, unknown>;
  data?: Record<string, unknown>;
  idempotency_key?: string;
}

/** Header with the idempotency key of a single send (or a digest of a batch's keys). */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Batch requests only: every item's key, comma-separated, in body order. */
export const BATCH_KEYS_HEADER = 'X-Idempotency-Keys';

/** Headers the webhook sets itself: a mapped header of the same name, in any letter case, is dropped. */
const OWN_HEADERS = new Set(['content-type', IDEMPOTENCY_HEADER.toLowerCase(), BATCH_KEYS_HEADER.toLowerCase(), SIGNATURE_HEADER.toLowerCase()]);

function requestOptions(payload: WebhookPayload, body: string, idempotencyKey: string | undefined, secret: string | undefined) {
  const headers: Record<string, string> = {};
  // Header names are case-insensitive: two spellings of one name would be sent as one header with
  // both values joined (a forged `x-signature` next to the real one), so the last spelling wins.
  const spelled = new Map<string, string>();
  for (const [name, value] of Object.entries(payload.headers ?? {})) {
    if (value === undefined || value === null || OWN_HEADERS.has(name.toLowerCase())) continue;
    const earlier = spelled.get(name.toLowerCase());
    if (earlier !== undefined) delete headers[earlier];
    spelled.set(name.toLowerCase(), name);
    headers[name] = String(value);
  }
  headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers[IDEMPOTENCY_HEADER] = idempotencyKey;
  if (secret) headers[SIGNATURE_HEADER] = signBody(body, secret);
  // A string body (not `json`) so the signed bytes are exactly the bytes sent. Redirects are not
  // followed: fetch turns a POST answered 301/302/303 into a GET without the body, and the send
  // would be recorded delivered though the data never arrived; a 3xx fails with its status instead.
  return { method: payload.method, headers, body, redirect: 'manual' as const };
}

/**
 * Per-item results an endpoint may return for a batch: a JSON array, or `{ results: [...] }`,
 * with one `{ status, error? }` per item in request order. Anything else means all-or-nothing.
 */
function perItemResults(body: unknown, count: number): Array<{ status: number; error?: string }> | undefined {
  const list = Array.isArray(body) ? body : (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(list) || list.length !== count) return undefined;
  const valid = list.every((item) => typeof (item as { status?: unknown })?.status === 'number');
  return valid ? (list as Array<{ status: number; error?: string }>) : undefined;
}

async function sendGroup(request: RequestClient, group: Array<{ index: number; payload: WebhookPayload }>, secret: string | undefined, results: InstanceType<typeof MultiStatusResponse>) {
  const first = group[0]!.payload;
  const items = group.map(({ payload }) => payload.data ?? {});
  const keys = group.map(({ payload }) => payload.idempotency_key ?? '');
  const body = JSON.stringify(items);
  const options = requestOptions(first, body, undefined, secret);
  // One key for the request as a whole, the same for the same items in any order (a retry may queue
  // them differently), plus every item's own key in body order.
  options.headers[IDEMPOTENCY_HEADER] = createHash('sha256').update([...keys].sort().join('\n')).digest('hex');
  options.headers[BATCH_KEYS_HEADER] = keys.join(',');
  try {
    const response = await request(first.url, { ...options, throwHttpErrors: false });
    const responseBody = (response as { data?: unknown }).data ?? (response as { content?: string }).content ?? '';
    const perItem = response.ok ? perItemResults(responseBody, group.length) : undefined;
    // A Retry-After on the whole answer applies to every item it refused.
    const retryAfter = response.headers.get('retry-after');
    group.forEach(({ index, payload }, position) => {
      const status = perItem ? perItem[position]!.status : response.status;
      const sent = (payload.data ?? {}) as never;
      if (status >= 200 && status < 300) {
        results.setSuccessResponseAtIndex(index, { status, sent, body: (perItem?.[position] ?? responseBody) as never });
      } else {
        const message = perItem?.[position]?.error ?? `webhook answered ${status}`;
        results.setErrorResponseAtIndex(index, {
          status, errormessage: message, sent, body: (perItem?.[position] ?? responseBody) as never,
          // Not an actions-core field: run-action.ts passes it on, so the engine honours the wait.
          ...(retryAfter !== null && !perItem ? { headers: { 'retry-after': retryAfter } } : {}),
        } as never);
      }
    });
  } catch (error) {
    // Network failure or timeout: every item of this group failed the same way (408 = timeout).
    // A refused address keeps its code as the error type, so that it fails for good, not retries.
    const status = (error as { status?: number }).status ?? 500;
    const refused = (error as { code?: unknown }).code === ADDRESS_REFUSED_CODE;
    for (const { index, payload } of group) {
      results.setErrorResponseAtIndex(index, {
        status, errormessage: (error as Error).message, sent: (payload.data ?? {}) as never,
        // actions-core types errortype as its own codes; this one is ours (outbound-guard.ts).
        ...(refused ? { errortype: ADDRESS_REFUSED_CODE as never } : {}),
      });
    }
  }
}

/** The `send` action. */
export const sendAction: ActionDefinition<WebhookSettings, WebhookPayload> = {
  title: 'Send',
  description: 'Send the mapped data as JSON to a URL (POST, PUT or PATCH), with custom headers and an Idempotency-Key header.',
  defaultSubscription: 'type = "track"',
  fields: {
    url: { label: 'URL', description: 'Where to send the data.', type: 'string', format: 'uri', required: true },
    method: {
      label: 'Method', description: 'HTTP method.', type: 'string', required: true, default: 'POST',
      choices: [{ label: 'POST', value: 'POST' }, { label: 'PUT', value: 'PUT' }, { label: 'PATCH', value: 'PATCH' }],
    },
    headers: {
      label: 'Headers', description: 'Extra HTTP headers (ASCII values).', type: 'object', defaultObjectUI: 'keyvalue:only',
    },
    data: { label: 'Data', description: 'The JSON body.', type: 'object', default: { '@path': '$.' } },
    idempotency_key: {
      label: 'Idempotency key',
      description: 'Sent as the Idempotency-Key header so the receiver can drop repeats of the same send.',
      type: 'string', default: { '@path': '$.messageId' },
    },
  },
  perform: (request, { payload, settings }) => {
    const body = JSON.stringify(payload.data ?? {});
    return request(payload.url, requestOptions(payload, body, payload.idempotency_key, settings.sharedSecret));
  },
  performBatch: async (request, { payload, settings }) => {
    // Items may differ in url/method/headers: one request per distinct target, results by index.
    const groups = new Map<string, Array<{ index: number; payload: WebhookPayload }>>();
    payload.forEach((item, index) => {
      const key = JSON.stringify([item.url, item.method, item.headers ?? {}]);
      const group = groups.get(key) ?? [];
      group.push({ index, payload: item });
      groups.set(key, group);
    });
    const results = new MultiStatusResponse();
    for (const group of groups.values()) await sendGroup(request, group, settings.sharedSecret, results);
    return results;
  },
};
