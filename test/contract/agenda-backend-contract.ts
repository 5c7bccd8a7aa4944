import { expect } from 'chai';
import { Agenda, type AgendaBackend, type AgendaOptions, type JobParameters, type JobRepository } from 'agenda';

/** One Agenda backend under test, as an adapter's test file provides it. */
export interface AgendaBackendUnderTest {
  /** A backend over empty job storage. */
  backend: AgendaBackend;
  /**
   * Knob: another backend object over the same storage (e.g. a second connection), used by the
   * two-instance and crash cases. Absent: the second Agenda shares `backend`.
   */
  openSameData?: () => Promise<AgendaBackend>;
  /**
   * Knob: false when the server applies a conditional update as a read then a write (FerretDB v1
   * on SQLite), so that no lock can be exclusive between concurrent callers; the exclusivity
   * cases then skip (they run against a real MongoDB). Default true.
   */
  atomicUpdates?: boolean;
  /** Releases everything `backend` and `openSameData` opened and removes the data. */
  cleanup: () => Promise<void>;
}

const SECOND = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 10 ms until it holds; fails after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A job as Agenda would hand it to `saveJob`, due a second ago unless told otherwise. */
function job(overrides: Partial<JobParameters> & { name: string }): JobParameters {
  return { priority: 0, nextRunAt: new Date(Date.now() - SECOND), type: 'normal', data: {}, ...overrides };
}

/**
 * The contract of an Agenda 6 backend: its JobRepository operations one by one, then Agenda
 * itself running on it. `makeBackend` must give every test a backend over empty storage.
 */
