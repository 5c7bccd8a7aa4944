/**
 * Publish and archive are several record writes (the version, the journey, the previous
 * version's state). An audit SIGKILLed the engine between them and found the previous version
 * left `live` for good (its instances completed instead of exiting, and the request could not be
 * retried) and, after a crash before the journey write, the next publish freezing the draft as it
 * was before the crash. These tests leave the store exactly as such a crash leaves it (writing
 * through a second connection while the engine is stopped), restart the engine, and check that
 * processing finishes the operation.
 */
import { expect } from 'chai';
import { openSqliteStore } from '../../engine/store/sqlite/open-sqlite-store.ts';
import { withDefaults } from '../../engine/journeys/definition/journey-defaults.ts';
import type { JourneyRecord } from '../../engine/store/journey-store.ts';
import type { Store } from '../../engine/store/store.ts';
import { intendedState } from '../../engine/journeys/runtime/version-repair.ts';
import { removeDir, startTestEngine, tempDataDir, type TestEngine } from '../support/test-engine.ts';

const SPACE = 'default';

describe('journeys: a publish or archive interrupted between its writes is finished by processing', function () {
  this.timeout(30_000);
  let dataDir: string;
  let t: TestEngine | null = null;
  let counter = 0;

  beforeEach(() => { dataDir = tempDataDir(); });
  afterEach(async () => {
    await t?.close();
    t = null;
    removeDir(dataDir);
  });

  const start = async () => { t = await startTestEngine({ dataDir, testClock: true }); return t; };

  /** A published journey (a one-day delay, then the end) with `users` instances waiting on version 1. */
  async function publishedWithInstances(users: number, delay = 'P1D'): Promise<string> {
    const e = t!;
    counter += 1;
    const event = `Interrupted ${counter} Started`;
    expect((await e.ingest('/v1/track', { userId: 'seed', event })).status).to.equal(200);
    await e.settle();
    const created = await e.api('POST', '/api/v1/journeys', {
      name: `Interrupted ${counter}`, entry: { event, reentry: { mode: 'once' } }, start: 'wait',
      steps: [{ id: 'wait', type: 'delay', wait: { type: 'duration', duration: delay }, next: 'end' }, { id: 'end', type: 'exit' }],
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const id = created.body.journey.id as string;
    expect((await e.api('POST', `/api/v1/journeys/${id}/publish`, {})).status).to.equal(200);
    for (let i = 0; i < users; i++) expect((await e.ingest('/v1/track', { userId: `u-${counter}-${i}`, event })).status).to.equal(200);
    await e.settle();
    return id;
  }

  /** Writes to the stopped engine's store as the interrupted operation left it. */
  async function asLeftByCrash(change: (store: Store, journey: JourneyRecord) => Promise<void>, journeyId: string): Promise<void> {
    await t!.close();
    t = null;
    const store = openSqliteStore({ dataDir });
    try {
      await change(store, (await store.journeys.get(SPACE, journeyId))!);
    } finally {
      await store.close();
    }
  }

  async function instanceStates(journeyId: string): Promise<string[]> {
    const res = await t!.api('GET', `/api/v1/journeys/${journeyId}/instances?limit=100`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.instances.map((i: { status: string; version: number }) => `v${i.version} ${i.status}`).sort();
  }

  async function versionStates(journeyId: string): Promise<string[]> {
    return (await t!.api('GET', `/api/v1/journeys/${journeyId}/versions`)).body.versions.map((v: { version: number; state: string }) => `v${v.version} ${v.state}`);
  }

  it('publish with archive, crashed after the journey write: version 1 is exited and retired after the restart', async () => {
    await start();
    const id = await publishedWithInstances(3);
    expect((await t!.api('PUT', `/api/v1/journeys/${id}`, { ...(await t!.api('GET', `/api/v1/journeys/${id}`)).body.journey.definition, description: 'v2' })).status).to.equal(200);
    await asLeftByCrash(async (store, j) => {
      await store.journeys.putVersion({ spaceId: SPACE, journeyId: id, version: 2, definition: withDefaults(j.draft!), state: 'live', publishedAt: new Date().toISOString() });
      const next: JourneyRecord = { ...j, liveVersion: 2, draft: null, draftVersion: null, retiring: { version: 1, state: 'exiting' }, rev: j.rev + 1 };
      expect(await store.journeys.update(next, j.rev)).to.equal('ok');
    }, id);

    await start();
    await t!.settle();
    expect(await instanceStates(id)).to.deep.equal(['v1 exited', 'v1 exited', 'v1 exited']);
    expect((await versionStates(id))[0]).to.match(/^v1 (exiting|retired)$/);
    expect((await versionStates(id))[1]).to.equal('v2 live');
  });

  it('publish with drain, crashed the same way: version 1 drains (its instances go on, no new entries)', async () => {
    await start();
    const id = await publishedWithInstances(2);
    expect((await t!.api('PUT', `/api/v1/journeys/${id}`, (await t!.api('GET', `/api/v1/journeys/${id}`)).body.journey.definition)).status).to.equal(200);
    await asLeftByCrash(async (store, j) => {
      await store.journeys.putVersion({ spaceId: SPACE, journeyId: id, version: 2, definition: withDefaults(j.draft!), state: 'live', publishedAt: new Date().toISOString() });
      expect(await store.journeys.update({ ...j, liveVersion: 2, draft: null, draftVersion: null, retiring: { version: 1, state: 'draining' }, rev: j.rev + 1 }, j.rev)).to.equal('ok');
    }, id);
    await start();
    await t!.settle();
    expect(await versionStates(id)).to.deep.equal(['v1 draining', 'v2 live']);
    expect(await instanceStates(id)).to.deep.equal(['v1 active', 'v1 active']);
  });

  it('archive, crashed after the journey write: every version still running is exited', async () => {
    await start();
    const id = await publishedWithInstances(2);
    await asLeftByCrash(async (store, j) => {
      expect(await store.journeys.update({ ...j, status: 'archived', draft: null, draftVersion: null, rev: j.rev + 1 }, j.rev)).to.equal('ok');
    }, id);
    await start();
    await t!.settle();
    expect(await instanceStates(id)).to.deep.equal(['v1 exited', 'v1 exited']);
    expect((await versionStates(id))[0]).to.match(/^v1 (exiting|retired)$/);
  });

  it('publish crashed before the journey write: the next publish freezes the draft as edited since, not the one of the crash', async () => {
    await start();
    const id = await publishedWithInstances(0);
    const definition = (await t!.api('GET', `/api/v1/journeys/${id}`)).body.journey.definition;
    expect((await t!.api('PUT', `/api/v1/journeys/${id}`, { ...definition, description: 'stale' })).status).to.equal(200);
    await asLeftByCrash(async (store, j) => {
      await store.journeys.putVersion({ spaceId: SPACE, journeyId: id, version: 2, definition: withDefaults(j.draft!), state: 'live', publishedAt: new Date().toISOString() });
    }, id);
    await start();
    expect((await t!.api('PUT', `/api/v1/journeys/${id}`, { ...definition, description: 'fresh' })).status).to.equal(200);
    const published = await t!.api('POST', `/api/v1/journeys/${id}/publish`, {});
    expect(published.status, JSON.stringify(published.body)).to.equal(200);
    expect(published.body.journey.liveVersion).to.equal(2);
    const versions = (await t!.api('GET', `/api/v1/journeys/${id}/versions`)).body.versions;
    expect(versions.map((v: { version: number; definition: { description?: string } }) => [v.version, v.definition.description ?? null]))
      .to.deep.equal([[1, null], [2, 'fresh']]);
  });

  it('never touches a version newer than the live one (a publish whose journey write is still to come)', () => {
    const journey = { status: 'published', liveVersion: 3, retiring: { version: 2, state: 'exiting' } } as JourneyRecord;
    const v = (version: number, state: 'live' | 'draining' = 'live') => ({ spaceId: SPACE, journeyId: 'j', version, definition: {} as never, state, publishedAt: '' });
    expect(intendedState(journey, v(4))).to.equal(null);
    expect(intendedState(journey, v(3))).to.equal(null);
    expect(intendedState(journey, v(2))).to.equal('exiting');
    expect(intendedState(journey, v(1)), 'an older one without a recorded intent drains').to.equal('draining');
    expect(intendedState(journey, v(1, 'draining'))).to.equal(null);
    expect(intendedState({ ...journey, status: 'archived' }, v(1, 'draining'))).to.equal('exiting');
  });
});
