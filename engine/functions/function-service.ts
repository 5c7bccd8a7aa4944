import { randomUUID } from 'node:crypto';
import { EngineError, invalidRequest, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { FunctionRecord } from '../store/function-store.ts';
import { journeysSendingTo } from '../journeys/journeys-sending-to.ts';
import type { FunctionInput } from './function-input.ts';
import { handlerFor, type FunctionRunner, type InvocationOutcome } from './function-runner.ts';
import { mergeFunctionSettings, redactFunctionSettings, validateFunctionSettings } from './function-settings.ts';
import { redactSecretValues, redactSecretValuesDeep, secretValues } from '../../destinations/settings.ts';

/** A function as the API shows it: secret settings replaced by a marker; `code` is the newest version's. */
export type FunctionView = Omit<FunctionRecord, 'spaceId' | 'rev'> & { code?: string };

/**
 * Destination functions of a space: every save is a new version (refused when it does not
 * compile), one version is deployed for deliveries, and any version can be test-run.
 */
export class FunctionService {
  readonly #store: Store;
  readonly #runner: FunctionRunner;
  readonly #onChange: () => void;

  constructor(options: { store: Store; runner: FunctionRunner; onChange: () => void }) {
    this.#store = options.store;
    this.#runner = options.runner;
    this.#onChange = options.onChange;
  }

  async create(spaceId: string, input: FunctionInput): Promise<FunctionView> {
    await this.#checkCode(input.code);
    const settings = mergeFunctionSettings(input.settingsSchema, {}, input.settings);
    this.#checkSettings(input, settings);
    const now = new Date().toISOString();
    const fn: FunctionRecord = {
      id: `fn_${randomUUID()}`, spaceId, name: input.name, description: input.description, settingsSchema: input.settingsSchema,
      settings, latestVersion: 1, deployedVersion: null, createdAt: now, updatedAt: now, rev: 1,
    };
    // The version first: a function row never points at a version that is not stored.
    await this.#store.functions.putVersion({ functionId: fn.id, spaceId, version: 1, code: input.code, createdAt: now });
    if (await this.#store.functions.insert(fn) === 'conflict') {
      await this.#store.functions.delete(spaceId, fn.id);
      throw nameTaken(input.name);
    }
    return this.#view(fn, input.code);
  }

  async get(spaceId: string, id: string): Promise<FunctionView> {
    const fn = await this.record(spaceId, id);
    return this.#view(fn, (await this.#store.functions.getVersion(spaceId, id, fn.latestVersion))?.code);
  }

  async list(spaceId: string): Promise<FunctionView[]> {
    return (await this.#store.functions.list(spaceId)).map((fn) => this.#view(fn));
  }

  async versions(spaceId: string, id: string) {
    await this.record(spaceId, id);
    return (await this.#store.functions.listVersions(spaceId, id)).map(({ version, createdAt }) => ({ version, createdAt }));
  }

  /** Saves a new version of the code (and the settings); the deployed version does not change. */
  async update(spaceId: string, id: string, input: FunctionInput): Promise<FunctionView> {
    const current = await this.record(spaceId, id);
    await this.#checkCode(input.code);
    const settings = mergeFunctionSettings(input.settingsSchema, current.settings, input.settings);
    this.#checkSettings(input, settings);
    // A refused rename must not leave its code behind as a stored version.
    if (input.name !== current.name && (await this.#store.functions.list(spaceId)).some((f) => f.id !== id && f.name === input.name)) throw nameTaken(input.name);
    const now = new Date().toISOString();
    // Past any version a racing save holds right now (putVersion keeps an existing number's code).
    const version = Math.max(current.latestVersion, ...(await this.#store.functions.listVersions(spaceId, id)).map((v) => v.version)) + 1;
    if (await this.#store.functions.putVersion({ functionId: id, spaceId, version, code: input.code, createdAt: now }) === 'exists') {
      throw new EngineError('version_conflict', `function '${id}' changed while being updated; retry`);
    }
    const next: FunctionRecord = {
      ...current, name: input.name, description: input.description, settingsSchema: input.settingsSchema, settings,
      latestVersion: version, updatedAt: now, rev: current.rev + 1,
    };
    try {
      await this.#save(next, current.rev);
    } catch (error) {
      // A refused save leaves no version behind to list, test or deploy (an audit found them).
      await this.#store.functions.deleteVersion(spaceId, id, version);
      throw error;
    }
    return this.#view(next, input.code);
  }

  /** Makes `version` (default: the newest) the one deliveries run. */
  async deploy(spaceId: string, id: string, version?: number): Promise<FunctionView> {
    const current = await this.record(spaceId, id);
    const wanted = version ?? current.latestVersion;
    if (!(await this.#store.functions.getVersion(spaceId, id, wanted))) throw notFound(`version ${wanted} of function`, id);
    const next = { ...current, deployedVersion: wanted, updatedAt: new Date().toISOString(), rev: current.rev + 1 };
    await this.#save(next, current.rev);
    return this.#view(next);
  }

  async delete(spaceId: string, id: string): Promise<void> {
    await this.record(spaceId, id);
    const users = await journeysSendingTo(this.#store, spaceId, (t) => t.type === 'function' && t.functionId === id);
    if (users.length > 0) {
      throw new EngineError('function_in_use', `function '${id}' is the target of send steps in ${users.length} journey(s); change them first`, { journeys: users });
    }
    await this.#store.functions.delete(spaceId, id);
    this.#onChange();
  }

  /** Runs a version (default: the newest) on a sample event, or events for onBatch; answers result, logs, requests and timing. */
  async test(spaceId: string, id: string, input: { event?: Record<string, unknown>; events?: Array<Record<string, unknown>>; settings?: Record<string, unknown>; version?: number }): Promise<InvocationOutcome & { handler: string; version: number }> {
    const fn = await this.record(spaceId, id);
    const version = input.version ?? fn.latestVersion;
    const stored = await this.#store.functions.getVersion(spaceId, id, version);
    if (!stored) throw notFound(`version ${version} of function`, id);
    const settings = input.settings ? mergeFunctionSettings(fn.settingsSchema, fn.settings, input.settings) : fn.settings;
    const handler = input.events ? 'onBatch' : handlerFor(input.event!['type'] ?? 'track');
    const outcome = await this.#runner.invoke({ key: `${id}@${version}`, code: stored.code, handler, payload: input.events ?? input.event, settings });
    // The code sees its secret settings and may return, log or send them: the answer must not show them.
    const redacted = redactOutcome(outcome, secretValues(fn.settingsSchema.filter((spec) => spec.secret).map((spec) => spec.name), settings));
    return redacted.ok ? { ...redacted, value: redacted.value ?? null, handler, version } : { ...redacted, handler, version };
  }

  /** The stored record, secrets included (for the engine's own use only). */
  async record(spaceId: string, id: string): Promise<FunctionRecord> {
    const fn = await this.#store.functions.get(spaceId, id);
    if (!fn) throw notFound('function', id);
    return fn;
  }

  async #checkCode(code: string): Promise<void> {
    const problem = await this.#runner.checkSyntax(code);
    if (problem) {
      throw new EngineError('invalid_function_code', `the code does not compile: ${problem.message} (line ${problem.line}, column ${problem.column})`, {
        path: '/code', line: problem.line, column: problem.column,
      });
    }
  }

  #checkSettings(input: FunctionInput, settings: Record<string, unknown>): void {
    const problems = validateFunctionSettings(input.settingsSchema, settings);
    if (problems.length > 0) {
      throw new EngineError('invalid_settings', `the settings break the function's settings schema: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { path: problems[0]!.path, problems });
    }
  }

  async #save(next: FunctionRecord, expectedRev: number): Promise<void> {
    const result = await this.#store.functions.update(next, expectedRev);
    if (result === 'conflict') throw nameTaken(next.name);
    if (result === 'version_conflict') throw new EngineError('version_conflict', `function '${next.id}' changed while being updated; retry`);
    this.#onChange();
  }


  #view(fn: FunctionRecord, code?: string): FunctionView {
    const { spaceId: _space, rev: _rev, ...rest } = fn;
    return { ...rest, settings: redactFunctionSettings(fn.settingsSchema, fn.settings), ...(code !== undefined ? { code } : {}) };
  }
}

function nameTaken(name: string): EngineError {
  return new EngineError('conflict', `a function named '${name}' already exists in this space`, { path: '/name' });
}

/** A test run's outcome with every secret value masked in its value, error, logs and requests. */
function redactOutcome(outcome: InvocationOutcome, secrets: readonly string[]): InvocationOutcome {
  if (secrets.length === 0) return outcome;
  const text = (t: string) => redactSecretValues(t, secrets);
  const common = {
    logs: outcome.logs.map((log) => ({ ...log, message: text(log.message) })),
    requests: outcome.requests.map((r) => ({ ...r, url: text(r.url), ...(r.error !== undefined ? { error: text(r.error) } : {}) })),
    timing: outcome.timing,
  };
  return outcome.ok
    ? { ...common, ok: true, value: redactSecretValuesDeep(outcome.value, secrets) }
    : { ...common, ok: false, error: { name: outcome.error.name, message: text(outcome.error.message) } };
}
