/**
 * Writes many journey instances (and the profiles they belong to) straight into the SQLite file
 * of a STOPPED engine, for benchmarks whose setup through HTTP ingest would take minutes.
 *
 * Every row is a copy of a real one the engine wrote itself (an instance entered through the API
 * and its profile), with only its identity changed by text substitution in its columns and stored
 * JSON: the instance id, profile id, user id and messageId, and the timer (`wake_at`, `wait.until` and the
 * ISO time in its 'waiting' activity). So the documents keep the engine's exact shape and size,
 * including whatever the engine keeps in them (its outbox, the entry event in the context).
 * Ids are made as the engine makes them: instance ids are `ins_` + the time part of the trigger's
 * ULID (here as if the instances had entered at ~3 per millisecond, the engine's entry rate, in
 * order) + 16 hex digits of a SHA-256, profile ids `prf_` + a ULID. For speed, rows go in sorted by primary key and the secondary
 * indexes of `instances`, `profiles` and `identities` are dropped first and built again at the end
 * from their own definitions; so B-tree pages end up fuller than the engine's own random-order
 * inserts would leave them (a few hundred bytes per instance at most: the leaf cell, not the overflow).
 */
import { createHash } from 'node:crypto';
import { encodeTime, monotonicFactory } from 'ulid';
import Database from 'better-sqlite3';

type Row = Record<string, string | number | null>;

/** A real instance row to copy, with the values that identify it. */
export interface InstanceTemplate {
  row: Row;
  journeyId: string;
  profileId: string;
  userId: string;
  messageId: string;
  wakeAt: number | null;
}

/** A real profile row and its identity claims, to copy. */
export interface ProfileTemplate {
  row: Row;
  identities: Row[];
  userId: string;
}

/** What to write: `profiles` new profiles, and `instances` instances each on one of them. */
export interface SyntheticSpec {
  profiles: number;
  userId: (profile: number) => string;
  instances: number;
  /** Instance k: which template (journey) it copies, which profile (0 … profiles-1) it belongs to, and its timer. */
  instanceOf: (k: number) => { template: InstanceTemplate; profile: number; wakeAt?: number | null };
}

/** An active instance of the journey and the values that identify it. */
export function readInstanceTemplate(db: Database.Database, journeyId: string): InstanceTemplate {
  const row = db.prepare(`SELECT * FROM instances WHERE journey_id = ? AND status = 'active' AND outbox IS NULL LIMIT 1`).get(journeyId) as Row | undefined;
  if (!row) throw new Error(`journey ${journeyId} has no settled active instance to copy`);
  // The profile and the timer from their columns: the engine's document no longer repeats them.
  const doc = JSON.parse(String(row['doc'])) as { context: Record<string, { userId?: string; messageId?: string }> };
  const entry = Object.values(doc.context)[0];
  if (!entry?.userId || !entry.messageId) throw new Error('the template instance has no entry event with userId and messageId in its context');
  return { row, journeyId, profileId: String(row['profile_id']), userId: entry.userId, messageId: entry.messageId, wakeAt: row['wake_at'] as number | null };
}

/** A profile and its identities. */
export function readProfileTemplate(db: Database.Database, profileId: string): ProfileTemplate {
  const row = db.prepare('SELECT * FROM profiles WHERE id = ?').get(profileId) as Row | undefined;
  if (!row) throw new Error(`no profile ${profileId}`);
  const identities = db.prepare('SELECT * FROM identities WHERE profile_id = ?').all(profileId) as Row[];
  const userId = (JSON.parse(String(row['doc'])) as { userId: string | null }).userId;
  if (!userId) throw new Error('the template profile has no userId');
  return { row, identities, userId };
}

/** Replaces every occurrence of each `[from, to]` pair in `text`. */
function substitute(text: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  let out = text;
  for (const [from, to] of pairs) if (from !== to) out = out.split(from).join(to);
  return out;
}

