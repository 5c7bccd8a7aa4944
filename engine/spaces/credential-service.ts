import { createHash, randomUUID } from 'node:crypto';
import type { CredentialKind, CredentialRecord, SpaceRecord, SpaceStore } from '../store/space-store.ts';
import { generateSecret } from '../config.ts';
import { EngineError, notFound } from '../errors.ts';

/** A credential as shown by the API: never the secret, only a hint. */
export type CredentialView = Omit<CredentialRecord, 'hash'>;

/** A newly issued credential: the one and only time its secret is shown. */
export type IssuedCredential = CredentialView & { secret: string };

/** What an authenticated request may act on. */
export interface Principal {
  spaceId: string;
  credentialId: string;
  kind: CredentialKind;
}

const SECRET_PREFIX: Record<CredentialKind, string> = { write_key: 'wk', admin_token: 'adm' };

/** A new secret of a kind, with its readable prefix (`wk_…`, `adm_…`). */
export function newCredentialSecret(kind: CredentialKind): string {
  return generateSecret(SECRET_PREFIX[kind]);
}
const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

/** SHA-256 hex of a secret: tokens are random and long, so a fast hash is enough. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Hides the hash of a stored credential. */
export function viewCredential(c: CredentialRecord): CredentialView {
  const { hash: _hash, ...view } = c;
  return view;
}

/**
 * Spaces and their credentials: issue, authenticate, revoke. Authentication results are cached
 * for a few seconds because every ingest request needs one; a revoke clears this process's cache
 * at once (other processes see it within the TTL).
 */
export class CredentialService {
  readonly #spaces: SpaceStore;
  readonly #cache = new Map<string, { principal: Principal | null; expires: number }>();
  /** Bumped by every revoke: a lookup that started before one is answered but not cached. */
  #generation = 0;

  constructor(spaces: SpaceStore) {
    this.#spaces = spaces;
  }

  /** Creates a space with one write key and one admin token, returning their secrets. */
  async createSpace(name: string, options: { id?: string; writeKey?: string; adminToken?: string } = {}): Promise<{
    space: SpaceRecord; writeKey: IssuedCredential; adminToken: IssuedCredential;
  }> {
    const space: SpaceRecord = { id: options.id ?? `spc_${randomUUID()}`, name, createdAt: new Date().toISOString() };
    if (await this.#spaces.createSpace(space) === 'conflict') {
      throw new EngineError('conflict', `space '${space.id}' already exists`);
    }
    const writeKey = await this.issue(space.id, 'write_key', { secret: options.writeKey, label: 'default' });
    const adminToken = await this.issue(space.id, 'admin_token', { secret: options.adminToken, label: 'default' });
    return { space, writeKey, adminToken };
  }

  /** Issues a credential for a space; `secret` lets the operator choose it (bootstrap). */
  async issue(spaceId: string, kind: CredentialKind, options: { secret?: string | undefined; label?: string | null } = {}): Promise<IssuedCredential> {
    const secret = options.secret ?? newCredentialSecret(kind);
    const record: CredentialRecord = {
      id: `cred_${randomUUID()}`, spaceId, kind, hash: hashSecret(secret), hint: `${secret.slice(0, 7)}…`,
      label: options.label ?? null, createdAt: new Date().toISOString(), revokedAt: null,
    };
    if (await this.#spaces.addCredential(record) === 'conflict') {
      throw new EngineError('conflict', 'this secret is already in use by another credential');
    }
    return { ...viewCredential(record), secret };
  }

  /** Ensures a given secret is a live credential of the space (for operator-provided bootstrap credentials). */
  async ensure(spaceId: string, kind: CredentialKind, secret: string): Promise<void> {
    const existing = await this.#spaces.findCredentialByHash(hashSecret(secret));
    if (existing && existing.spaceId === spaceId && existing.kind === kind && existing.revokedAt === null) return;
    if (existing) {
      throw new EngineError('conflict', `the configured ${kind} is already used by another space or kind, or was revoked`);
    }
    await this.issue(spaceId, kind, { secret, label: 'bootstrap' });
  }

  /** The principal of a live credential of the given kind, or null. */
  async authenticate(secret: string, kind: CredentialKind): Promise<Principal | null> {
    const now = Date.now();
    const key = `${kind}:${secret}`;
    const cached = this.#cache.get(key);
    if (cached && cached.expires > now) return cached.principal;
    const generation = this.#generation;
    const record = await this.#spaces.findCredentialByHash(hashSecret(secret));
    const principal = record && record.kind === kind && record.revokedAt === null
      ? { spaceId: record.spaceId, credentialId: record.id, kind }
      : null;
    // Read before a revoke that came meanwhile: caching it would keep the credential working for the TTL.
    if (generation !== this.#generation) return principal;
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(key, { principal, expires: now + CACHE_TTL_MS });
    return principal;
  }

  async list(spaceId: string): Promise<CredentialView[]> {
    return (await this.#spaces.listCredentials(spaceId)).map(viewCredential);
  }

  /** Revokes one credential of the space; it stops working at once in this process. */
  async revoke(spaceId: string, credentialId: string): Promise<void> {
    if (!await this.#spaces.revokeCredential(spaceId, credentialId, new Date().toISOString())) {
      const exists = (await this.#spaces.listCredentials(spaceId)).some((c) => c.id === credentialId);
      if (!exists) throw notFound('credential', credentialId);
      throw new EngineError('conflict', `credential '${credentialId}' is already revoked`);
    }
    this.forget();
  }

  /** Issues a replacement of a credential and revokes the old one. */
  async rotate(spaceId: string, credentialId: string): Promise<IssuedCredential> {
    const old = (await this.#spaces.listCredentials(spaceId)).find((c) => c.id === credentialId);
    if (!old) throw notFound('credential', credentialId);
    if (old.revokedAt !== null) throw new EngineError('conflict', `credential '${credentialId}' is already revoked`);
    const issued = await this.issue(spaceId, old.kind, { label: old.label });
    await this.revoke(spaceId, credentialId);
    return issued;
  }

  /** Drops every cached authentication (after a revoke, or a space deleted). */
  forget(): void {
    this.#generation++;
    this.#cache.clear();
  }
}
