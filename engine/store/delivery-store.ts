import type { SendTarget } from '../journeys/definition/journey-definition.ts';

/** Where a delivery is in its life; the destinations stage adds sending and outcomes. */
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'retrying' | 'skipped';

/** One send step's payload for one instance, with its stable idempotency key. */
export interface DeliveryRecord {
  id: string;
  spaceId: string;
  journeyId: string;
  version: number;
  instanceId: string;
  profileId: string;
  /** The send step, or `exit:<rule id>` for an exit-rule send. */
  stepId: string;
  /** `<instance id>:<step>:<loop iteration>`: the same send is never recorded twice (adapters may rely on the prefix). */
  idempotencyKey: string;
  activationKey: string;
  eventName: string;
  target: SendTarget | null;
  payload: Record<string, unknown>;
  mapping: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

/** Deliveries awaiting or past dispatch. */
export interface DeliveryStore {
  /** Stores a delivery unless one with its idempotency key exists. */
  insertIfAbsent(delivery: DeliveryRecord): Promise<'inserted' | 'exists'>;
  listByInstance(spaceId: string, instanceId: string): Promise<DeliveryRecord[]>;
  listByJourney(spaceId: string, journeyId: string, options: { after?: string | null; limit: number }): Promise<DeliveryRecord[]>;
}