/** Compiles `text` into a function that puts `to[i]` wherever `from[i]` was: one pass per row instead of a split/join per value. */
function compileSubstitution(text: string, from: readonly string[]): (to: readonly string[]) => string {
  const wanted = from.map((f, i) => [f, i] as const).filter(([f]) => f.length > 0);
  const pattern = new RegExp(wanted.map(([f]) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  const parts: string[] = [];
  const slots: number[] = [];
  let last = 0;
  if (wanted.length > 0) {
    for (const m of text.matchAll(pattern)) {
      parts.push(text.slice(last, m.index));
      slots.push(wanted.find(([f]) => f === m[0])![1]);
      last = m.index + m[0].length;
    }
  }
  parts.push(text.slice(last));
  return (to) => {
    let out = parts[0]!;
    for (let i = 0; i < slots.length; i++) out += to[slots[i]!]! + parts[i + 1]!;
    return out;
  };
}

function insertSql(db: Database.Database, table: string, columns: string[]): Database.Statement {
  return db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
}

/**
 * Writes the rows into a stopped engine's database file. The file is switched to rollback
 * journaling without fsync for the load (one writer, nothing to protect) and back to WAL at the end.
 */
export function writeSyntheticRows(dbFile: string, profileTemplate: ProfileTemplate, spec: SyntheticSpec, onProgress?: (phase: string, done: number) => void): { seconds: number; profileIds: string[] } {
  const started = performance.now();
  const db = new Database(dbFile);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000000');
    const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
      AND tbl_name IN ('instances', 'profiles', 'identities')`).all() as Array<{ name: string; sql: string }>;
    for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);

    const byKey = (keys: string[]) => Array.from(keys.keys()).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
    const inChunks = (order: number[], write: (i: number) => void, phase: string) => {
      const CHUNK = 50_000;
      for (let c = 0; c < order.length; c += CHUNK) {
        db.transaction(() => { for (let j = c; j < Math.min(order.length, c + CHUNK); j++) write(order[j]!); })();
        onProgress?.(phase, Math.min(order.length, c + CHUNK));
      }
    };

    const templateProfileId = String(profileTemplate.row['id']);
    const ulid = monotonicFactory();
    const profileIds = Array.from({ length: spec.profiles }, () => `prf_${ulid()}`);
    const userIds = Array.from({ length: spec.profiles }, (_, p) => spec.userId(p));
    const profileColumns = Object.keys(profileTemplate.row);
    const insertProfile = insertSql(db, 'profiles', profileColumns);
    inChunks(byKey(profileIds), (p) => {
      const pairs = [[templateProfileId, profileIds[p]!], [`"${profileTemplate.userId}"`, `"${userIds[p]}"`]] as const;
      insertProfile.run(...profileColumns.map((c) => {
        const v = profileTemplate.row[c]!;
        return typeof v === 'string' ? substitute(v, pairs) : v;
      }));
    }, 'profiles');
    for (const identity of profileTemplate.identities) {
      const columns = Object.keys(identity);
      const insertIdentity = insertSql(db, 'identities', columns);
      if (identity['value'] !== profileTemplate.userId) throw new Error(`the template profile has an identity other than its userId: ${JSON.stringify(identity)}`);
      const values = userIds;
      inChunks(byKey(values), (p) => {
        insertIdentity.run(...columns.map((c) => (c === 'value' ? values[p]! : c === 'profile_id' ? profileIds[p]! : identity[c]!)));
      }, 'identities');
    }

    const plan = Array.from({ length: spec.instances }, (_, k) => spec.instanceOf(k));
    const enteredFrom = Date.now() - Math.ceil(spec.instances / 3);
    const instanceIds = plan.map(({ template: t, profile }, k) => `ins_${encodeTime(enteredFrom + Math.floor(k / 3), 10)}${
      createHash('sha256').update(`${t.journeyId}\u0000${profileIds[profile]}\u0000synthetic-${k}`).digest('hex').slice(0, 16)}`);
    // Per template: its columns, and each text column compiled for the values that identify an instance.
    const compiled = new Map<InstanceTemplate, { insert: Database.Statement; columns: Array<(to: readonly string[], wake: number | null) => string | number | null> }>();
    const compile = (t: InstanceTemplate) => {
      const from = [String(t.row['id']), t.profileId, `"${t.userId}"`, `"${t.messageId}"`,
        t.wakeAt === null ? '' : String(t.wakeAt), t.wakeAt === null ? '' : new Date(t.wakeAt).toISOString()];
      const names = Object.keys(t.row);
      return {
        insert: insertSql(db, 'instances', names),
        columns: names.map((c) => {
          const v = t.row[c]!;
          if (c === 'wake_at') return (_to: readonly string[], wake: number | null) => wake;
          if (typeof v !== 'string') return () => v;
          const fill = compileSubstitution(v, from);
          return (to: readonly string[]) => fill(to);
        }),
      };
    };
    inChunks(byKey(instanceIds), (k) => {
      const { template: t, profile, wakeAt } = plan[k]!;
      let c = compiled.get(t);
      if (!c) compiled.set(t, c = compile(t));
      const profileId = profileIds[profile]!;
      const wake = wakeAt === undefined ? t.wakeAt : wakeAt;
      const to = [instanceIds[k]!, profileId, `"${userIds[profile]}"`, `"synthetic-${k}-${profileId.slice(4, 12)}"`,
        String(wake), wake === null ? '' : new Date(wake).toISOString()];
      c.insert.run(...c.columns.map((column) => column(to, wake)));
    }, 'instances');

    for (const index of indexes) db.exec(index.sql);
    onProgress?.('indexes', indexes.length);
    db.pragma('journal_mode = WAL');
    return { seconds: (performance.now() - started) / 1000, profileIds };
  } finally {
    db.close();
  }
}
