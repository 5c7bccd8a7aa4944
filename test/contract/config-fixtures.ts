/**
 * Record makers for the configuration stores' contracts (journeys, destinations, functions).
 * User-shaped parts carry keys with dots and `$`, which every adapter must store verbatim.
 */
import type { JourneyDefinition } from '../../engine/journeys/definition/journey-definition.ts';
import type { JourneyRecord, JourneyVersionRecord } from '../../engine/store/journey-store.ts';
import type { DestinationRecord } from '../../engine/store/destination-store.ts';
import type { FunctionRecord, FunctionVersionRecord } from '../../engine/store/function-store.ts';
import { SPACE_A, iso, uniqueId } from './store-fixtures.ts';

/** A small journey definition: entry on an event, one send (with `activationKey` when given), then exit. */
export function makeDefinition(name = 'Welcome', activationKey?: string): JourneyDefinition {
  return {
    name,
    description: 'Greets new users',
    entry: { event: 'Signed Up', conditions: [{ path: 'properties.plan', operator: 'equals', value: 'pro' }], reentry: { mode: 'once' } },
    start: 'send-welcome',
    steps: [
      {
        id: 'send-welcome', type: 'send', eventName: 'Welcome Sent', next: 'done',
        ...(activationKey === undefined ? {} : { activationKey }),
        target: { type: 'destination', destinationId: 'dest-1', action: 'postToChannel' },
        mapping: { 'user.email': { '@path': '$.traits.email' }, $literal: 'x.y' },
      },
      { id: 'done', type: 'exit' },
    ],
    settings: { lookback: 'PT10M' },
  };
}

/** A draft journey (rev 1, never published) unless given. */
export function makeJourney(overrides: Partial<JourneyRecord> = {}): JourneyRecord {
  const name = overrides.name ?? uniqueId('Journey');
  return {
    id: uniqueId('jrn'), spaceId: SPACE_A, name, description: null, status: 'draft',
    draft: makeDefinition(name), draftVersion: 1, liveVersion: null, createdAt: iso(), updatedAt: iso(), rev: 1,
    ...overrides,
  };
}

/** The next revision of a journey, as a compare-and-set caller builds it. */
export function nextRev<T extends { rev: number; updatedAt: string }>(record: T, changes: Partial<T> = {}): T {
  return { ...record, ...changes, rev: record.rev + 1, updatedAt: iso(record.rev * 1000) };
}

/** A live version of a journey. */
export function makeJourneyVersion(journey: Pick<JourneyRecord, 'id' | 'spaceId' | 'name'>, version: number, overrides: Partial<JourneyVersionRecord> = {}): JourneyVersionRecord {
  return {
    spaceId: journey.spaceId, journeyId: journey.id, version, definition: makeDefinition(`${journey.name} v${version}`),
    state: 'live', publishedAt: iso(version * 1000), ...overrides,
  };
}

/** An enabled destination, version 1, with secret-bearing settings. */
export function makeDestination(overrides: Partial<DestinationRecord> = {}): DestinationRecord {
  return {
    id: uniqueId('dest'), spaceId: SPACE_A, name: uniqueId('Destination'), plugin: 'slack',
    settings: { webhookUrl: 'https://hooks.example.com/T0/B0', 'channel.name': '#growth', $secret: { token: 's3cr3t' }, retries: [1, 2] },
    enabled: true, delivery: { concurrency: 10, ratePerSecond: 0, timeoutMs: 10_000, batchSize: 0, batchWaitMs: 100 },
    createdAt: iso(), updatedAt: iso(), version: 1, ...overrides,
  };
}

/** A function with one saved, undeployed version (rev 1). */
export function makeFunction(overrides: Partial<FunctionRecord> = {}): FunctionRecord {
  return {
    id: uniqueId('fn'), spaceId: SPACE_A, name: uniqueId('Function'), description: null,
    settingsSchema: [{ name: 'apiKey', label: 'API key', type: 'string', required: true, secret: true }, { name: 'tags', type: 'array' }],
    settings: { apiKey: 'k-123', tags: ['a', 'b'], 'nested.key': { $op: 1 } },
    latestVersion: 1, deployedVersion: null, createdAt: iso(), updatedAt: iso(), rev: 1, ...overrides,
  };
}

/** A saved version of a function's code. */
export function makeFunctionVersion(fn: Pick<FunctionRecord, 'id' | 'spaceId'>, version: number, overrides: Partial<FunctionVersionRecord> = {}): FunctionVersionRecord {
  return {
    functionId: fn.id, spaceId: fn.spaceId, version,
    code: `async function onTrack(event, settings) { return { v: ${version}, 'a.b': event.properties?.$x }; }`,
    createdAt: iso(version * 1000), ...overrides,
  };
}
