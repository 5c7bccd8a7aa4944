/** The activity row writer on a real SQLite file: several fresh records per statement, replays checked one by one. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { newId } from '../../engine/ids.ts';
import { applySqliteSchema } from '../../engine/store/sqlite/sqlite-schema.ts';
import { activityFromRow, SqliteEffectRows } from '../../engine/store/sqlite/sqlite-effect-rows.ts';
import type { ActivityRecord } from '../../engine/store/activity-store.ts';
import { counterKeys } from '../../engine/store/journey-counters.ts';

type Row = Parameters<typeof activityFromRow>[0];

/** `count` records of one instance, alternating two steps, as a run writes them. */
function records(count: number): ActivityRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: newId(), spaceId: 's1', journeyId: 'j1', version: 2, instanceId: 'i1', profileId: 'p1',
    type: i % 2 === 0 ? 'step_reached' : 'send_recorded', stepId: i % 2 === 0 ? 'a' : 'b', eventId: i === 0 ? 'e1' : null,
    at: '2026-11-24T10:00:00.000Z', reason: i === 1 ? 'because' : null, data: i === 2 ? { branch: 'x', n: [1, 2] } : null,
  }));
}

describe('sqlite effect rows: activity records', () => {
  let dir: string;
  let db: Database.Database;
  let rows: SqliteEffectRows;
  /** Appends in one transaction with the counters flushed before its commit, as a group commit does. */
  const append = (batch: readonly ActivityRecord[], origin: 'fresh' | 'replayed') => db.transaction(() => {
    rows.activities(batch, origin);
    rows.counters.flush();
  })();
  const stored = () => (db.prepare('SELECT * FROM activities ORDER BY id').all() as Row[]).map(activityFromRow);
  const counted = (key: string) => (db.prepare('SELECT sum(n) AS n FROM journey_counters WHERE journey_id = ? AND span = 1 AND key = ?')
    .get('j1', key) as { n: number | null }).n ?? 0;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journey-effect-rows-'));
    db = new Database(path.join(dir, 'engine.db'));
    db.pragma('journal_mode = WAL');
    applySqliteSchema(db);
    rows = new SqliteEffectRows(db);
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores fresh records of any count (several statements\' worth, and one alone) whole, and counts each once', () => {
    const many = records(19);
    const one = records(1);
    append(many, 'fresh');
    append(one, 'fresh');
    expect(stored()).to.deep.equal([...many, ...one]);
    // Ten of the 19 and the one alone reached step a.
    expect(counted(counterKeys.stepReached('a'))).to.equal(11);
  });

  it('refuses fresh records whose ids are stored already, and the transaction keeps none of them', () => {
    const first = records(12);
    append(first, 'fresh');
    const before = db.prepare('SELECT * FROM journey_counters ORDER BY key, span, bucket').all();
    expect(counted(counterKeys.stepReached('a'))).to.equal(6);
    // The stored id is in the second statement's rows: the first statement's rows go back with the transaction.
    const clash = [...records(10), first[0]!];
    expect(() => append(clash, 'fresh')).to.throw(/were stored already/);
    expect(stored()).to.deep.equal(first);
    expect(db.prepare('SELECT * FROM journey_counters ORDER BY key, span, bucket').all()).to.deep.equal(before);
  });

  it('stores and counts only the new ones of replayed records, one by one', () => {
    const first = records(6);
    append(first, 'fresh');
    const before = db.prepare('SELECT * FROM journey_counters ORDER BY key, span, bucket').all();
    append(first, 'replayed');
    expect(stored()).to.deep.equal(first);
    expect(db.prepare('SELECT * FROM journey_counters ORDER BY key, span, bucket').all(), 'a replay counts nothing more').to.deep.equal(before);
    const added = records(3);
    append([...first.slice(0, 2), ...added], 'replayed');
    expect(stored()).to.deep.equal([...first, ...added]);
  });
});
