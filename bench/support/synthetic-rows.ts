/**
 * Writes many journey instances (and the profiles they belong to) straight into the SQLite file
 * of a STOPPED engine, for benchmarks whose setup through HTTP ingest would take minutes.
 *
 * Every row is a copy of a real one the engine wrote itself (an instance entered through the API
 * and its profile), with only its identity changed by text substitution in the stored JSON: the
 * instance id, profile id, user id and messageId, and the timer (`wakeAt`, `wait.until` and the
 * ISO time in its 'waiting' activity). So the documents keep the engine's exact shape and size,
 * including whatever the engine keeps in them (its outbox, the entry event in the context).
 * Ids are made as the engine makes them: instance ids are `ins_` + 26 hex digits of a SHA-256,
 * profile ids `prf_` + a random UUID; rows go in in that (random) order, as the engine's would.
 */
import { createHash, randomUUID } from 'node:crypto';
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
  const row = db.prepare(`SELECT * FROM instances WHERE journey_id = ? AND status = 'active' AND has_outbox = 0 LIMIT 1`).get(journeyId) as Row | undefined;
  if (!row) throw new Error(`journey ${journeyId} has no settled active instance to copy`);
  const doc = JSON.parse(String(row['doc'])) as { profileId: string; wakeAt: number | null; triggerEventId: string; context: Record<string, { userId?: string; messageId?: string }> };
  const entry = Object.values(doc.context)[0];
  if (!entry?.userId || !entry.messageId) throw new Error('the template instance has no entry event with userId and messageId in its context');
  return { row, journeyId, profileId: doc.profileId, userId: entry.userId, messageId: entry.messageId, wakeAt: doc.wakeAt };
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

function insertSql(db: Database.Database, table: string, columns: string[]): Database.Statement {
  return db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
}

/**
 * Writes the rows into a stopped engine's database file. The file is switched to rollback
 * journaling without fsync for the load (one writer, nothing to protect) and back to WAL at the end.
 */
export function writeSyntheticRows(dbFile: string, profileTemplate: ProfileTemplate, spec: SyntheticSpec, onProgress?: (done: number) => void): { seconds: number; profileIds: string[] } {
  const started = performance.now();
  const db = new Database(dbFile);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000000');
    const profileColumns = Object.keys(profileTemplate.row);
    const identityColumns = Object.keys(profileTemplate.identities[0] ?? { space_id: '', kind: '', value: '', profile_id: '' });
    const insertProfile = insertSql(db, 'profiles', profileColumns);
    const insertIdentity = insertSql(db, 'identities', identityColumns);
    const templateProfileId = String(profileTemplate.row['id']);
    const profileIds: string[] = new Array(spec.profiles);
    const CHUNK = 20_000;
    for (let p0 = 0; p0 < spec.profiles; p0 += CHUNK) {
      db.transaction(() => {
        for (let p = p0; p < Math.min(spec.profiles, p0 + CHUNK); p++) {
          const id = `prf_${randomUUID()}`;
          profileIds[p] = id;
          const pairs = [[templateProfileId, id], [`"${profileTemplate.userId}"`, `"${spec.userId(p)}"`]] as const;
          insertProfile.run(...profileColumns.map((c) => {
            const v = profileTemplate.row[c]!;
            return typeof v === 'string' ? substitute(v, pairs) : v;
          }));
          for (const identity of profileTemplate.identities) {
            insertIdentity.run(...identityColumns.map((c) => {
              const v = identity[c]!;
              if (c === 'value' && v === profileTemplate.userId) return spec.userId(p);
              return typeof v === 'string' ? substitute(v, pairs) : v;
            }));
          }
        }
      })();
    }
    const instanceColumns = Object.keys(spec.instances > 0 ? spec.instanceOf(0).template.row : {});
    const insertInstance = insertSql(db, 'instances', instanceColumns);
    for (let k0 = 0; k0 < spec.instances; k0 += CHUNK) {
      db.transaction(() => {
        for (let k = k0; k < Math.min(spec.instances, k0 + CHUNK); k++) {
          const { template: t, profile, wakeAt } = spec.instanceOf(k);
          const profileId = profileIds[profile]!;
          const id = `ins_${createHash('sha256').update(`${t.journeyId}\u0000${profileId}\u0000synthetic-${k}`).digest('hex').slice(0, 26)}`;
          const pairs: Array<readonly [string, string]> = [
            [String(t.row['id']), id], [t.profileId, profileId],
            [`"${t.userId}"`, `"${spec.userId(profile)}"`], [`"${t.messageId}"`, `"synthetic-${k}-${profileId.slice(4, 12)}"`],
          ];
          const wake = wakeAt === undefined ? t.wakeAt : wakeAt;
          if (t.wakeAt !== null && wake !== null) {
            pairs.push([String(t.wakeAt), String(wake)], [new Date(t.wakeAt).toISOString(), new Date(wake).toISOString()]);
          }
          insertInstance.run(...instanceColumns.map((c) => {
            if (c === 'wake_at') return wake;
            const v = t.row[c]!;
            return typeof v === 'string' ? substitute(v, pairs) : v;
          }));
        }
      })();
      onProgress?.(Math.min(spec.instances, k0 + CHUNK));
    }
    db.pragma('journal_mode = WAL');
    return { seconds: (performance.now() - started) / 1000, profileIds };
  } finally {
    db.close();
  }
}
