import type { Database } from 'better-sqlite3';
import type { FunctionRecord, FunctionStore, FunctionVersionRecord } from '../function-store.ts';
import type { SqliteWriteQueue } from './sqlite-write-queue.ts';
import { isUniqueViolation } from './is-unique-violation.ts';

interface VersionRow { function_id: string; space_id: string; version: number; code: string; created_at: string }

/** SQLite adapter of FunctionStore: a row per function (unique name per space) and a row per saved version. */
export class SqliteFunctionStore implements FunctionStore {
  readonly #db: Database;
  readonly #writes: SqliteWriteQueue;

  constructor(db: Database, writes: SqliteWriteQueue) {
    this.#db = db;
    this.#writes = writes;
  }

  insert(fn: FunctionRecord): Promise<'ok' | 'conflict'> {
    return this.#writes.run(() => {
      try {
        this.#db.prepare('INSERT INTO functions (id, space_id, name, rev, doc) VALUES (?, ?, ?, ?, ?)').run(fn.id, fn.spaceId, fn.name, fn.rev, JSON.stringify(fn));
        return 'ok' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  async get(spaceId: string, id: string): Promise<FunctionRecord | null> {
    const row = this.#db.prepare('SELECT doc FROM functions WHERE id = ? AND space_id = ?').get(id, spaceId) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as FunctionRecord) : null;
  }

  async list(spaceId: string): Promise<FunctionRecord[]> {
    const rows = this.#db.prepare('SELECT doc FROM functions WHERE space_id = ? ORDER BY name').all(spaceId) as Array<{ doc: string }>;
    return rows.map((row) => JSON.parse(row.doc) as FunctionRecord);
  }

  update(fn: FunctionRecord, expectedRev: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    return this.#writes.run(() => {
      try {
        const changed = this.#db.prepare('UPDATE functions SET name = ?, rev = ?, doc = ? WHERE id = ? AND space_id = ? AND rev = ?')
          .run(fn.name, fn.rev, JSON.stringify(fn), fn.id, fn.spaceId, expectedRev).changes;
        return changed === 1 ? 'ok' as const : 'version_conflict' as const;
      } catch (error) {
        if (isUniqueViolation(error)) return 'conflict' as const;
        throw error;
      }
    });
  }

  delete(spaceId: string, id: string): Promise<boolean> {
    return this.#writes.run(() => {
      this.#db.prepare('DELETE FROM function_versions WHERE function_id = ? AND space_id = ?').run(id, spaceId);
      return this.#db.prepare('DELETE FROM functions WHERE id = ? AND space_id = ?').run(id, spaceId).changes === 1;
    });
  }

  putVersion(v: FunctionVersionRecord): Promise<'ok' | 'exists'> {
    return this.#writes.run(() => (this.#db.prepare(`INSERT OR IGNORE INTO function_versions (function_id, version, space_id, code, created_at)
      VALUES (?, ?, ?, ?, ?)`).run(v.functionId, v.version, v.spaceId, v.code, v.createdAt).changes === 1 ? 'ok' as const : 'exists' as const));
  }

  async getVersion(spaceId: string, functionId: string, version: number): Promise<FunctionVersionRecord | null> {
    const row = this.#db.prepare('SELECT * FROM function_versions WHERE function_id = ? AND version = ? AND space_id = ?')
      .get(functionId, version, spaceId) as VersionRow | undefined;
    return row ? { functionId: row.function_id, spaceId: row.space_id, version: row.version, code: row.code, createdAt: row.created_at } : null;
  }

  async deleteVersion(spaceId: string, functionId: string, version: number): Promise<void> {
    await this.#writes.run(() => this.#db.prepare('DELETE FROM function_versions WHERE function_id = ? AND version = ? AND space_id = ?').run(functionId, version, spaceId));
  }

  async listVersions(spaceId: string, functionId: string): Promise<Array<Omit<FunctionVersionRecord, 'code'>>> {
    const rows = this.#db.prepare('SELECT function_id, space_id, version, created_at FROM function_versions WHERE function_id = ? AND space_id = ? ORDER BY version DESC')
      .all(functionId, spaceId) as Array<Omit<VersionRow, 'code'>>;
    return rows.map((row) => ({ functionId: row.function_id, spaceId: row.space_id, version: row.version, createdAt: row.created_at }));
  }
}
