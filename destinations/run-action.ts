/**
 * Executes plugin actions: one event (`runAction`), a batch (`runBatch`) or a credentials check
 * (`testAuthentication`), each bounded by a wall-clock `timeoutMs`.
 *
 * Errors are actions-core's, thrown unchanged (HTTPError with `response.status`,
 * RetryableError, PayloadValidationError, InvalidAuthenticationError, RequestTimeoutError,
 * IntegrationError, network errors) plus PluginError for an unknown action. One exception:
 * actions-core reports a mapped payload that fails the action's field schema as an
 * `AggregateAjvError` (no class, no status); runAction rethrows it as PayloadValidationError
 * (status 400, `cause` = the original) so callers see one type for "bad payload". Classifying them
 * (retry or not) is the delivery dispatcher's job. Nothing here retries.
 */
import {
  createRequestClient, Destination, getAuthData, PayloadValidationError, RequestTimeoutError,
} from './actions-core.ts';
import type { DecoratedResponse, JSONObject, Result, SegmentEvent } from './actions-core.ts';
import { PluginError } from './plugin-error.ts';
import type { Plugin } from './plugin.ts';
import { redactSecretValues, secretSettingKeys, secretValues, type DestinationSettings } from './settings.ts';

/** Default per-call timeout (actions-core's own default request timeout). */
export const DEFAULT_ACTION_TIMEOUT_MS = 10_000;

/** Input of runAction. */
export interface RunActionInput {
  plugin: Plugin;
  settings: DestinationSettings;
  /** Action slug, a key of `plugin.definition.actions`. */
  action: string;
  event: SegmentEvent;
  /** The stored mapping, defaults included (actions-core does not apply field defaults at run time). */
  mapping: JSONObject;
  /** Wall-clock limit for the whole call, requests included. Default DEFAULT_ACTION_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** Input of runBatch. */
export interface RunBatchInput extends Omit<RunActionInput, 'event'> {
  events: SegmentEvent[];
}

/** What a successful runAction returns. */
export interface ActionResult {
  /** HTTP status of the last response, when the action made a request. */
  status?: number;
  /** Body of the last response: parsed JSON, else text. */
  body?: unknown;
  /** Headers of the last response (lower-case names). */
  headers?: Record<string, string>;
  /** Number of HTTP responses the action received. */
  responseCount: number;
  /** What `perform` returned, as actions-core reports it. */
  output: unknown;
}

/** The outcome for one event of a batch, in input order. */
export interface BatchEventResult {
  ok: boolean;
  status: number;
  body?: unknown;
  sent?: unknown;
  errortype?: string;
  errormessage?: string;
  /** Response headers a plugin attached to the item's result (the built-in webhook: `retry-after`). */
  headers?: Record<string, string>;
}

/** Outcome of testAuthentication. */
export interface AuthenticationResult {
  ok: boolean;
  /** HTTP status of the failed check, when it was an HTTP error. */
  status?: number;
  message?: string;
}

// executeAction is `protected` in actions-core's typings but is the documented way to run one
// action with an explicit mapping (createTestIntegration calls it too).
interface Executor {
  readonly responses: DecoratedResponse[];
  executeAction(action: string, input: object): Promise<Result[]>;
  executeBatch(action: string, input: object): Promise<Array<Record<string, unknown>>>;
}

/**
 * Idle Destination objects per plugin. A Destination does not hold settings, so one per plugin
 * would do, except that it collects every HTTP response of every concurrent call in one
 * `responses` array: each call borrows an instance of its own so the "last response" is its own,
 * and the pool grows to the peak concurrency and no further.
 */
const idle = new WeakMap<Plugin, Executor[]>();

function borrow(plugin: Plugin): Executor {
  const pool = idle.get(plugin);
  return pool?.pop() ?? (new Destination(plugin.definition) as unknown as Executor);
}

function giveBack(plugin: Plugin, executor: Executor): void {
  // Cleared after every call: actions-core never empties it and it would grow without bound.
  executor.responses.length = 0;
  const pool = idle.get(plugin) ?? [];
  pool.push(executor);
  idle.set(plugin, pool);
}

/** Number of idle Destination objects kept for a plugin (for tests and metrics). */
export function idleDestinationCount(plugin: Plugin): number {
  return idle.get(plugin)?.length ?? 0;
}

function actionOf(plugin: Plugin, action: string) {
  const definition = plugin.definition.actions[action];
  if (!definition) {
    throw new PluginError('unknown_action', `plugin "${plugin.slug}" has no action "${action}" (has: ${Object.keys(plugin.definition.actions).join(', ')})`);
  }
  return definition;
}

/**
 * Runs `work` with an AbortSignal that fires after `timeoutMs`, and rejects with
 * RequestTimeoutError at that moment even if `work` ignores the signal (a perform that awaits
 * something other than the request client). `timedOut` tells the caller not to reuse resources
 * the abandoned work may still touch.
 */
async function withTimeout<T>(timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<{ value: T } | { timedOut: true; error: Error }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), timeoutMs);
  });
  try {
    const winner = await Promise.race([work(controller.signal).then((value) => ({ value })), expired]);
    if (winner !== 'expired') return winner;
    // Reason named TimeoutError: actions-core turns the abort into its RequestTimeoutError.
    controller.abort(new DOMException(`no response within ${timeoutMs} ms`, 'TimeoutError'));
    return { timedOut: true, error: new RequestTimeoutError(`Request timed out after ${timeoutMs} ms`) };
  } finally {
    clearTimeout(timer);
  }
}