export function agendaBackendContract(name: string, makeBackend: () => Promise<AgendaBackendUnderTest>): void {
  describe(`Agenda backend contract: ${name}`, function () {
    let current: AgendaBackendUnderTest | null = null;
    let agendas: Agenda[] = [];
    const backend = (): AgendaBackend => current!.backend;
    const repo = (): JobRepository => current!.backend.repository;
    const sameData = async (): Promise<AgendaBackend> => (current!.openSameData ? current!.openSameData() : current!.backend);
    /** An Agenda polling every 50 ms, stopped after the test. */
    const agendaOn = async (on: AgendaBackend, options: Partial<AgendaOptions> = {}): Promise<Agenda> => {
      const agenda = new Agenda({ backend: on, processEvery: 50, ...options });
      agendas.push(agenda);
      await agenda.ready;
      return agenda;
    };

    beforeEach(async () => {
      current = await makeBackend();
      await current.backend.connect();
    });
    afterEach(async () => {
      for (const agenda of agendas) await agenda.stop(false);
      agendas = [];
      await current?.cleanup();
      current = null;
    });

    describe('saving and reading jobs', () => {
      it('assigns an id and reads back every field it was given', async () => {
        const at = new Date(Date.now() + 60 * SECOND);
        const saved = await repo().saveJob(job({
          name: 'fields', priority: 10, nextRunAt: at, data: { user: { id: 'u1' }, tags: ['a', 'b'], n: 1.5 },
          repeatInterval: 5000, repeatTimezone: 'Europe/Paris', disabled: false,
        }), { lastModifiedBy: 'worker-1' });
        expect(saved._id).to.be.a('string').and.not.empty;
        const read = (await repo().getJobById(String(saved._id)))!;
        expect(read.name).to.equal('fields');
        expect(read.priority).to.equal(10);
        expect(read.type).to.equal('normal');
        expect(read.nextRunAt!.getTime()).to.equal(at.getTime());
        expect(read.data).to.deep.equal({ user: { id: 'u1' }, tags: ['a', 'b'], n: 1.5 });
        expect(read.repeatInterval).to.equal(5000);
        expect(read.repeatTimezone).to.equal('Europe/Paris');
        expect(read.lastModifiedBy).to.equal('worker-1');
        expect(read.lockedAt == null).to.equal(true);
        expect(read.disabled ?? false).to.equal(false);
      });

      it('keeps the date constraints of a recurring job (startDate, endDate, skipDays)', async () => {
        const startDate = new Date(Date.now() + 3600 * SECOND);
        const endDate = new Date(Date.now() + 7200 * SECOND);
        const saved = await repo().saveJob(job({ name: 'constrained', repeatInterval: '1 hour', startDate, endDate, skipDays: [0, 6] }), undefined);
        const read = (await repo().getJobById(String(saved._id)))!;
        expect(read.startDate?.getTime()).to.equal(startDate.getTime());
        expect(read.endDate?.getTime()).to.equal(endDate.getTime());
        expect(read.skipDays).to.deep.equal([0, 6]);
      });

      it('updates a job saved with its id, and never recreates one removed meanwhile', async () => {
        const saved = await repo().saveJob(job({ name: 'update', data: { v: 1 } }), undefined);
        const updated = await repo().saveJob({ ...saved, priority: 20, data: { v: 2 } }, undefined);
        expect(String(updated._id)).to.equal(String(saved._id));
        expect((await repo().getJobById(String(saved._id)))!.data).to.deep.equal({ v: 2 });
        await repo().removeJobs({ id: saved._id! });
        await repo().saveJob({ ...saved, data: { v: 3 } }, undefined);
        expect(await repo().getJobById(String(saved._id))).to.equal(null);
        expect((await repo().queryJobs({ name: 'update' })).total).to.equal(0);
      });

      it("keeps one 'single' (every) job per name: a due nextRunAt leaves the stored one, a future one replaces it", async () => {
        const first = new Date(Date.now() + 60 * SECOND);
        const a = await repo().saveJob(job({ name: 'every', type: 'single', nextRunAt: first, data: { run: 1 } }), undefined);
        const b = await repo().saveJob(job({ name: 'every', type: 'single', priority: 5, nextRunAt: new Date(), data: { run: 2 } }), undefined);
        expect(String(b._id)).to.equal(String(a._id));
        expect(b.priority).to.equal(5);
        expect(b.data).to.deep.equal({ run: 2 });
        expect(b.nextRunAt!.getTime()).to.equal(first.getTime());
        const later = new Date(Date.now() + 120 * SECOND);
        const c = await repo().saveJob(job({ name: 'every', type: 'single', nextRunAt: later }), undefined);
        expect(c.nextRunAt!.getTime()).to.equal(later.getTime());
        await repo().saveJob(job({ name: 'every', type: 'normal' }), undefined);
        expect((await repo().queryJobs({ name: 'every' })).total).to.equal(2);
      });

      it('keeps one job per unique key; insertOnly leaves the stored one unchanged', async () => {
        const a = await repo().saveJob(job({ name: 'uniq', data: { userId: 'u1', v: 1 }, unique: { 'data.userId': 'u1' } }), undefined);
        const b = await repo().saveJob(job({ name: 'uniq', data: { userId: 'u1', v: 2 }, unique: { 'data.userId': 'u1' } }), undefined);
        expect(String(b._id)).to.equal(String(a._id));
        expect(b.data).to.deep.equal({ userId: 'u1', v: 2 });
        const c = await repo().saveJob(job({ name: 'uniq', data: { userId: 'u2', v: 1 }, unique: { 'data.userId': 'u2' } }), undefined);
        expect(String(c._id)).to.not.equal(String(a._id));
        const d = await repo().saveJob(job({
          name: 'uniq', data: { userId: 'u1', v: 3 }, unique: { 'data.userId': 'u1' }, uniqueOpts: { insertOnly: true },
        }), undefined);
        expect(String(d._id)).to.equal(String(a._id));
        expect(d.data).to.deep.equal({ userId: 'u1', v: 2 });
        expect((await repo().queryJobs({ name: 'uniq' })).total).to.equal(2);
      });

      it('debounces saves of a unique job: trailing waits for a quiet period (capped by maxWait), leading runs first', async () => {
        const save = (data: unknown, debounce: { delay: number; maxWait?: number; strategy?: 'trailing' | 'leading' }) =>
          repo().saveJob(job({ name: 'debounced', data, nextRunAt: new Date(), unique: { 'data.key': (data as { key: string }).key }, uniqueOpts: { debounce } }), undefined);
        const before = Date.now();
        const first = await save({ key: 'trail', n: 1 }, { delay: 60 * SECOND });
        const second = await save({ key: 'trail', n: 2 }, { delay: 60 * SECOND });
        expect(String(second._id)).to.equal(String(first._id));
        expect(second.nextRunAt!.getTime()).to.be.within(before + 60 * SECOND, Date.now() + 60 * SECOND);
        expect(second.data).to.deep.equal({ key: 'trail', n: 2 });
        await sleep(5);
        const capped = await save({ key: 'trail', n: 3 }, { delay: 60 * SECOND, maxWait: 1 });
        expect(capped.nextRunAt!.getTime()).to.be.at.most(Date.now());
        const lead = await save({ key: 'lead', n: 1 }, { delay: 60 * SECOND, strategy: 'leading' });
        expect(lead.nextRunAt!.getTime()).to.be.at.most(Date.now());
        const leadAgain = await save({ key: 'lead', n: 2 }, { delay: 60 * SECOND, strategy: 'leading' });
        expect(leadAgain.nextRunAt!.getTime()).to.equal(lead.nextRunAt!.getTime());
        expect(leadAgain.data).to.deep.equal({ key: 'lead', n: 2 });
        expect((await repo().queryJobs({ name: 'debounced' })).total).to.equal(2);
      });
    });

    describe('finding and locking the next job', () => {
      const scan = (repository: JobRepository, name: string, now = new Date(), lockDeadline = new Date(now.getTime() - 600 * SECOND)) =>
        repository.getNextJobToRun(name, new Date(now.getTime() + 5 * SECOND), lockDeadline, now, { lastModifiedBy: 'scanner' });

      it('hands out due jobs earliest nextRunAt first, then highest priority, locking each at `now`', async () => {
        const t = Date.now();
        await repo().saveJob(job({ name: 'order', nextRunAt: new Date(t - 3 * SECOND), priority: 0, data: 'late-low' }), undefined);
        await repo().saveJob(job({ name: 'order', nextRunAt: new Date(t - 3 * SECOND), priority: 10, data: 'late-high' }), undefined);
        await repo().saveJob(job({ name: 'order', nextRunAt: new Date(t - 5 * SECOND), priority: -10, data: 'early' }), undefined);
        const now = new Date(t);
        const got: unknown[] = [];
        for (let i = 0; i < 3; i++) {
          const next = (await scan(repo(), 'order', now))!;
          expect(next.lockedAt!.getTime()).to.equal(t);
          got.push(next.data);
        }
        expect(got).to.deep.equal(['early', 'late-high', 'late-low']);
        expect(await scan(repo(), 'order', now)).to.equal(undefined);
      });

      it('takes a job due before the next scan, but never one due later, of another name, or disabled', async () => {
        const now = new Date();
        await repo().saveJob(job({ name: 'soon', nextRunAt: new Date(now.getTime() + 2 * SECOND) }), undefined);
        await repo().saveJob(job({ name: 'later', nextRunAt: new Date(now.getTime() + 10 * SECOND) }), undefined);
        await repo().saveJob(job({ name: 'unscheduled', nextRunAt: null }), undefined);
        await repo().saveJob(job({ name: 'off', disabled: true }), undefined);
        expect((await scan(repo(), 'soon', now))?.name).to.equal('soon');
        expect(await scan(repo(), 'later', now)).to.equal(undefined);
        expect(await scan(repo(), 'unscheduled', now)).to.equal(undefined);
        expect(await scan(repo(), 'off', now)).to.equal(undefined);
        expect(await scan(repo(), 'nothing', now)).to.equal(undefined);
      });

      it('hands a locked job out again only once its lock is older than the lock deadline', async () => {
        await repo().saveJob(job({ name: 'lease' }), undefined);
        const lockedAt = new Date(Date.now() - 2 * SECOND);
        expect(await scan(repo(), 'lease', lockedAt)).to.not.equal(undefined);
        const now = new Date();
        expect(await scan(repo(), 'lease', now, new Date(lockedAt.getTime() - 1))).to.equal(undefined);
        const takenOver = (await scan(repo(), 'lease', now, new Date(lockedAt.getTime())))!;
        expect(takenOver.lockedAt!.getTime()).to.equal(now.getTime());
        // A one-shot job that crashed mid-run has no nextRunAt any more, yet its expired lock is taken over.
        await repo().saveJobState({ ...takenOver, nextRunAt: null, lockedAt: lockedAt }, undefined);
        expect((await scan(repo(), 'lease', now, new Date(now.getTime() - SECOND)))?.nextRunAt).to.equal(null);
      });

      it('never hands one job to two concurrent callers, on one backend object or two (skipped where conditional updates are not atomic, e.g. FerretDB)', async function () {
        if (current!.atomicUpdates === false) this.skip();
        for (let i = 0; i < 30; i++) await repo().saveJob(job({ name: 'race', data: i }), undefined);
        const other = (await sameData()).repository;
        const results = await Promise.all(Array.from({ length: 80 }, (_, i) => scan(i % 2 === 0 ? repo() : other, 'race')));
        const ids = results.filter((r) => r !== undefined).map((r) => String(r._id));
        expect(ids).to.have.length(30);
        expect(new Set(ids).size).to.equal(30);
      });

      it('lockJob locks an unlocked, enabled job whose nextRunAt still matches, once', async () => {
        const saved = await repo().saveJob(job({ name: 'lock-one' }), undefined);
        const locked = await repo().lockJob(saved, { lastModifiedBy: 'me' });
        expect(locked?.lockedAt).to.be.instanceOf(Date);
        expect(await repo().lockJob(saved, undefined)).to.equal(undefined);
        const moved = await repo().saveJob(job({ name: 'lock-moved' }), undefined);
        expect(await repo().lockJob({ ...moved, nextRunAt: new Date(moved.nextRunAt!.getTime() + 1) }, undefined)).to.equal(undefined);
        const off = await repo().saveJob(job({ name: 'lock-off', disabled: true }), undefined);
        expect(await repo().lockJob(off, undefined)).to.equal(undefined);
      });

      it('unlockJob leaves a job without nextRunAt (running its last run) locked; unlockJobs unlocks regardless', async () => {
        const a = (await repo().lockJob(await repo().saveJob(job({ name: 'unlock-a' }), undefined), undefined))!;
        const b = (await repo().lockJob(await repo().saveJob(job({ name: 'unlock-b' }), undefined), undefined))!;
        await repo().saveJobState({ ...b, nextRunAt: null }, undefined);
        await repo().unlockJob(a);
        await repo().unlockJob(b);
        expect((await repo().getJobById(String(a._id)))!.lockedAt == null).to.equal(true);
        expect((await repo().getJobById(String(b._id)))!.lockedAt).to.be.instanceOf(Date);
        await repo().lockJob((await repo().getJobById(String(a._id)))!, undefined);
        await repo().unlockJobs([a._id!, String(b._id)]);
        expect((await repo().getJobById(String(a._id)))!.lockedAt == null).to.equal(true);
        expect((await repo().getJobById(String(b._id)))!.lockedAt == null).to.equal(true);
      });

      it('saveJobState writes the run fields and clears the lock; it fails for a removed job', async () => {
        const locked = (await repo().lockJob(await repo().saveJob(job({ name: 'state' }), undefined), undefined))!;
        const at = new Date();
        await repo().saveJobState({ ...locked, lockedAt: undefined, lastRunAt: at, lastFinishedAt: at, failedAt: at, failCount: 2, failReason: 'boom', progress: 50, nextRunAt: null }, undefined);
        const read = (await repo().getJobById(String(locked._id)))!;
        expect(read.lockedAt == null).to.equal(true);
        expect(read.nextRunAt).to.equal(null);
        expect(read.lastRunAt!.getTime()).to.equal(at.getTime());
        expect(read.lastFinishedAt!.getTime()).to.equal(at.getTime());
        expect([read.failCount, read.failReason, read.progress]).to.deep.equal([2, 'boom', 50]);
        await repo().removeJobs({ id: locked._id! });
        let error: unknown;
        await repo().saveJobState(read, undefined).catch((e: unknown) => { error = e; });
        expect(error).to.be.instanceOf(Error);
      });
    });

    describe('removing, disabling and counting', () => {
      it('removes by id, ids, name, names, notNames and data, and nothing without a criterion', async () => {
        const [a, b, c] = await Promise.all(['r1', 'r2', 'r3'].map((n) => repo().saveJob(job({ name: n }), undefined)));
        for (const n of ['keep', 'data', 'data', 'x', 'y']) await repo().saveJob(job({ name: n, data: n === 'data' ? { k: 1 } : {} }), undefined);
        expect(await repo().removeJobs({})).to.equal(0);
        expect(await repo().removeJobs({ id: a!._id! })).to.equal(1);
        expect(await repo().removeJobs({ ids: [b!._id!, c!._id!] })).to.equal(2);
        expect(await repo().removeJobs({ data: { k: 1 } })).to.equal(2);
        expect(await repo().removeJobs({ name: 'x' })).to.equal(1);
        expect(await repo().removeJobs({ names: ['y', 'nope'] })).to.equal(1);
        await repo().saveJob(job({ name: 'orphan' }), undefined);
        expect(await repo().removeJobs({ notNames: ['keep'] })).to.equal(1);
        expect(await repo().getDistinctJobNames()).to.deep.equal(['keep']);
      });

      it('purgeAllJobs removes every job', async () => {
        for (const n of ['p1', 'p2', 'p2']) await repo().saveJob(job({ name: n }), undefined);
        expect(await repo().purgeAllJobs()).to.equal(3);
        expect((await repo().queryJobs()).total).to.equal(0);
      });

      it('disables and enables matching jobs, counting those that changed', async () => {
        // Saved enabled explicitly: setting `disabled: false` over an absent (null) field is a change to MongoDB.
        for (const n of ['d', 'd', 'e']) await repo().saveJob(job({ name: n, disabled: false }), undefined);
        expect(await repo().disableJobs({ name: 'd' })).to.equal(2);
        expect(await repo().disableJobs({ name: 'd' })).to.equal(0);
        expect((await repo().queryJobs({ includeDisabled: false })).total).to.equal(1);
        expect((await repo().queryJobs({ state: 'paused' })).total).to.equal(2);
        expect(await repo().enableJobs({ names: ['d', 'e'] })).to.equal(2);
        expect((await repo().queryJobs({ includeDisabled: false })).total).to.equal(3);
      });

      it('counts due jobs, lists names, filters, paginates and summarizes by state', async () => {
        const now = Date.now();
        await repo().saveJob(job({ name: 'q-a', nextRunAt: new Date(now - 60 * SECOND) }), undefined);
        await repo().saveJob(job({ name: 'q-a', nextRunAt: new Date(now + 60 * SECOND) }), undefined);
        await repo().saveJob(job({ name: 'q-b', nextRunAt: null, lastFinishedAt: new Date(now) }), undefined);
        await repo().saveJob(job({ name: 'Q-c', nextRunAt: new Date(now - 30 * SECOND), repeatInterval: '1 minute' }), undefined);
        expect(await repo().getQueueSize()).to.equal(2);
        expect([...(await repo().getDistinctJobNames())].sort()).to.deep.equal(['Q-c', 'q-a', 'q-b']);
        expect((await repo().queryJobs({ name: 'q-a' })).total).to.equal(2);
        expect((await repo().queryJobs({ search: 'q-' })).total).to.equal(4);
        expect((await repo().queryJobs({ state: 'scheduled' })).jobs.map((j) => j.name)).to.deep.equal(['q-a']);
        const page = await repo().queryJobs({ sort: { nextRunAt: 'asc' }, skip: 1, limit: 2 });
        expect(page.total).to.equal(4);
        expect(page.jobs).to.have.length(2);
        const overview = await repo().getJobsOverview();
        const qa = overview.find((o) => o.name === 'q-a')!;
        expect([qa.total, qa.queued, qa.scheduled]).to.deep.equal([2, 1, 1]);
        expect(overview.find((o) => o.name === 'q-b')!.completed).to.equal(1);
        expect(overview.find((o) => o.name === 'Q-c')!.repeating).to.equal(1);
      });
    });

    describe('Agenda running on the backend', () => {
      it('runs an every() job repeatedly, as one stored job', async () => {
        const agenda = await agendaOn(backend());
        let runs = 0;
        agenda.define('tick', async () => { runs++; });
        await agenda.start();
        // 250 ms (a number is milliseconds; human-interval misreads "250 milliseconds").
        await agenda.every(250, 'tick');
        await until(() => runs >= 3, 1500, 'three runs of the every() job');
        expect((await repo().queryJobs({ name: 'tick' })).total).to.equal(1);
      });

      it('runs a scheduled one-shot job once (at least once where conditional updates are not atomic, e.g. FerretDB: a job saved and scanned at once can be locked twice), not before its time, and leaves it finished and unlocked', async () => {
        const agenda = await agendaOn(backend());
        const ranAt: number[] = [];
        agenda.define('once', async () => { ranAt.push(Date.now()); });
        await agenda.start();
        const when = new Date(Date.now() + 200);
        const scheduled = await agenda.schedule(when, 'once', { n: 1 });
        await until(() => ranAt.length >= 1, 1000, 'the one-shot job');
        expect(Math.min(...ranAt)).to.be.at.least(when.getTime() - 2);
        await until(async () => (await repo().getJobById(String(scheduled.attrs._id)))?.lastFinishedAt != null, 500, 'the job to be finished');
        await sleep(200);
        if (current!.atomicUpdates !== false) expect(ranAt).to.have.length(1);
        const stored = (await repo().getJobById(String(scheduled.attrs._id)))!;
        expect(stored.nextRunAt).to.equal(null);
        expect(stored.lockedAt == null).to.equal(true);
      });

      it('never runs one job in two Agenda instances at once, and runs each job once (skipped where conditional updates are not atomic, e.g. FerretDB)', async function () {
        if (current!.atomicUpdates === false) this.skip();
        const running = new Set<string>();
        const runs: string[] = [];
        const overlaps: string[] = [];
        const handler = async (j: { attrs: JobParameters }) => {
          const id = String(j.attrs._id);
          if (running.has(id)) overlaps.push(id);
          running.add(id);
          runs.push(id);
          await sleep(15);
          running.delete(id);
        };
        const a = await agendaOn(backend(), { name: 'a' });
        const b = await agendaOn(await sameData(), { name: 'b' });
        for (const agenda of [a, b]) agenda.define('shared', handler);
        for (let i = 0; i < 20; i++) await a.now('shared', { i });
        await Promise.all([a.start(), b.start()]);
        await until(() => runs.length >= 20 && running.size === 0, 1500, 'twenty runs');
        await sleep(100);
        expect(overlaps).to.deep.equal([]);
        expect(runs).to.have.length(20);
        expect(new Set(runs).size).to.equal(20);
      });

      it('after a crash, runs a job left locked elsewhere once its lock lifetime expires, not before (once; at least once where conditional updates are not atomic, e.g. FerretDB)', async () => {
        const lockLifetimeMs = 500;
        const crashed = await agendaOn(backend(), { name: 'crashed', defaultLockLifetime: lockLifetimeMs });
        let started = false;
        crashed.define('stuck', () => { started = true; return new Promise<void>(() => {}); });
        await crashed.start();
        const saved = await crashed.now('stuck');
        await until(() => started, 1000, 'the first run to start');
        // stop() keeps the locks of running jobs, as a process killed mid-run would.
        await crashed.stop(false);
        const lockedAt = (await repo().getJobById(String(saved.attrs._id)))!.lockedAt!;
        expect(lockedAt).to.be.instanceOf(Date);

        const ranAt: number[] = [];
        const fresh = await agendaOn(await sameData(), { name: 'fresh', defaultLockLifetime: lockLifetimeMs });
        fresh.define('stuck', async () => { ranAt.push(Date.now()); });
        await fresh.start();
        await until(() => ranAt.length >= 1, 1200, 'the job to be taken over');
        expect(Math.min(...ranAt) - lockedAt.getTime()).to.be.at.least(lockLifetimeMs);
        await sleep(100);
        // Once; where conditional updates are not atomic (FerretDB), a lock can be won twice.
        if (current!.atomicUpdates !== false) expect(ranAt).to.have.length(1);
      });

      it('does not run disabled jobs until they are enabled (then once; at least once where conditional updates are not atomic, e.g. FerretDB); purge removes jobs nobody defines', async () => {
        const agenda = await agendaOn(backend());
        let runs = 0;
        agenda.define('paused', async () => { runs++; });
        await agenda.create('orphaned', {}).save();
        await agenda.now('paused');
        expect(await agenda.disable({ name: 'paused' })).to.equal(1);
        await agenda.start();
        await sleep(200);
        expect(runs).to.equal(0);
        await agenda.enable({ name: 'paused' });
        await until(() => runs >= 1, 1000, 'the enabled job');
        if (current!.atomicUpdates !== false) expect(runs).to.equal(1);
        expect(await agenda.purge()).to.equal(1);
        expect(await repo().getDistinctJobNames()).to.deep.equal(['paused']);
      });
    });
  });
}
