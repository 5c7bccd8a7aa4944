import type { InstanceRecord, InstanceStatus } from '../instance-store.ts';

/** The columns an instance is read back from, in SELECT-list form. */
export const INSTANCE_ROW_COLUMNS = 'id, space_id, journey_id, version, profile_id, identifier_key, status, wake_at, rev, doc, outbox';

/** Every status an instance can have. */
const STATUSES = ['active', 'completed', 'exited'] as const satisfies readonly InstanceStatus[];

/**
 * The index of a profile's instances (profile, status, journey, identifier) and the condition that
 * lets a query by profile and journey, whatever the status, seek it once per status instead of
 * reading the profile's every instance (see sqlite-schema.ts).
 */
export const BY_PROFILE = {
  index: 'INDEXED BY instances_profile_status',
  anyStatus: `status IN (${STATUSES.map((s) => `'${s}'`).join(', ')})`,
  /** Whether an active instance holds the key given as SQL expressions (one seek in the index). */
  activeKeyHeld: (profile: string, journey: string, identifier: string) => `EXISTS (SELECT 1 FROM instances AS holder
    INDEXED BY instances_profile_status WHERE holder.profile_id = ${profile} AND holder.status = 'active'
    AND holder.journey_id = ${journey} AND holder.identifier_key = ${identifier})`,
} as const;

/** A row of `instances` as INSTANCE_ROW_COLUMNS selects it. */
export interface InstanceRow {
  id: string;
  space_id: string;
  journey_id: string;
  version: number;
  profile_id: string;
  identifier_key: string;
  status: string;
  wake_at: number | null;
  rev: number;
  doc: string;
  outbox: string | null;
}

type LeftOut = { [K in keyof InstanceRecord]?: (value: InstanceRecord[K], instance: InstanceRecord) => boolean };

const always = () => true;
const isNull = (value: unknown) => value === null;
const isEmpty = (value: Record<string, unknown>) => Object.keys(value).length === 0;

/**
 * The fields left out of the stored document, and when; instanceFromRow puts each one back.
 * Why: with a small context, the columns' copies, nulls and empty objects were ~40% of the document.
 */
const LEFT_OUT: LeftOut = {
  // Held by columns (the outbox by its own, and only until materialized).
  id: always, spaceId: always, journeyId: always, version: always, profileId: always, status: always, wakeAt: always, rev: always, outbox: always,
  // identifier_key is the identifier, or '' for none: only an empty-string identifier needs the document.
  identifier: (value) => value !== '',
  stepId: isNull, wait: isNull, consumedEventId: isNull, endedAt: isNull, endReason: isNull,
  loops: isEmpty, conversions: isEmpty, iteration: (value) => value === 0,
  // An instance that has seen only its trigger, and has not changed since it entered (most waiting ones).
  lastEventId: (value, instance) => value === instance.triggerEventId,
  updatedAt: (value, instance) => value === instance.enteredAt,
};

/** The stored JSON document of an instance: what the columns do not hold, without defaults. */
export function leanInstanceDoc(instance: InstanceRecord): string {
  const doc: Record<string, unknown> = {};
  for (const key of Object.keys(instance) as Array<keyof InstanceRecord>) {
    const leaveOut = LEFT_OUT[key] as ((value: unknown, instance: InstanceRecord) => boolean) | undefined;
    if (!leaveOut?.(instance[key], instance)) doc[key] = instance[key];
  }
  return JSON.stringify(doc);
}

/**
 * The instance a row holds. Rows written before documents were lean hold every field in `doc`
 * (the same values as the columns): laid over the rebuilt record, they read exactly as before.
 */
export function instanceFromRow(row: InstanceRow): InstanceRecord {
  const doc = JSON.parse(row.doc) as Partial<InstanceRecord>;
  // Built in InstanceRecord's key order, so that a record reads (and serializes) as the engine made it.
  const instance: InstanceRecord = {
    id: row.id, spaceId: row.space_id, journeyId: row.journey_id, version: row.version, profileId: row.profile_id,
    identifier: row.identifier_key === '' ? null : row.identifier_key, status: row.status as InstanceStatus,
    stepId: null, wait: null, wakeAt: row.wake_at, context: {}, loops: {}, iteration: 0, conversions: {},
    triggerEventId: '', lastEventId: null, consumedEventId: null, enteredAt: '', updatedAt: '', endedAt: null, endReason: null,
    outbox: [], rev: row.rev,
  };
  Object.assign(instance, doc);
  if (!('lastEventId' in doc)) instance.lastEventId = instance.triggerEventId;
  if (!('updatedAt' in doc)) instance.updatedAt = instance.enteredAt;
  instance.outbox = row.outbox === null ? [] : (JSON.parse(row.outbox) as InstanceRecord['outbox']);
  return instance;
}
