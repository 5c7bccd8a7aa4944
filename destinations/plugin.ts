/**
 * What the registry holds: a plugin is one DestinationDefinition registered under a slug and a
 * version. Plugin modules (built-in, local or catalog) all reduce to a PluginModule.
 */
import type { DestinationDefinition } from './actions-core.ts';

/** Where a plugin comes from: our built-ins, `destinations/plugins/*`, or @segment/action-destinations. */
export type PluginSource = 'builtin' | 'local' | 'catalog';

/** Any destination definition, whatever its settings type. */
export type AnyDestinationDefinition = DestinationDefinition<any>;

/** What a plugin file exports (as its default export for `destinations/plugins/<slug>/index.ts`). */
export interface PluginModule {
  /** Registry slug; must match PLUGIN_SLUG_PATTERN (and the folder name for local plugins). */
  readonly slug: string;
  /** Bumped when fields or behaviour change; part of the internal name (validator cache). */
  readonly version: string;
  readonly definition: AnyDestinationDefinition;
}

/** A registered plugin: `definition` is a clone carrying a process-unique internal name. */
export interface Plugin {
  readonly slug: string;
  readonly source: PluginSource;
  readonly version: string;
  /** Display name (the definition's own `name`). */
  readonly name: string;
  readonly definition: AnyDestinationDefinition;
}

let registrations = 0;

/**
 * Wraps a module into a Plugin whose definition has a unique `name`.
 *
 * Why: actions-core caches compiled validators process-wide under `<destination name>:<action
 * title>` (and `<name>:settings`); two plugins or two versions sharing a name would validate with
 * each other's schemas. The counter makes even a re-registration of the same version unique.
 * Only letters, digits, spaces, dots, dashes and parentheses are used because the key becomes an
 * ajv schema id, i.e. a URI (`#`, `@`, `[`, `]` have URI meanings).
 */
export function toPlugin(module: PluginModule, source: PluginSource): Plugin {
  registrations += 1;
  const name = module.definition.name;
  const version = module.version.replace(/[^A-Za-z0-9.-]/g, '-');
  const internalName = `${name} (${module.slug} ${version} r${registrations})`;
  return Object.freeze({
    slug: module.slug,
    source,
    version: module.version,
    name,
    definition: { ...module.definition, name: internalName },
  });
}
