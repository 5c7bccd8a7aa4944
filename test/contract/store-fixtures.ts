import crypto from 'node:crypto';
import { newEventId } from '../../engine/ingest/normalize-message.ts';
import type { Store } from '../../engine/store/store.ts';
import type { CredentialRecord, SpaceRecord } from '../../engine/store/space-store.ts';
import type { EventRecord } from '../../engine/store/event-store.ts';
import type { ProfileRecord } from '../../engine/store/profile-store.ts';
import type { AudienceRecord } from '../../engine/store/audience-store.ts';
import type { CatalogEntry } from '../../engine/store/catalog-store.ts';

/** One adapter instance under test, as an adapter's test file provides it. */
export interface StoreUnderTest {
  /** A store holding no data at all (the suite counts and orders across spaces). */
  store: Store;
  /** Closes the current store and opens a new one over the same data; absent when the data cannot outlive the store (`:memory:`). */
  reopen?: () => Promise<Store>;
  /** Closes whatever store is open and removes its data. */
  cleanup: () => Promise<void>;
}

/** Builds a fresh, empty store for one test. */
export type MakeStore = () => Promise<StoreUnderTest>;

/** The store of the running test, renewed before each test and cleaned up after it. */
export interface FreshStore {
  readonly store: Store;
  /** Whether the adapter can reopen its data (the durability knob). */
  readonly canReopen: boolean;
  /** Closes the store and opens it again over the same data; `store` is the new one afterwards. */
  reopen(): Promise<Store>;
}

/** Registers mocha hooks that give every test of the enclosing `describe` its own empty store. */
export function useFreshStore(makeStore: MakeStore): FreshStore {
  let current: StoreUnderTest | null = null;
  let store: Store | null = null;
  beforeEach(async () => {
    current = await makeStore();
    store = current.store;
  });
  afterEach(async () => {
    const done = current;
    current = null;
    store = null;
    await done?.cleanup();
  });
  return {
    get store(): Store {
      if (!store) throw new Error('no store: used outside a test');
      return store;
    },
    get canReopen(): boolean {
      return current?.reopen !== undefined;
    },
    async reopen(): Promise<Store> {
      if (!current?.reopen) throw new Error('this adapter cannot reopen its data');
      store = await current.reopen();
      return store;
    },
  };
}

/** Two tenants; nothing written to one may show up in the other. */
export const SPACE_A = 'space-a';
export const SPACE_B = 'space-b';

/** A fixed "now" (epoch ms) so that tests never depend on the clock. */
export const T0 = Date.parse('2025-03-01T12:00:00.000Z');

/** ISO-8601 time `offsetMs` after T0. */
export function iso(offsetMs = 0): string {
  return new Date(T0 + offsetMs).toISOString();
}

/** A unique, time-ordered id: later calls sort after earlier ones. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${newEventId()}`;
}

/** A space record. */
export function makeSpace(overrides: Partial<SpaceRecord> = {}): SpaceRecord {
  return { id: uniqueId('space'), name: 'Test space', createdAt: iso(), ...overrides };
}

/** A credential with a random secret; only its hash and hint are in the record. */
export function makeCredential(overrides: Partial<CredentialRecord> = {}): CredentialRecord {
  const secret = crypto.randomBytes(24).toString('base64url');
  return {
    id: uniqueId('cred'), spaceId: SPACE_A, kind: 'write_key',
    hash: crypto.createHash('sha256').update(secret).digest('hex'), hint: secret.slice(0, 6),
    label: null, createdAt: iso(), revokedAt: null, ...overrides,
  };
}

/** A track event with a ULID id; the message mirrors the record's fields unless given. */
export function makeEvent(overrides: Partial<EventRecord> = {}): EventRecord {
  const id = overrides.id ?? newEventId();
  const event: EventRecord = {
    id, spaceId: SPACE_A, messageId: `msg-${id}`, type: 'track', name: 'Order Completed',
    userId: 'user-1', anonymousId: null, timestamp: iso(), receivedAt: iso(), message: {},
    ...overrides,
  };
  event.message = overrides.message ?? {
    type: event.type, messageId: event.messageId, event: event.name, userId: event.userId,
    anonymousId: event.anonymousId, timestamp: event.timestamp, receivedAt: event.receivedAt,
    properties: { total: 42.5, currency: 'EUR', items: [{ sku: 'A-1', qty: 2 }], shipping: { city: 'Zürich', express: true } },
  };
  return event;
}

/** A version-1 profile with no identities unless given. */
export function makeProfile(overrides: Partial<ProfileRecord> = {}): ProfileRecord {
  return {
    id: uniqueId('prof'), spaceId: SPACE_A, userId: null, userIds: [], anonymousIds: [], email: null,
    traits: {}, firstSeenAt: iso(), lastSeenAt: iso(), mergedInto: null, mergedFrom: [], recentEvents: [], lastEventId: null,
    version: 1, createdAt: iso(), updatedAt: iso(), ...overrides,
  };
}

/** The next version of a record, as a caller of a compare-and-set update builds it. */
export function nextVersion<T extends { version: number; updatedAt: string }>(record: T, changes: Partial<T> = {}): T {
  return { ...record, ...changes, version: record.version + 1, updatedAt: iso(record.version * 1000) };
}

/** A version-1 audience managed through the API (no rule) unless given. */
export function makeAudience(overrides: Partial<AudienceRecord> = {}): AudienceRecord {
  return {
    id: uniqueId('aud'), spaceId: SPACE_A, name: uniqueId('Audience'), description: null, rule: null,
    ruleVersion: 1, backfilledAt: null, version: 1, createdAt: iso(), updatedAt: iso(), ...overrides,
  };
}

/** One sighting of an event name. */
export function makeCatalogEntry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return { spaceId: SPACE_A, name: 'Order Completed', propertyKeys: ['total'], firstSeenAt: iso(), lastSeenAt: iso(), ...overrides };
}

/** Ids of records, for order-sensitive comparisons. */
export function idsOf(records: ReadonlyArray<{ id: string }>): string[] {
  return records.map((r) => r.id);
}

/** Records sorted by id, for comparisons where the port promises no order. */
export function byId<T extends { id: string }>(records: readonly T[]): T[] {
  return [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
