/**
 * The storage port: the engine's only way to persistent state. Each sub-store speaks domain
 * operations; SQLite (embedded, default) and MongoDB (scale-out) implement it, and the contract
 * suite in test/contract/ runs against every adapter.
 *
 * What the port promises:
 * - Every method that writes is one atomic change to one record (or an idempotent claim), and is
 *   durable when its promise resolves.
 * - Compare-and-set updates take the version the caller read and fail with `version_conflict`
 *   instead of overwriting a newer record.
 *
 * What it deliberately does not promise:
 * - No transaction spans two records. Callers order their writes so that a crash between any
 *   two leaves a state that re-running the same step repairs.
 * - No cross-space query: every method takes the space id and never returns another space's data.
 * - Reads are not snapshots; a list may interleave with concurrent writes.
 */
import type { SpaceStore } from './space-store.ts';
import type { EventStore } from './event-store.ts';
import type { ProfileStore } from './profile-store.ts';
import type { AudienceStore } from './audience-store.ts';
import type { CatalogStore } from './catalog-store.ts';
import type { JourneyStore } from './journey-store.ts';
import type { InstanceStore } from './instance-store.ts';
import type { ActivityStore } from './activity-store.ts';
import type { DeliveryStore } from './delivery-store.ts';
import type { DestinationStore } from './destination-store.ts';
import type { FunctionStore } from './function-store.ts';
import type { LeaseStore } from './lease-store.ts';
import type { FigureStore } from './journey-counters.ts';

/** All persistent state of the engine, behind one port. */
export interface Store {
  readonly kind: 'sqlite' | 'mongodb';
  readonly spaces: SpaceStore;
  readonly events: EventStore;
  readonly profiles: ProfileStore;
  readonly audiences: AudienceStore;
  readonly catalog: CatalogStore;
  readonly journeys: JourneyStore;
  readonly instances: InstanceStore;
  readonly activities: ActivityStore;
  readonly deliveries: DeliveryStore;
  /** Journey figures: counters moved by activity and delivery writes. */
  readonly figures: FigureStore;
  readonly destinations: DestinationStore;
  readonly functions: FunctionStore;
  readonly leases: LeaseStore;
  /**
   * Whether an error this store threw is a passing condition (a lock, a lost connection, a
   * failover) after which the same operation is worth doing again, rather than a fault of the data.
   */
  isTransientError(error: unknown): boolean;
  /** Resolves when the database answers a trivial query (readiness); rejects when it is closed or unreachable. */
  ping(): Promise<void>;
  /**
   * Resolves once every write this store had resolved at `mark` (from durabilityMark(); default:
   * now) is on disk. A resolved write is always committed (every reader sees it, and it survives
   * a crash of the process), and with most stores already durable; the embedded store's
   * processing connection commits without waiting for the disk, so whatever acts outside the
   * engine on what it wrote (a send) asks first.
   */
  durable(mark?: number): Promise<void>;
  /** A mark for durable(): "the writes resolved so far". */
  durabilityMark(): number;
  /** Flushes pending writes and releases the database. */
  close(): Promise<void>;
}

/** A page of records and the cursor of the next page (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
