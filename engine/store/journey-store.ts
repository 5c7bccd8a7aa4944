import type { JourneyDefinition } from '../journeys/definition/journey-definition.ts';

/** Lifecycle status of a journey. */
export type JourneyStatus = 'draft' | 'published' | 'paused' | 'archived';

/** A journey: its name, status, editable draft and the version new entries use. */
export interface JourneyRecord {
  id: string;
  spaceId: string;
  name: string;
  description: string | null;
  status: JourneyStatus;
  /** The editable document; null when the live version has no pending edits. */
  draft: JourneyDefinition | null;
  /** The version number the draft becomes when published. */
  draftVersion: number | null;
  /** The published version new entries use (also while paused); null before the first publish. */
  liveVersion: number | null;
  /**
   * The version the last publish superseded and what it asked for it (drain or exit), written with
   * the new liveVersion: if the version's own state change is lost (a crash between the two
   * writes), processing finishes it from here (journeys/runtime/version-repair.ts).
   */
  retiring?: { version: number; state: 'draining' | 'exiting' } | null;
  createdAt: string;
  updatedAt: string;
  /** Compare-and-set counter. */
  rev: number;
}

/** What happens to instances of a version that is no longer live. */
export type VersionState = 'live' | 'draining' | 'exiting' | 'retired';

/** A frozen, published version of a journey. */
export interface JourneyVersionRecord {
  spaceId: string;
  journeyId: string;
  version: number;
  /** The definition with defaults and activation keys filled in. */
  definition: JourneyDefinition;
  state: VersionState;
  publishedAt: string;
}

/** Journeys, their versions and the space-wide activation keys of their send steps. */
export interface JourneyStore {
  /** `conflict` when the name is taken in the space. */
  insert(journey: JourneyRecord): Promise<'ok' | 'conflict'>;
  /** Compare-and-set on rev; `conflict` when the new name is taken. */
  update(journey: JourneyRecord, expectedRev: number): Promise<'ok' | 'conflict' | 'version_conflict'>;
  get(spaceId: string, id: string): Promise<JourneyRecord | null>;
  list(spaceId: string, options: { status?: JourneyStatus }): Promise<JourneyRecord[]>;
  /** Deletes a journey, its versions and its activation keys. */
  delete(spaceId: string, id: string): Promise<boolean>;
  /**
   * Stores a version, replacing one of the same number: a publish interrupted before its journey
   * write leaves a version the journey never made live (so no instance runs it), and publishing
   * again must freeze the draft as it is now, not as it was then.
   */
  putVersion(version: JourneyVersionRecord): Promise<void>;
  getVersion(spaceId: string, journeyId: string, version: number): Promise<JourneyVersionRecord | null>;
  listVersions(spaceId: string, journeyId: string): Promise<JourneyVersionRecord[]>;
  setVersionState(spaceId: string, journeyId: string, version: number, state: VersionState): Promise<void>;
  /** Every version not retired, across spaces (what the runtime must know about). */
  listActiveVersions(): Promise<JourneyVersionRecord[]>;
  /** Claims activation keys for a journey; answers the keys already held by another journey. */
  claimActivationKeys(spaceId: string, journeyId: string, keys: string[]): Promise<string[]>;
}
