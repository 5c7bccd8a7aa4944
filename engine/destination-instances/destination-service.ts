import { randomUUID } from 'node:crypto';
import { EngineError, notFound } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { DestinationRecord } from '../store/destination-store.ts';
import type { PluginRegistry } from '../../destinations/plugin-registry.ts';
import type { PluginSummary } from '../../destinations/describe-plugin.ts';
import type { Plugin } from '../../destinations/plugin.ts';
import { PluginError } from '../../destinations/plugin-error.ts';
import { mergeSettings, redactSettings, validateSettings } from '../../destinations/settings.ts';
import { testAuthentication, type AuthenticationResult } from '../../destinations/run-action.ts';
import { journeysSendingTo } from '../journeys/journeys-sending-to.ts';
import { DEFAULT_DELIVERY_OPTIONS, type DestinationInput } from './destination-input.ts';
import type { DestinationActions } from '../journeys/send-targets.ts';

/** A destination as the API shows it: secret settings replaced by a marker. */
export type DestinationView = Omit<DestinationRecord, 'spaceId'>;

/**
 * Configured destinations of a space: which plugin, validated settings, enabled or not, delivery
 * limits. The dispatcher (on the processing thread) is told about every change.
 */
export class DestinationService {
  readonly #store: Store;
  readonly #registry: PluginRegistry;
  readonly #onChange: () => void;

  constructor(options: { store: Store; registry: PluginRegistry; onChange: () => void }) {
    this.#store = options.store;
    this.#registry = options.registry;
    this.#onChange = options.onChange;
  }

  /** Every plugin that can be configured (catalog ones not loaded yet by name only). */
  plugins(): PluginSummary[] {
    return this.#registry.list();
  }

  /** One plugin with its settings and actions (loads a catalog plugin); 404 for a slug no plugin has. */
  async plugin(slug: string): Promise<PluginSummary> {
    try {
      return this.#registry.describe((await this.#plugin(slug)).slug);
    } catch (error) {
      // Plugins are the engine's, not a space's: no "in this space".
      if (error instanceof EngineError && error.code === 'unknown_plugin') throw new EngineError('not_found', `no destination plugin has the slug '${slug}'`);
      throw error;
    }
  }

