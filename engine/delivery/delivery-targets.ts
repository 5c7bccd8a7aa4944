import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';
import type { DeliveryRecord } from '../store/delivery-store.ts';
import type { DeliveryOptions, DestinationRecord } from '../store/destination-store.ts';
import type { PluginRegistry } from '../../destinations/plugin-registry.ts';
import type { Plugin } from '../../destinations/plugin.ts';
import type { JSONObject, SegmentEvent } from '../../destinations/actions-core.ts';
import { runAction, runBatch } from '../../destinations/run-action.ts';
import { transform } from '../../destinations/actions-core.ts';
import type { FunctionRecord } from '../store/function-store.ts';
import { handlerFor, type FunctionRunner } from '../functions/function-runner.ts';
import { DEFAULT_DELIVERY_OPTIONS } from '../destination-instances/destination-input.ts';
import { classifyOutcome } from './classify-outcome.ts';
import { responseText, type AttemptResult } from './record-attempt.ts';
import { redactSecretValues, secretSettingKeys, secretValues } from '../../destinations/settings.ts';

/** Where a delivery goes, resolved: its lane, limits, and how to send one or several. */
export interface DeliveryTarget {
  /** Deliveries with the same key share the concurrency and rate limits (one destination). */
  key: string;
  options: DeliveryOptions;
  /** Deliveries with the same batch key may go in one call; null when the action cannot batch. */
  batchKey: string | null;
  send(d: DeliveryRecord): Promise<AttemptResult>;
  /** One result per delivery, in order. */
  sendBatch(ds: DeliveryRecord[]): Promise<AttemptResult[]>;
}

/** A target, or why the delivery can never be sent as it is (it fails at once, re-drivable). */
export type TargetResolution = { target: DeliveryTarget } | { failed: string };

const CACHE_MS = 5_000;

/**
 * Resolves deliveries to destination plugins: the configured destination (cached briefly, and
 * dropped on every change the API makes), its plugin and action.
 */
export class DeliveryTargets {
  readonly #store: Store;
  readonly #registry: PluginRegistry;
  readonly #clock: Clock;
  readonly #functions: FunctionRunner | null;
  readonly #cache = new Map<string, { at: number; record: DestinationRecord | null }>();
  readonly #functionCache = new Map<string, { at: number; fn: FunctionRecord | null; code: string | null }>();
  /** Bumped by invalidate(): a read that started before it is used but not cached. */
  #generation = 0;

  /** `functions` runs destination functions; without it, function targets fail. */
  constructor(options: { store: Store; registry: PluginRegistry; clock: Clock; functions?: FunctionRunner }) {
    this.#store = options.store;
    this.#registry = options.registry;
    this.#clock = options.clock;
    this.#functions = options.functions ?? null;
  }

  /** Destinations or functions changed: read them again. */
  invalidate(): void {
    this.#generation++;
    this.#cache.clear();
    this.#functionCache.clear();
  }

  async resolve(d: DeliveryRecord): Promise<TargetResolution> {
    const target = d.target;
    if (!target) return { failed: 'the send step has no destination' };
    if (target.type === 'function') return this.#resolveFunction(d, target.functionId);
    const destination = await this.#destination(d.spaceId, target.destinationId);
    if (!destination) return { failed: `destination '${target.destinationId}' no longer exists` };
    if (!destination.enabled) return { failed: `destination '${destination.name}' is disabled` };
    let plugin: Plugin;
    try {
      plugin = await this.#registry.get(destination.plugin);
    } catch (error) {
      return { failed: `plugin '${destination.plugin}' cannot be loaded: ${(error as Error).message}` };
    }
    const action = plugin.definition.actions[target.action];
    if (!action) return { failed: `plugin '${plugin.slug}' has no action '${target.action}'` };
    const { settings, delivery: options } = destination;
    const canBatch = options.batchSize > 1 && typeof action.performBatch === 'function';
    const secrets = secretValues(secretSettingKeys(plugin), settings);
    return {
      target: {
        key: destination.id,
        options,
        batchKey: canBatch ? `${target.action}\u0000${JSON.stringify(d.mapping)}` : null,
        send: async (one) => redactAttempt(await attempt(() => runAction({
          plugin, settings, action: target.action, event: one.payload as unknown as SegmentEvent, mapping: one.mapping as JSONObject, timeoutMs: options.timeoutMs,
        }).then((r) => ({ status: r.status ?? 200, body: r.body, headers: r.headers }))), secrets),
        sendBatch: async (many) => (await this.#sendBatch(many, plugin, settings, target.action, options.timeoutMs)).map((r) => redactAttempt(r, secrets)),
      },
    };
  }

  /** One call of the action's performBatch for several deliveries; one result per delivery, in order. */
  async #sendBatch(many: DeliveryRecord[], plugin: Plugin, settings: DestinationRecord['settings'], action: string, timeoutMs: number): Promise<AttemptResult[]> {
    try {
      const results = await runBatch({
        plugin, settings, action, events: many.map((m) => m.payload as unknown as SegmentEvent),
        mapping: many[0]!.mapping as JSONObject, timeoutMs,
      });
      return results.map((r) => ({
        verdict: classifyOutcome({
          status: r.status, ...(r.errormessage ? { message: r.errormessage } : {}), ...(r.errortype ? { errortype: r.errortype } : {}),
          ...(r.headers ? { headers: r.headers } : {}),
        }),
        status: r.status, response: responseText(r.body ?? r.errormessage ?? null),
      }));
    } catch (error) {
      // The whole call failed: every event of the batch shares the verdict.
      const result = failure(error);
      return many.map(() => result);
    }
  }

