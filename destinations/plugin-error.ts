/**
 * Errors raised by the plugin library itself (not by a destination). Each carries a stable,
 * machine-readable `code` the API can return as is; none of them is retryable, because each one
 * describes a configuration mistake that the same request would repeat.
 */

/** The codes a PluginError can carry. */
export type PluginErrorCode =
  | 'invalid_plugin_slug'
  | 'unknown_plugin'
  | 'duplicate_plugin'
  | 'invalid_plugin'
  | 'unknown_action'
  | 'batch_not_supported';

/** HTTP status each code maps to when it reaches the API. */
export const pluginErrorStatus: Readonly<Record<PluginErrorCode, number>> = Object.freeze({
  invalid_plugin_slug: 400,
  unknown_plugin: 404,
  duplicate_plugin: 409,
  invalid_plugin: 500,
  unknown_action: 400,
  batch_not_supported: 400,
});

/** A plugin-library error with a stable code (see PluginErrorCode). */
export class PluginError extends Error {
  readonly code: PluginErrorCode;
  readonly status: number;
  readonly retryable = false;

  constructor(code: PluginErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginError';
    this.code = code;
    this.status = pluginErrorStatus[code];
  }
}

/** Slugs end up in require paths and folder names: lowercase letters, digits and dashes only. */
export const PLUGIN_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Throws `invalid_plugin_slug` unless `slug` matches PLUGIN_SLUG_PATTERN. */
export function assertPluginSlug(slug: unknown): asserts slug is string {
  if (typeof slug !== 'string' || !PLUGIN_SLUG_PATTERN.test(slug)) {
    throw new PluginError(
      'invalid_plugin_slug',
      `invalid plugin slug ${JSON.stringify(slug)}: use 1-64 lowercase letters, digits and dashes, starting with a letter or digit`,
    );
  }
}
