/**
 * The catalog: destinations of `@segment/action-destinations`, loaded lazily and run unmodified.
 *
 * Registry slugs of catalog plugins are `catalog-<folder>` (`catalog-webhook` is the folder
 * `dist/destinations/webhook`): the prefix keeps them apart from our built-ins of the same name
 * (our `webhook` is a different plugin). Each load is one deep `require` of one folder (~150 ms,
 * ~20 MB); the package root would load all ~220 of them at once, so it is never required.
 */
import { requireFromHere } from './actions-core.ts';
import { assertPluginSlug, PluginError } from './plugin-error.ts';
import type { AnyDestinationDefinition, PluginModule } from './plugin.ts';

/** Prefix that marks a registry slug as a catalog destination. */
export const CATALOG_SLUG_PREFIX = 'catalog-';

/** A catalog destination we list before it is loaded. */
export interface KnownCatalogDestination {
  /** Folder name under `@segment/action-destinations/dist/destinations/`. */
  folder: string;
  name: string;
  description: string;
  /** What our end-to-end test (test/destinations/catalog.test.ts) exercises. */
  verifiedWith: string;
}

/**
 * Catalog destinations verified end to end here (nock, see test/destinations/catalog.test.ts).
 * Others load and may work, but are listed as unverified when fetched by slug.
 */
export const VERIFIED_CATALOG: readonly KnownCatalogDestination[] = Object.freeze([
  {
    folder: 'webhook', name: 'Webhook',
    description: 'Segment\'s catalog webhook: JSON POST/PUT/PATCH, optional HMAC-SHA1 "X-Signature", batching.',
    verifiedWith: 'send with default mappings, shared-secret signature, batch',
  },
  {
    folder: 'slack', name: 'Slack',
    description: 'Posts a message to a Slack incoming-webhook URL (must be https://*.slack.com/...).',
    verifiedWith: 'postToChannel with a templated text',
  },
  {
    folder: 'customerio', name: 'Actions Customerio',
    description: 'Customer.io Track API with HTTP Basic auth (site ID + API key).',
    verifiedWith: 'trackEvent with default mappings, basic auth header, 401 surfaced as HTTPError',
  },
]);

let packageVersion: string | undefined;

/** Version of the installed @segment/action-destinations (part of each catalog plugin's version). */
export function catalogPackageVersion(): string {
  packageVersion ??= (requireFromHere('@segment/action-destinations/package.json') as { version: string }).version;
  return packageVersion;
}

/** Whether a registry slug names a catalog destination. */
export function isCatalogSlug(slug: string): boolean {
  return slug.startsWith(CATALOG_SLUG_PREFIX);
}

/**
 * Loads one catalog destination by registry slug (`catalog-<folder>`).
 * Throws PluginError `invalid_plugin_slug`, `unknown_plugin` (no such folder) or `invalid_plugin`.
 */
export function loadCatalogPlugin(slug: string): PluginModule {
  assertPluginSlug(slug);
  if (!isCatalogSlug(slug)) throw new PluginError('unknown_plugin', `"${slug}" is not a catalog plugin slug (expected ${CATALOG_SLUG_PREFIX}<name>)`);
  const folder = slug.slice(CATALOG_SLUG_PREFIX.length);
  // `index` is the package's aggregate module (every destination at once), not a destination.
  if (!folder || folder === 'index') throw new PluginError('unknown_plugin', `unknown catalog destination "${slug}"`);
  const specifier = `@segment/action-destinations/dist/destinations/${folder}/index.js`;
  let loaded: unknown;
  try {
    loaded = requireFromHere(specifier);
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(specifier)) {
      throw new PluginError('unknown_plugin', `unknown catalog destination "${slug}": no folder "${folder}" in @segment/action-destinations`);
    }
    throw new PluginError('invalid_plugin', `catalog destination "${slug}" failed to load: ${(error as Error).message}`, { cause: error });
  }
  const definition = (loaded as { default?: AnyDestinationDefinition }).default;
  if (!definition || typeof definition !== 'object' || definition.mode !== 'cloud' || typeof definition.actions !== 'object') {
    throw new PluginError('invalid_plugin', `catalog module "${folder}" is not a cloud-mode action destination`);
  }
  return { slug, version: catalogPackageVersion(), definition };
}
