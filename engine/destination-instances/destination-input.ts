import { invalidRequest } from '../errors.ts';
import { isJsonObject, objectWithKeys } from '../http/object-body.ts';
import type { DeliveryOptions } from '../store/destination-store.ts';

/** A create or update body of `/api/v1/destinations`. */
export interface DestinationInput {
  plugin: string;
  name: string;
  settings: Record<string, unknown>;
  enabled: boolean;
  delivery: Partial<DeliveryOptions>;
}

/** Limits of the per-destination delivery options: [min, max]. */
export const DELIVERY_OPTION_RANGES: Readonly<Record<keyof DeliveryOptions, readonly [number, number]>> = {
  concurrency: [1, 1000],
  ratePerSecond: [0, 100_000],
  timeoutMs: [100, 120_000],
  batchSize: [0, 1000],
  batchWaitMs: [0, 60_000],
};

/** Defaults of the per-destination delivery options. */
export const DEFAULT_DELIVERY_OPTIONS: Readonly<DeliveryOptions> = Object.freeze({
  concurrency: 10, ratePerSecond: 0, timeoutMs: 10_000, batchSize: 0, batchWaitMs: 100,
});

/** Reads and checks a destination body; throws invalid_request with the JSON pointer of the first bad field. */
export function parseDestinationInput(body: unknown): DestinationInput {
  const { plugin, name, settings = {}, enabled = true, delivery = {} } = objectWithKeys(body, ['plugin', 'name', 'settings', 'enabled', 'delivery']);
  if (typeof plugin !== 'string' || plugin === '') throw invalidRequest('plugin must be a plugin slug (see GET /api/v1/destination-plugins)', '/plugin');
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) throw invalidRequest('name must be a non-empty string of at most 200 characters', '/name');
  if (!isJsonObject(settings)) throw invalidRequest('settings must be an object', '/settings');
  if (typeof enabled !== 'boolean') throw invalidRequest('enabled must be true or false', '/enabled');
  if (!isJsonObject(delivery)) throw invalidRequest('delivery must be an object', '/delivery');
  const options: Partial<DeliveryOptions> = {};
  for (const [key, value] of Object.entries(delivery)) {
    const range = DELIVERY_OPTION_RANGES[key as keyof DeliveryOptions];
    if (!range) throw invalidRequest(`unknown delivery option '${key}' (known: ${Object.keys(DELIVERY_OPTION_RANGES).join(', ')})`, `/delivery/${key}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw invalidRequest(`delivery.${key} must be an integer from ${range[0]} to ${range[1]}`, `/delivery/${key}`);
    }
    options[key as keyof DeliveryOptions] = value;
  }
  return { plugin, name: name.trim(), settings, enabled, delivery: options };
}