  /**
   * A function target: its deployed version runs the handler of the event's type on the send's
   * event (or on what the step's mapping makes of it, when it has one).
   */
  async #resolveFunction(d: DeliveryRecord, functionId: string): Promise<TargetResolution> {
    const runner = this.#functions;
    if (!runner) return { failed: 'destination functions are not enabled in this process' };
    const found = await this.#function(d.spaceId, functionId);
    if (!found.fn) return { failed: `function '${functionId}' no longer exists` };
    if (found.fn.deployedVersion === null || found.code === null) return { failed: `function '${found.fn.name}' has no deployed version` };
    const { fn, code } = found;
    const key = `${fn.id}@${fn.deployedVersion}`;
    const secrets = secretValues(fn.settingsSchema.filter((s) => s.secret).map((s) => s.name), fn.settings);
    const send = async (one: DeliveryRecord): Promise<AttemptResult> => redactAttempt(await invoke(one), secrets);
    const invoke = async (one: DeliveryRecord): Promise<AttemptResult> => {
      try {
        const event = Object.keys(one.mapping).length > 0 ? transform(one.mapping as JSONObject, one.payload as JSONObject) : one.payload;
        const outcome = await runner.invoke({ key, code, handler: handlerFor(event['type'] ?? one.payload['type']), payload: event, settings: fn.settings });
        if (outcome.ok) return { verdict: { kind: 'delivered' }, status: null, response: responseText(outcome.value ?? null) };
        return { verdict: classifyOutcome({ error: outcome.error }), status: null, response: `${outcome.error.name}: ${outcome.error.message}` };
      } catch (error) {
        return failure(error);
      }
    };
    return {
      target: {
        key: `fn:${fn.id}`, options: DEFAULT_DELIVERY_OPTIONS, batchKey: null, send,
        sendBatch: (many) => Promise.all(many.map(send)),
      },
    };
  }

  async #function(spaceId: string, id: string): Promise<{ fn: FunctionRecord | null; code: string | null }> {
    const now = this.#clock.now();
    const cached = this.#functionCache.get(id);
    if (cached && now - cached.at < CACHE_MS && (cached.fn === null || cached.fn.spaceId === spaceId)) return cached;
    const generation = this.#generation;
    const fn = await this.#store.functions.get(spaceId, id);
    const code = fn?.deployedVersion != null ? (await this.#store.functions.getVersion(spaceId, id, fn.deployedVersion))?.code ?? null : null;
    const entry = { at: now, fn, code };
    // Read before a change that came meanwhile (a deploy, say): caching it would hide the change for the TTL.
    if (generation === this.#generation) this.#functionCache.set(id, entry);
    return entry;
  }

  async #destination(spaceId: string, id: string): Promise<DestinationRecord | null> {
    const now = this.#clock.now();
    const cached = this.#cache.get(id);
    if (cached && now - cached.at < CACHE_MS && (cached.record === null || cached.record.spaceId === spaceId)) return cached.record;
    const generation = this.#generation;
    const record = await this.#store.destinations.get(spaceId, id);
    // Read before a change that came meanwhile (disabled, new settings): caching it would hide the change for the TTL.
    if (generation === this.#generation) this.#cache.set(id, { at: now, record });
    return record;
  }
}

async function attempt(send: () => Promise<{ status: number; body: unknown; headers?: Record<string, string> | undefined }>): Promise<AttemptResult> {
  try {
    const r = await send();
    return { verdict: classifyOutcome({ status: r.status, ...(r.headers ? { headers: r.headers } : {}) }), status: r.status, response: responseText(r.body) };
  } catch (error) {
    return failure(error);
  }
}

/**
 * The attempt with every secret setting value masked in its reason and response: a destination
 * may echo its credentials back (some APIs do in their errors), and an error message may quote a
 * URL carrying a key. Attempts are stored, shown by the API and test-sends, so they must not.
 */
function redactAttempt(result: AttemptResult, secrets: readonly string[]): AttemptResult {
  if (secrets.length === 0) return result;
  const verdict = result.verdict.kind === 'delivered' ? result.verdict : { ...result.verdict, reason: redactSecretValues(result.verdict.reason, secrets) };
  return { ...result, verdict, response: result.response === null ? null : redactSecretValues(result.response, secrets) };
}

function failure(error: unknown): AttemptResult {
  const e = error as { response?: { status?: unknown; data?: unknown; content?: unknown } };
  const status = typeof e?.response?.status === 'number' ? e.response.status : null;
  return { verdict: classifyOutcome({ error }), status, response: responseText(e?.response?.data ?? e?.response?.content ?? null) };
}
