/** One setting a function declares (Segment's function settings): what its value must be, and whether it is secret. */
export interface FunctionSettingSpec {
  name: string;
  label?: string;
  description?: string;
  type: 'string' | 'number' | 'boolean' | 'array' | 'map';
  required?: boolean;
  /** Never returned by the API once set. */
  secret?: boolean;
}

/** A destination function of a space: its settings, and which saved version is deployed. */
export interface FunctionRecord {
  id: string;
  spaceId: string;
  /** Unique in the space. */
  name: string;
  description: string | null;
  settingsSchema: FunctionSettingSpec[];
  /** Setting values (secrets included). */
  settings: Record<string, unknown>;
  /** The newest saved version (every save is one). */
  latestVersion: number;
  /** What deliveries run; null until deployed. */
  deployedVersion: number | null;
  createdAt: string;
  updatedAt: string;
  /** Compare-and-set counter. */
  rev: number;
}

/** One saved version of a function's code (immutable). */
export interface FunctionVersionRecord {
  functionId: string;
  spaceId: string;
  version: number;
  code: string;
  createdAt: string;
}

/** Destination functions and their versions; names are unique per space. Does not check code. */
export interface FunctionStore {
  /** `conflict` when the name is taken in the space. */
  insert(fn: FunctionRecord): Promise<'ok' | 'conflict'>;
  get(spaceId: string, id: string): Promise<FunctionRecord | null>;
  list(spaceId: string): Promise<FunctionRecord[]>;
  update(fn: FunctionRecord, expectedRev: number): Promise<'ok' | 'conflict' | 'version_conflict'>;
  /** Deletes the function and its versions. */
  delete(spaceId: string, id: string): Promise<boolean>;
  /** Stores a version unless that number exists (then `exists`). */
  putVersion(version: FunctionVersionRecord): Promise<'ok' | 'exists'>;
  getVersion(spaceId: string, functionId: string, version: number): Promise<FunctionVersionRecord | null>;
  /** Versions newest first, without their code. */
  listVersions(spaceId: string, functionId: string): Promise<Array<Omit<FunctionVersionRecord, 'code'>>>;
  /** Removes one version (a save that lost its race takes its code back). */
  deleteVersion(spaceId: string, functionId: string, version: number): Promise<void>;
}
