/**
 * The plugin registry: every destination plugin this process can deliver to, by slug.
 *
 * Built-in and local plugins are registered up front; catalog plugins
 * (`catalog-<folder>`, see catalog.ts) are loaded on first `get()` and then kept. `list()` never
 * loads anything: unloaded catalog plugins appear by slug and name from the verified list.
 *
 * Every plugin registered here runs its requests under the registry's outbound policy
 * (outbound-guard.ts): private, loopback and link-local addresses are refused unless allowed.
 *
 * Not promised: unregistering or replacing a plugin at run time (a new version is a new
 * registration under a new slug or a restart), nor loading catalog plugins outside the
 * installed @segment/action-destinations package.
 */
import { builtinPlugins } from './builtin/builtin-plugins.ts';
import { CATALOG_SLUG_PREFIX, isCatalogSlug, loadCatalogPlugin, VERIFIED_CATALOG } from './catalog.ts';
import { describePlugin, type PluginSummary } from './describe-plugin.ts';
import { loadLocalPlugins, LOCAL_PLUGINS_DIR } from './local-plugins.ts';
import { createOutboundGuard, guardDefinition, REFUSE_PRIVATE_NETWORK, type OutboundGuard, type OutboundPolicy } from './outbound-guard.ts';
import { assertPluginSlug, PluginError } from './plugin-error.ts';
import { toPlugin, type Plugin, type PluginModule, type PluginSource } from './plugin.ts';

/** Options of `new PluginRegistry()`; every default is "off" so tests start from an empty registry. */
export interface PluginRegistryOptions {
  /** Registered as source 'builtin'. Default: none. */
  builtins?: readonly PluginModule[];
  /** Whether `catalog-*` slugs may be loaded from @segment/action-destinations. Default: true. */
  catalog?: boolean;
  /** Catalog loader (tests replace it to count loads). Default: loadCatalogPlugin. */
  loadCatalog?: (slug: string) => PluginModule;
  /** What plugins' requests may reach. Default: REFUSE_PRIVATE_NETWORK (no private, loopback or link-local addresses). */
  outbound?: OutboundGuard;
}

const verifiedFolders = new Set(VERIFIED_CATALOG.map((entry) => entry.folder));

/** Plugins by slug: built-in, local and lazily loaded catalog ones. */
export class PluginRegistry {
  readonly #plugins = new Map<string, Plugin>();
  readonly #catalogEnabled: boolean;
  readonly #loadCatalog: (slug: string) => PluginModule;
  readonly #outbound: OutboundGuard;

  constructor(options: PluginRegistryOptions = {}) {
    this.#catalogEnabled = options.catalog ?? true;
    this.#loadCatalog = options.loadCatalog ?? loadCatalogPlugin;
    this.#outbound = options.outbound ?? REFUSE_PRIVATE_NETWORK;
    for (const module of options.builtins ?? []) this.register(module, 'builtin');
  }

  /** Adds a plugin; throws `invalid_plugin_slug`, `duplicate_plugin` or `invalid_plugin`. */
  register(module: PluginModule, source: PluginSource): Plugin {
    assertPluginSlug(module.slug);
    if (source !== 'catalog' && module.slug.startsWith(CATALOG_SLUG_PREFIX)) {
      throw new PluginError('invalid_plugin_slug', `"${module.slug}": the ${CATALOG_SLUG_PREFIX} prefix is reserved for catalog plugins`);
    }
    if (this.#plugins.has(module.slug)) {
      throw new PluginError('duplicate_plugin', `a plugin with slug "${module.slug}" is already registered`);
    }
    if (!module.definition?.actions || Object.keys(module.definition.actions).length === 0) {
      throw new PluginError('invalid_plugin', `plugin "${module.slug}" has no actions`);
    }
    const plugin = toPlugin({ ...module, definition: guardDefinition(module.definition, this.#outbound) }, source);
    this.#plugins.set(plugin.slug, plugin);
    return plugin;
  }

  /** Registers every plugin found in `dir` (default `destinations/plugins/`) as source 'local'. */
  async registerLocalPlugins(dir: string = LOCAL_PLUGINS_DIR): Promise<Plugin[]> {
    const modules = await loadLocalPlugins(dir);
    return modules.map((module) => this.register(module, 'local'));
  }

  /**
   * The loaded plugin for `slug`, loading a catalog plugin on first use.
   * Throws PluginError `invalid_plugin_slug` or `unknown_plugin`.
   */
  async get(slug: string): Promise<Plugin> {
    assertPluginSlug(slug);
    const known = this.#plugins.get(slug);
    if (known) return known;
    if (!this.#catalogEnabled || !isCatalogSlug(slug)) {
      throw new PluginError('unknown_plugin', `unknown destination plugin "${slug}"`);
    }
    // Synchronous load between the lookup and the set: two concurrent get() calls cannot both load.
    return this.register(this.#loadCatalog(slug), 'catalog');
  }

  /** The loaded plugin for `slug`, or undefined if it is unknown or not loaded yet (never loads). */
  peek(slug: string): Plugin | undefined {
    return this.#plugins.get(slug);
  }

  /** The full summary of one plugin (loads a catalog plugin). */
  async describe(slug: string): Promise<PluginSummary> {
    const plugin = await this.get(slug);
    return this.#summarise(plugin);
  }

  /** Every registered plugin plus the verified catalog ones not loaded yet, sorted by slug. */
  list(): PluginSummary[] {
    const summaries = [...this.#plugins.values()].map((plugin) => this.#summarise(plugin));
    if (this.#catalogEnabled) {
      for (const entry of VERIFIED_CATALOG) {
        const slug = CATALOG_SLUG_PREFIX + entry.folder;
        if (this.#plugins.has(slug)) continue;
        summaries.push({ slug, name: entry.name, description: entry.description, source: 'catalog', loaded: false, verified: true });
      }
    }
    return summaries.sort((a, b) => a.slug.localeCompare(b.slug));
  }

  #summarise(plugin: Plugin): PluginSummary {
    if (plugin.source !== 'catalog') return describePlugin(plugin);
    return describePlugin(plugin, { verified: verifiedFolders.has(plugin.slug.slice(CATALOG_SLUG_PREFIX.length)) });
  }
}

/** Options of createPluginRegistry. */
export interface CreatePluginRegistryOptions {
  /** Folder scanned for local plugins; `false` skips the scan. Default: `destinations/plugins/`. */
  localPluginsDir?: string | false;
  /** Whether catalog plugins may be loaded. Default: true. */
  catalog?: boolean;
  /** What plugins' requests may reach (the engine passes its `destinations` config). Default: no private networks. */
  outbound?: OutboundPolicy;
}

/** The registry the engine uses: our built-ins, `destinations/plugins/*`, and the catalog. */
export async function createPluginRegistry(options: CreatePluginRegistryOptions = {}): Promise<PluginRegistry> {
  const registry = new PluginRegistry({
    builtins: builtinPlugins, catalog: options.catalog ?? true,
    ...(options.outbound ? { outbound: createOutboundGuard(options.outbound) } : {}),
  });
  const dir = options.localPluginsDir ?? LOCAL_PLUGINS_DIR;
  if (dir !== false) await registry.registerLocalPlugins(dir);
  return registry;
}
