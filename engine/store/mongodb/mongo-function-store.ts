import type { Collection, Db } from 'mongodb';
import type { FunctionRecord, FunctionSettingSpec, FunctionStore, FunctionVersionRecord } from '../function-store.ts';
import { fromJson, isDuplicateKey, KeyedMutex, toJson, updateNamed } from './mongo-support.ts';

/** A function; its settings schema and values are JSON text (user-shaped). */
interface FunctionDoc {
  _id: string;
  spaceId: string;
  name: string;
  description: string | null;
  settingsSchema: string;
  settings: string;
  latestVersion: number;
  deployedVersion: number | null;
  createdAt: string;
  updatedAt: string;
  rev: number;
}

/** A saved version of a function's code, `_id` = `${functionId}\0${version}`. */
interface VersionDoc {
  _id: string;
  functionId: string;
  spaceId: string;
  version: number;
  code: string;
  createdAt: string;
}

/** MongoDB adapter of FunctionStore: collections functions (name unique per space) and function_versions. */
export class MongoFunctionStore implements FunctionStore {
  readonly #functions: Collection<FunctionDoc>;
  readonly #versions: Collection<VersionDoc>;
  /** Serializes this process's compare-and-sets per document (FerretDB's are not atomic; see KeyedMutex). */
  readonly #cas = new KeyedMutex();

  constructor(db: Db) {
    this.#functions = db.collection<FunctionDoc>('functions');
    this.#versions = db.collection<VersionDoc>('function_versions');
  }

  async ensureIndexes(): Promise<void> {
    await this.#functions.createIndex({ spaceId: 1, name: 1 }, { unique: true, name: 'functions_space_name' });
    await this.#versions.createIndex({ spaceId: 1, functionId: 1, version: -1 }, { name: 'function_versions_function' });
  }

  async insert(fn: FunctionRecord): Promise<'ok' | 'conflict'> {
    try {
      await this.#functions.insertOne(toDoc(fn));
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'conflict';
      throw error;
    }
  }

  async get(spaceId: string, id: string): Promise<FunctionRecord | null> {
    const doc = await this.#functions.findOne({ _id: id, spaceId });
    return doc ? fromDoc(doc) : null;
  }

  async list(spaceId: string): Promise<FunctionRecord[]> {
    const docs = await this.#functions.find({ spaceId }).sort({ name: 1 }).toArray();
    return docs.map(fromDoc);
  }

  async update(fn: FunctionRecord, expectedRev: number): Promise<'ok' | 'conflict' | 'version_conflict'> {
    const { _id, ...fields } = toDoc(fn);
    return updateNamed(this.#functions, this.#cas, { _id, spaceId: fn.spaceId, rev: expectedRev }, fields);
  }

  async delete(spaceId: string, id: string): Promise<boolean> {
    // Versions first, the function last: a crash in between leaves the function in place, so
    // deleting it again finishes the job; the other order could leave versions nothing refers to.
    await this.#versions.deleteMany({ spaceId, functionId: id });
    return (await this.#functions.deleteOne({ _id: id, spaceId })).deletedCount === 1;
  }

  async deleteVersion(spaceId: string, functionId: string, version: number): Promise<void> {
    await this.#versions.deleteOne({ _id: versionId(functionId, version), spaceId });
  }

  async putVersion(v: FunctionVersionRecord): Promise<'ok' | 'exists'> {
    try {
      await this.#versions.insertOne({
        _id: versionId(v.functionId, v.version), functionId: v.functionId, spaceId: v.spaceId,
        version: v.version, code: v.code, createdAt: v.createdAt,
      });
      return 'ok';
    } catch (error) {
      if (isDuplicateKey(error)) return 'exists';
      throw error;
    }
  }

  async getVersion(spaceId: string, functionId: string, version: number): Promise<FunctionVersionRecord | null> {
    const doc = await this.#versions.findOne({ _id: versionId(functionId, version), spaceId });
    return doc ? { functionId: doc.functionId, spaceId: doc.spaceId, version: doc.version, code: doc.code, createdAt: doc.createdAt } : null;
  }

  async listVersions(spaceId: string, functionId: string): Promise<Array<Omit<FunctionVersionRecord, 'code'>>> {
    const docs = await this.#versions.find({ spaceId, functionId }, { projection: { code: 0 } }).sort({ version: -1 }).toArray();
    return docs.map((doc) => ({ functionId: doc.functionId, spaceId: doc.spaceId, version: doc.version, createdAt: doc.createdAt }));
  }
}

function versionId(functionId: string, version: number): string {
  return `${functionId}\u0000${version}`;
}

function toDoc(fn: FunctionRecord): FunctionDoc {
  return {
    _id: fn.id, spaceId: fn.spaceId, name: fn.name, description: fn.description,
    settingsSchema: toJson(fn.settingsSchema), settings: toJson(fn.settings),
    latestVersion: fn.latestVersion, deployedVersion: fn.deployedVersion,
    createdAt: fn.createdAt, updatedAt: fn.updatedAt, rev: fn.rev,
  };
}

function fromDoc(d: FunctionDoc): FunctionRecord {
  return {
    id: d._id, spaceId: d.spaceId, name: d.name, description: d.description,
    settingsSchema: fromJson<FunctionSettingSpec[]>(d.settingsSchema), settings: fromJson<Record<string, unknown>>(d.settings),
    latestVersion: d.latestVersion, deployedVersion: d.deployedVersion,
    createdAt: d.createdAt, updatedAt: d.updatedAt, rev: d.rev,
  };
}