  async create(spaceId: string, input: DestinationInput): Promise<DestinationView> {
    const plugin = await this.#plugin(input.plugin);
    // A secret marker sent on create stands for no value, never for the value "••••".
    const settings = mergeSettings(plugin, {}, input.settings);
    this.#checkSettings(plugin, settings);
    const now = new Date().toISOString();
    const record: DestinationRecord = {
      id: `dst_${randomUUID()}`, spaceId, name: input.name, plugin: plugin.slug, settings, enabled: input.enabled,
      delivery: { ...DEFAULT_DELIVERY_OPTIONS, ...input.delivery }, createdAt: now, updatedAt: now, version: 1,
    };
    if (await this.#store.destinations.insert(record) === 'conflict') throw nameTaken(input.name);
    this.#onChange();
    return this.#view(plugin, record);
  }

  async get(spaceId: string, id: string): Promise<DestinationView> {
    const record = await this.record(spaceId, id);
    return this.#view(await this.#plugin(record.plugin), record);
  }

  async list(spaceId: string): Promise<DestinationView[]> {
    const records = await this.#store.destinations.list(spaceId);
    return Promise.all(records.map(async (r) => this.#view(await this.#plugin(r.plugin), r)));
  }

  /** Replaces a destination; a secret sent back as the marker (or left out) keeps its stored value. */
  async update(spaceId: string, id: string, input: DestinationInput): Promise<DestinationView> {
    const current = await this.record(spaceId, id);
    const plugin = await this.#plugin(input.plugin);
    if (plugin.slug !== current.plugin) {
      // Send steps name an action of the plugin and carry its field defaults: another plugin would break them.
      const users = await journeysSendingTo(this.#store, spaceId, (t) => t.type === 'destination' && t.destinationId === id);
      if (users.length > 0) {
        throw new EngineError('destination_in_use',
          `destination '${id}' is the target of send steps in ${users.length} journey(s); its plugin cannot change from '${current.plugin}' to '${plugin.slug}' until they stop using it`,
          { journeys: users, path: '/plugin' });
      }
    }
    const settings = mergeSettings(plugin, plugin.slug === current.plugin ? current.settings : {}, input.settings);
    this.#checkSettings(plugin, settings);
    const next: DestinationRecord = {
      ...current, name: input.name, plugin: plugin.slug, settings, enabled: input.enabled,
      delivery: { ...DEFAULT_DELIVERY_OPTIONS, ...input.delivery }, updatedAt: new Date().toISOString(), version: current.version + 1,
    };
    const result = await this.#store.destinations.update(next, current.version);
    if (result === 'conflict') throw nameTaken(input.name);
    if (result === 'version_conflict') throw new EngineError('version_conflict', `destination '${id}' changed while being updated; retry`);
    this.#onChange();
    return this.#view(plugin, next);
  }

  /** Deletes a destination no journey sends to (drafts and versions still running included). */
  async delete(spaceId: string, id: string): Promise<void> {
    await this.record(spaceId, id);
    const users = await journeysSendingTo(this.#store, spaceId, (t) => t.type === 'destination' && t.destinationId === id);
    if (users.length > 0) {
      throw new EngineError('destination_in_use', `destination '${id}' is the target of send steps in ${users.length} journey(s); change them first`, { journeys: users });
    }
    await this.#store.destinations.delete(spaceId, id);
    this.#onChange();
  }

  /** Runs the plugin's credentials check with the stored settings. */
  async testAuthentication(spaceId: string, id: string): Promise<AuthenticationResult> {
    const record = await this.record(spaceId, id);
    return testAuthentication(await this.#plugin(record.plugin), record.settings, { timeoutMs: record.delivery.timeoutMs });
  }

  /** The stored record, secrets included (for the engine's own use only). */
  async record(spaceId: string, id: string): Promise<DestinationRecord> {
    const record = await this.#store.destinations.get(spaceId, id);
    if (!record) throw notFound('destination', id);
    return record;
  }

  /** Looks up a space's destinations with their actions' fields (journey validation and mapping defaults). */
  actionsOf(spaceId: string): DestinationActions {
    return async (destinationId) => {
      const record = await this.#store.destinations.get(spaceId, destinationId);
      if (!record) return null;
      const plugin = await this.#registry.get(record.plugin).catch(() => null);
      const actions = Object.fromEntries(Object.entries(plugin?.definition.actions ?? {}).map(([slug, action]) => [slug, action.fields]));
      return { name: record.name, actions };
    };
  }

  /** The plugin of a configured destination. */
  pluginOf(record: DestinationRecord): Promise<Plugin> {
    return this.#plugin(record.plugin);
  }


  #checkSettings(plugin: Plugin, settings: Record<string, unknown>): void {
    const problems = validateSettings(plugin, settings);
    if (problems.length > 0) {
      const located = problems.map((p) => ({ ...p, path: `/${p.path.replace(/\./g, '/')}` }));
      // `path` names the first problem, as every other 400 names where it is; `problems` lists them all.
      throw new EngineError('invalid_settings', `the settings break the ${plugin.name} plugin's schema: ${problems[0]!.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
        path: located[0]!.path, problems: located,
      });
    }
  }

  /** The plugin of a slug named at `/plugin`; an unknown or malformed slug is the caller's mistake (400). */
  async #plugin(slug: string): Promise<Plugin> {
    try {
      return await this.#registry.get(slug);
    } catch (error) {
      if (error instanceof PluginError && (error.code === 'unknown_plugin' || error.code === 'invalid_plugin_slug')) {
        throw new EngineError('unknown_plugin', `${error.message}; GET /api/v1/destination-plugins lists the plugins`, { path: '/plugin' });
      }
      throw error;
    }
  }

  #view(plugin: Plugin, record: DestinationRecord): DestinationView {
    const { spaceId: _space, ...rest } = record;
    return { ...rest, settings: redactSettings(plugin, record.settings) };
  }
}

function nameTaken(name: string): EngineError {
  return new EngineError('conflict', `a destination named '${name}' already exists in this space`, { path: '/name' });
}
