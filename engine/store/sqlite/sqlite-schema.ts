import type { Database } from 'better-sqlite3';

/** Adds a column to a table created by an older version (SQLite has no ADD COLUMN IF NOT EXISTS). */
function addColumnIfMissing(db: Database, table: string, column: string, declaration: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
  if (columns.length > 0 && !columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${declaration}`);
}

/** Creates the main file's tables and indexes (idempotent); the event log's are in sqlite-event-log-file.ts. */
export function applySqliteSchema(db: Database): void {
  addColumnIfMissing(db, 'deliveries', 'next_attempt_at', 'INTEGER');
  addColumnIfMissing(db, 'deliveries', 'rev', 'INTEGER NOT NULL DEFAULT 0');
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS spaces (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);

    CREATE TABLE IF NOT EXISTS credentials (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, kind TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
      hint TEXT NOT NULL, label TEXT, created_at TEXT NOT NULL, revoked_at TEXT);
    CREATE INDEX IF NOT EXISTS credentials_space ON credentials (space_id);

    -- The event log (events, message_ids) lives in a file of its own: sqlite-event-log-file.ts.

    CREATE TABLE IF NOT EXISTS profiles (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, email TEXT, merged_into TEXT,
      last_seen_at TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS profiles_space ON profiles (space_id, id) WHERE merged_into IS NULL;
    CREATE INDEX IF NOT EXISTS profiles_email ON profiles (space_id, email, last_seen_at) WHERE email IS NOT NULL;

    CREATE TABLE IF NOT EXISTS identities (
      space_id TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, profile_id TEXT NOT NULL,
      PRIMARY KEY (space_id, kind, value)) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS audiences (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
      doc TEXT NOT NULL, UNIQUE (space_id, name));

    CREATE TABLE IF NOT EXISTS memberships (
      space_id TEXT NOT NULL, audience_id TEXT NOT NULL, profile_id TEXT NOT NULL,
      by_rule INTEGER NOT NULL, manual TEXT, member INTEGER NOT NULL, profile_version INTEGER NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (space_id, audience_id, profile_id)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS memberships_profile ON memberships (space_id, profile_id);

    CREATE TABLE IF NOT EXISTS catalog (
      space_id TEXT NOT NULL, name TEXT NOT NULL, property_keys TEXT NOT NULL,
      first_seen_at TEXT NOT NULL, last_seen_at TEXT NOT NULL,
      PRIMARY KEY (space_id, name)) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS journeys (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
      rev INTEGER NOT NULL, doc TEXT NOT NULL, UNIQUE (space_id, name));

    CREATE TABLE IF NOT EXISTS journey_versions (
      journey_id TEXT NOT NULL, version INTEGER NOT NULL, space_id TEXT NOT NULL, state TEXT NOT NULL,
      doc TEXT NOT NULL, PRIMARY KEY (journey_id, version)) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS activation_keys (
      space_id TEXT NOT NULL, key TEXT NOT NULL, journey_id TEXT NOT NULL,
      PRIMARY KEY (space_id, key)) WITHOUT ROWID;

    -- One index answers every question by profile, status first so that a profile's active instances
    -- (routing each event, the per-profile limit, the active-key check) are read without its ended ones,
    -- which pile up with every re-entry (bench/RESULTS.md, seventeenth session), and so that "has it
    -- ever entered" is one seek per status. identifier_key is the identifier value or ''. "One active
    -- instance per journey, profile and identifier value" is checked in the insert's write
    -- transaction (sqlite-instance-store.ts), which SQLite runs alone in the file, rather than by a
    -- partial unique index: that index and a second one by profile put two entries at random places
    -- of the file for every entry (eighteenth session). doc holds only what the columns do not
    -- (sqlite-instance-row.ts; older rows hold everything). A rowid table (not WITHOUT ROWID) because
    -- rows are several hundred bytes; the outbox has its own column so that materializing it frees its
    -- bytes without rewriting the document.
    CREATE TABLE IF NOT EXISTS instances (
      id TEXT NOT NULL UNIQUE, space_id TEXT NOT NULL, journey_id TEXT NOT NULL, version INTEGER NOT NULL,
      profile_id TEXT NOT NULL, identifier_key TEXT NOT NULL, status TEXT NOT NULL, wake_at INTEGER,
      rev INTEGER NOT NULL, doc TEXT NOT NULL, outbox TEXT);
    DROP INDEX IF EXISTS instances_active_key;
    DROP INDEX IF EXISTS instances_active_profile;
    DROP INDEX IF EXISTS instances_profile;
    CREATE INDEX IF NOT EXISTS instances_profile_status ON instances (profile_id, status, journey_id, identifier_key);
    CREATE INDEX IF NOT EXISTS instances_wake ON instances (wake_at) WHERE status = 'active' AND wake_at IS NOT NULL;
    CREATE INDEX IF NOT EXISTS instances_journey ON instances (journey_id, id);
    CREATE INDEX IF NOT EXISTS instances_outbox ON instances (id) WHERE outbox IS NOT NULL;

    CREATE TABLE IF NOT EXISTS activities (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, journey_id TEXT NOT NULL, instance_id TEXT,
      profile_id TEXT NOT NULL, type TEXT NOT NULL, step_id TEXT, at TEXT NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
    -- One index per filter of a journey's activity log, each ending in (at, id): a filtered page,
    -- newest first, is a backward range scan that stops after one page, whatever the log's size.
    -- A profile's records are its instances' (activities_instance) plus its ignored triggers
    -- (activities_untracked): no random-order profile index on every row (it cost a third of
    -- the append rate, measured). The whole log has no index of its own: a page of it merges one
    -- page of each type from activities_type. Why: each index puts a journey's new entries at its
    -- range's end, so every commit wrote a page per journey it touched (bench/activity-rows);
    -- without it the timer burst gained ~4.5% and journey entries ~9% (bench/RESULTS.md, fourteenth session).
    DROP INDEX IF EXISTS activities_journey;
    CREATE INDEX IF NOT EXISTS activities_type ON activities (journey_id, type, at, id);
    CREATE INDEX IF NOT EXISTS activities_step ON activities (journey_id, step_id, at, id) WHERE step_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS activities_instance ON activities (instance_id, at, id) WHERE instance_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS activities_untracked ON activities (journey_id, profile_id, at, id) WHERE instance_id IS NULL;

    -- Journey figures (see journey-counters.ts): flows per hour (span 1) and per UTC day (span 24),
    -- gauges per journey. Kept in the same transaction as the records that move them.
    CREATE TABLE IF NOT EXISTS journey_counters (
      journey_id TEXT NOT NULL, span INTEGER NOT NULL, bucket INTEGER NOT NULL, key TEXT NOT NULL,
      space_id TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (journey_id, space_id, span, bucket, key)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS journey_gauges (
      journey_id TEXT NOT NULL, key TEXT NOT NULL, space_id TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (journey_id, space_id, key)) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS destinations (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
      UNIQUE (space_id, name));

    CREATE TABLE IF NOT EXISTS functions (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, name TEXT NOT NULL, rev INTEGER NOT NULL, doc TEXT NOT NULL,
      UNIQUE (space_id, name));

    CREATE TABLE IF NOT EXISTS function_versions (
      function_id TEXT NOT NULL, version INTEGER NOT NULL, space_id TEXT NOT NULL, code TEXT NOT NULL, created_at TEXT NOT NULL,
      PRIMARY KEY (function_id, version));

    CREATE TABLE IF NOT EXISTS deliveries (
      id TEXT PRIMARY KEY, space_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, journey_id TEXT NOT NULL,
      instance_id TEXT NOT NULL, status TEXT NOT NULL, next_attempt_at INTEGER, rev INTEGER NOT NULL DEFAULT 0, doc TEXT NOT NULL,
      UNIQUE (space_id, idempotency_key)) WITHOUT ROWID;
    -- The dispatcher's queue: open deliveries by when they may next be tried.
    CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
    CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries (space_id, status, id);
    -- No index on instance_id: idempotency keys start with the instance id, so the unique index
    -- answers "this instance's deliveries" as a prefix range; one random-order index fewer per send.
    DROP INDEX IF EXISTS deliveries_instance;
    CREATE INDEX IF NOT EXISTS deliveries_journey ON deliveries (journey_id, id);
  `);
}
