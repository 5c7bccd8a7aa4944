/**
 * The one entry point of `@segment/actions-core` into this project: the rest of the code imports
 * its typed surface from here.
 *
 * Why createRequire: the package's ESM build uses directory imports, which Node's ESM loader
 * refuses; its CommonJS build loads fine. Types come from the package's own declarations.
 */
import { createRequire } from 'node:module';
import type * as ActionsCore from '@segment/actions-core';

const require = createRequire(import.meta.url);
const core = require('@segment/actions-core') as typeof ActionsCore;

export const {
  Destination, transform, createTestIntegration, createTestEvent, fieldsToJsonSchema, validateSchema,
  IntegrationError, InvalidAuthenticationError, RetryableError, PayloadValidationError, APIError, HTTPError,
  RequestTimeoutError, SelfTimeoutError, MultiStatusResponse, ErrorCodes, isDirective, defaultValues,
  createRequestClient, getAuthData,
} = core;

export type {
  DestinationDefinition, ActionDefinition, InputField, JSONObject, JSONValue, SegmentEvent, ExecuteInput,
  RequestClient, ModifiedResponse, Preset, GlobalSetting, DecoratedResponse, Result, AuthenticationScheme,
  RequestOptions,
} from '@segment/actions-core';

/** Loads a CommonJS module from node_modules relative to this file (catalog destinations by deep path). */
export function requireFromHere(specifier: string): unknown {
  return require(specifier);
}

/** mapping-kit's own structural check of a mapping (what `transform` runs first); throws an iterable AggregateError. */
export const validateMappingStructure = (require('@segment/actions-core/mapping-kit/validate') as {
  default: (mapping: unknown, stack?: string[]) => void;
}).default;

/**
 * The empty-value pruning `Action.execute` applies between `transform` and schema validation.
 * Why by file path: the package's `exports` map does not expose it, and a preview must prune
 * exactly as a real send does.
 */
export const removeEmptyValues = (require(
  `${require.resolve('@segment/actions-core').replace(/index\.js$/, '')}remove-empty-values.js`,
) as { removeEmptyValues: (obj: unknown, schema?: unknown, isRoot?: boolean) => unknown }).removeEmptyValues;

/** Parses a `@liquid` template with mapping-kit's own restricted Liquid engine; throws on syntax errors and disabled tags. */
export const parseLiquidTemplate = (require('@segment/actions-core/mapping-kit/liquid-directive') as {
  getLiquidKeys: (template: string) => unknown;
}).getLiquidKeys;
