import type { Condition } from '../conditions/condition.ts';

/** A named set of profiles, by rule and/or explicit membership. */
export interface AudienceRecord {
  id: string;
  spaceId: string;
  name: string;
  description: string | null;
  /** Conditions on profile traits; null for an audience managed only through the API. */
  rule: Condition[] | null;
  /** Bumped by every change of the rule; memberships computed for an older rule are stale. */
  ruleVersion: number;
  /** Null while the rule is being evaluated over existing profiles. */
  backfilledAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** One profile's standing in one audience. */
export interface MembershipRecord {
  spaceId: string;
  audienceId: string;
  profileId: string;
  /** Whether the audience rule matched the profile's traits. */
  byRule: boolean;
  /** An explicit add or remove through the API; a remove overrides the rule. */
  manual: 'added' | 'removed' | null;
  updatedAt: string;
}

/** Whether a membership record makes the profile a member. */
export function isMember(m: Pick<MembershipRecord, 'byRule' | 'manual'>): boolean {
  return m.manual === 'added' || (m.byRule && m.manual !== 'removed');
}

/** Audiences and memberships. */
export interface AudienceStore {
  /** `conflict` when the name is taken in the space. */
  insert(audience: AudienceRecord): Promise<'ok' | 'conflict'>;
  /** Compare-and-set on version; `conflict` when the new name is taken. */
  update(audience: AudienceRecord, expectedVersion: number): Promise<'ok' | 'conflict' | 'version_conflict'>;
  get(spaceId: string, id: string): Promise<AudienceRecord | null>;
  list(spaceId: string): Promise<AudienceRecord[]>;
  /** Deletes the audience and its memberships. */
  delete(spaceId: string, id: string): Promise<boolean>;
  /**
   * Sets the rule-driven flag of one membership, creating the record if needed. Ignored when the
   * record was already computed from a newer profile version, so a slow backfill cannot undo a
   * fresher evaluation.
   */
  setByRule(spaceId: string, audienceId: string, profileId: string, byRule: boolean, profileVersion: number, at: string): Promise<void>;
  /** Sets the manual flag of one membership, creating the record if needed. */
  setManual(spaceId: string, audienceId: string, profileId: string, manual: 'added' | 'removed' | null, at: string): Promise<void>;
  /** A profile's membership records (members or not). */
  membershipsOfProfile(spaceId: string, profileId: string): Promise<MembershipRecord[]>;
  /** Member profile ids of an audience, in id order, after a cursor. */
  members(spaceId: string, audienceId: string, options: { after: string | null; limit: number }): Promise<string[]>;
}
