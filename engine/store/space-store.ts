/** A tenant: owns credentials, events, profiles, audiences and journeys. */
export interface SpaceRecord {
  id: string;
  name: string;
  createdAt: string;
}

/** What a credential lets its holder do. */
export type CredentialKind = 'write_key' | 'admin_token';

/** A stored credential; the secret itself is never stored, only its SHA-256 hash. */
export interface CredentialRecord {
  id: string;
  spaceId: string;
  kind: CredentialKind;
  /** Hex SHA-256 of the secret. */
  hash: string;
  /** The first characters of the secret, to tell credentials apart in listings. */
  hint: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** Spaces and their credentials. */
export interface SpaceStore {
  /** Creates a space; `conflict` when the id is taken. */
  createSpace(space: SpaceRecord): Promise<'ok' | 'conflict'>;
  getSpace(id: string): Promise<SpaceRecord | null>;
  listSpaces(): Promise<SpaceRecord[]>;
  /** Deletes a space and everything in it; false when it did not exist. */
  deleteSpace(id: string): Promise<boolean>;
  /** Stores a credential; `conflict` when its hash is already stored. */
  addCredential(credential: CredentialRecord): Promise<'ok' | 'conflict'>;
  /** The credential with this secret hash, revoked or not. */
  findCredentialByHash(hash: string): Promise<CredentialRecord | null>;
  listCredentials(spaceId: string): Promise<CredentialRecord[]>;
  /** Marks a credential revoked; false when it does not exist in this space or was already revoked. */
  revokeCredential(spaceId: string, credentialId: string, at: string): Promise<boolean>;
}