function headersOf(response: DecoratedResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  return headers;
}

async function execute<T>(plugin: Plugin, timeoutMs: number, run: (executor: Executor, signal: AbortSignal) => Promise<T>): Promise<{ value: T; last?: DecoratedResponse; count: number }> {
  const executor = borrow(plugin);
  let outcome: Awaited<ReturnType<typeof withTimeout<T>>>;
  try {
    outcome = await withTimeout(timeoutMs, (signal) => run(executor, signal));
  } catch (error) {
    giveBack(plugin, executor);
    throw error;
  }
  if ('timedOut' in outcome) throw outcome.error; // abandoned executor is not reused
  const last = executor.responses.at(-1);
  const count = executor.responses.length;
  giveBack(plugin, executor);
  return { value: outcome.value, count, ...(last ? { last } : {}) };
}

function asPayloadValidationError(error: unknown): unknown {
  if ((error as { name?: string })?.name !== 'AggregateAjvError') return error;
  const wrapped = new PayloadValidationError((error as Error).message);
  (wrapped as Error).cause = error;
  return wrapped;
}

/** Runs one action for one event; resolves with the last HTTP response, or throws the action's error. */
export async function runAction(input: RunActionInput): Promise<ActionResult> {
  const { plugin, settings, action, event, mapping, timeoutMs = DEFAULT_ACTION_TIMEOUT_MS } = input;
  actionOf(plugin, action);
  const { value, last, count } = await execute(plugin, timeoutMs, (executor, signal) =>
    executor.executeAction(action, { event, mapping, settings, auth: getAuthData(settings as JSONObject), features: {}, statsContext: {}, signal }))
    .catch((error: unknown) => { throw asPayloadValidationError(error); });
  const result: ActionResult = { responseCount: count, output: value.at(-1)?.data };
  if (last) {
    result.status = last.status;
    result.body = last.data ?? last.content;
    result.headers = headersOf(last);
  }
  return result;
}

/**
 * Runs an action's `performBatch` for several events; resolves with one result per event (input
 * order). Throws when the batch as a whole failed (the plugin threw), which means every event did.
 */
export async function runBatch(input: RunBatchInput): Promise<BatchEventResult[]> {
  const { plugin, settings, action, events, mapping, timeoutMs = DEFAULT_ACTION_TIMEOUT_MS } = input;
  if (typeof actionOf(plugin, action).performBatch !== 'function') {
    throw new PluginError('batch_not_supported', `action "${action}" of plugin "${plugin.slug}" has no performBatch`);
  }
  if (events.length === 0) return [];
  const { value } = await execute(plugin, timeoutMs, (executor, signal) =>
    executor.executeBatch(action, { events, mapping, settings, auth: getAuthData(settings as JSONObject), features: {}, statsContext: {}, signal }));
  return events.map((_, index) => {
    const node = value[index];
    if (!node) return { ok: false, status: 500, errormessage: 'the plugin returned no result for this event' };
    const status = typeof node.status === 'number' ? node.status : 500;
    const result: BatchEventResult = { ok: status >= 200 && status < 300 && node.errormessage === undefined, status };
    for (const key of ['body', 'sent', 'errortype', 'errormessage', 'headers'] as const) {
      if (node[key] !== undefined) (result as unknown as Record<string, unknown>)[key] = node[key];
    }
    return result;
  });
}

/**
 * Checks credentials with the plugin's `authentication.testAuthentication` (ok when it has
 * none). Never throws for a failed check: the answer says why, with the secret settings' values
 * masked (an error may quote a URL that carries a key).
 */
export async function testAuthentication(plugin: Plugin, settings: DestinationSettings, options: { timeoutMs?: number } = {}): Promise<AuthenticationResult> {
  const check = plugin.definition.authentication?.testAuthentication;
  if (!check) return { ok: true };
  const auth = getAuthData(settings as JSONObject);
  const extended = plugin.definition.extendRequest?.({ settings, payload: undefined, auth }) ?? {};
  try {
    const outcome = await withTimeout(options.timeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS, async (signal) => {
      const request = createRequestClient({ ...extended, signal });
      await check(request, { settings, auth });
    });
    if ('timedOut' in outcome) return { ok: false, status: 408, message: outcome.error.message };
    return { ok: true };
  } catch (error) {
    const status = (error as { response?: { status?: number } }).response?.status;
    const message = redactSecretValues(String((error as Error)?.message ?? error), secretValues(secretSettingKeys(plugin), settings));
    return { ok: false, message, ...(status !== undefined ? { status } : {}) };
  }
}
