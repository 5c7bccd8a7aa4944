/**
 * Validate, publish and the lifecycle after it (product.md "Lifecycle operations"): publishing
 * freezes a version; editing a published journey makes the next draft version while the live one
 * keeps running; in-flight instances keep the version they started on; pause, resume, archive.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import {
  advance, createAndPublish, deliveriesOf, ensureInCatalog, ignoredReasons, instancesOf, lifecycle, track, uniqueId,
  type InstanceView, type JourneyView,
} from './scenarios/scenario-helpers.ts';

const HOUR_MS = 3_600_000;

/**
 * "Cart abandoned" in the shape most tests here need: on `entryEvent`, wait up to `timeout` for
 * `doneEvent`; on time-out send `reminder`, then exit.
 */
function cartJourney(name: string, entryEvent: string, options: { reminder?: string; timeout?: string; doneEvent?: string } = {}): Record<string, any> {
  return {
    name,
    entry: { event: entryEvent },
    start: 'wait',
    steps: [
      {
        id: 'wait', type: 'hold_until',
        branches: [{ id: 'bought', event: options.doneEvent ?? `${entryEvent} Completed`, next: 'done' }],
        timeout: { after: options.timeout ?? 'PT1H', next: 'remind' },
      },
      { id: 'remind', type: 'send', eventName: options.reminder ?? 'Reminder v1', next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  };
}

describe('journey lifecycle: validate and publish', () => {
  let t: TestEngine;
  before(async () => { t = await startTestEngine({ testClock: true }); });
  after(async () => { await t.close(); });

  async function create(doc: unknown): Promise<JourneyView> {
    const res = await t.api('POST', '/api/v1/journeys', doc);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.journey;
  }

  async function get(id: string): Promise<JourneyView> {
    const res = await t.api('GET', `/api/v1/journeys/${id}`);
    expect(res.status).to.equal(200);
    return res.body.journey;
  }

  async function edit(id: string, doc: unknown): Promise<JourneyView> {
    const res = await t.api('PUT', `/api/v1/journeys/${id}`, doc);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.journey;
  }

  async function versionsOf(id: string): Promise<Array<{ version: number; state: string; definition: any }>> {
    const res = await t.api('GET', `/api/v1/journeys/${id}/versions`);
    expect(res.status).to.equal(200);
    return res.body.versions;
  }

  /** Sends the entry event for a user and waits until the engine has processed it. */
  async function enter(event: string, userId: string): Promise<void> {
    await track(t, { userId, event });
    await t.settle();
  }

  async function onlyInstance(journeyId: string, userId: string): Promise<InstanceView> {
    const instances = await instancesOf(t, journeyId, userId);
    expect(instances, `instances of ${userId}`).to.have.length(1);
    return instances[0]!;
  }

  /** A document with four independent problems. */
  function brokenJourney(name: string): Record<string, any> {
    return {
      name,
      entry: { event: 'Cart Updated' },
      start: 'wait',
      steps: [
        {
          id: 'wait', type: 'hold_until',
          branches: [
            { id: 'bought', event: 'Order Completed', next: 'done' },
            { id: 'bought-again', event: 'Order Completed', next: 'nudge' },
          ],
          timeout: { after: 'an hour', next: 'nudge' },
        },
        { id: 'nudge', type: 'send', eventName: 'Nudge', next: 'no-such-step' },
        { id: 'done', type: 'exit' },
        { id: 'orphan', type: 'exit' },
      ],
    };
  }

  it('validate reports every problem, each with its JSON path and code', async () => {
    const journey = await create(brokenJourney(uniqueId('Broken')));
    const res = await t.api('POST', `/api/v1/journeys/${journey.id}/validate`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ valid: false, version: 1 });
    const found = res.body.problems.map((p: { path: string; code: string }) => `${p.code} ${p.path}`);
    expect(found).to.include.members([
      'journey_unknown_step /steps/1/next',
      'journey_unreachable_step /steps/3',
      'journey_invalid_duration /steps/0/timeout/after',
      'journey_branches_overlap /steps/0/branches/1',
    ]);
    for (const p of res.body.problems) expect(p.message).to.be.a('string').and.include(p.path);
  });

  it('validate says valid with no problems for a publishable draft', async () => {
    await ensureInCatalog(t, 'Cart Updated');
    const journey = await create(cartJourney(uniqueId('Fine'), 'Cart Updated'));
    const res = await t.api('POST', `/api/v1/journeys/${journey.id}/validate`);
    expect(res.body).to.deep.equal({ valid: true, version: 1, problems: [] });
  });

  it('refuses to publish an invalid draft (400 invalid_journey with every problem); nothing is published', async () => {
    const journey = await create(brokenJourney(uniqueId('Unpublishable')));
    const res = await t.api('POST', `/api/v1/journeys/${journey.id}/publish`, {});
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_journey');
    expect(res.body.error.problems.map((p: { code: string }) => p.code)).to.include.members([
      'journey_unknown_step', 'journey_unreachable_step', 'journey_invalid_duration', 'journey_branches_overlap',
    ]);
    expect(await get(journey.id)).to.include({ status: 'draft', liveVersion: null, draftVersion: 1 });
    expect(await versionsOf(journey.id)).to.deep.equal([]);
  });

  it('refuses to publish an invalid new draft of a published journey; version 1 stays live and keeps taking entries', async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Live'), event));
    await edit(journey.id, { ...brokenJourney(journey.name), entry: { event } });
    const res = await t.api('POST', `/api/v1/journeys/${journey.id}/publish`, {});
    expect(res.status).to.equal(400);
    expect(res.body.error.problems.length).to.be.greaterThan(1);
    expect(await get(journey.id)).to.include({ status: 'published', liveVersion: 1, draftVersion: 2, hasDraft: true });
    expect((await versionsOf(journey.id)).map((v) => v.version)).to.deep.equal([1]);
    const user = uniqueId('shopper');
    await enter(event, user);
    expect((await onlyInstance(journey.id, user)).version).to.equal(1);
  });

  it('refuses to publish when the entry event is not in the event catalog', async () => {
    const event = uniqueId('Never Sent');
    const journey = await create(cartJourney(uniqueId('Unknown event'), event));
    const res = await t.api('POST', `/api/v1/journeys/${journey.id}/publish`, {});
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_journey');
    expect(res.body.error.problems.map((p: { code: string; path: string }) => `${p.code} ${p.path}`))
      .to.deep.equal(['journey_event_not_in_catalog /entry/event']);
    expect(res.body.error.problems[0].message).to.include(event);
    expect((await get(journey.id)).liveVersion).to.equal(null);

    await enter(event, uniqueId('first-sender'));
    expect((await t.api('POST', `/api/v1/journeys/${journey.id}/publish`, {})).status).to.equal(200);
  });

  it('refuses to publish with an audience that does not exist, and publishes once it does', async () => {
    await ensureInCatalog(t, 'Cart Updated');
    const missing = await create({ ...cartJourney(uniqueId('Ghost audience'), 'Cart Updated'), entry: { event: 'Cart Updated', audienceId: 'aud_missing' } });
    const refused = await t.api('POST', `/api/v1/journeys/${missing.id}/publish`, {});
    expect(refused.status).to.equal(400);
    expect(refused.body.error.problems.map((p: { code: string; path: string }) => `${p.code} ${p.path}`))
      .to.deep.equal(['journey_unknown_audience /entry/audienceId']);

    const audience = await t.api('POST', '/api/v1/audiences', { name: uniqueId('VIPs') });
    expect(audience.status, JSON.stringify(audience.body)).to.equal(201);
    const real = await create({ ...cartJourney(uniqueId('Real audience'), 'Cart Updated'), entry: { event: 'Cart Updated', audienceId: audience.body.audience.id } });
    const published = await t.api('POST', `/api/v1/journeys/${real.id}/publish`, {});
    expect(published.status, JSON.stringify(published.body)).to.equal(200);
  });

  it('publishing freezes version 1: edits make draft version 2 and leave version 1 as it was', async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Frozen'), event));
    expect(journey).to.include({ status: 'published', liveVersion: 1, draftVersion: null, hasDraft: false });
    const edited = await edit(journey.id, cartJourney(journey.name, event, { reminder: 'Reminder v2' }));
    expect(edited).to.include({ status: 'published', liveVersion: 1, draftVersion: 2, hasDraft: true });
    expect(edited.definition.steps[1].eventName).to.equal('Reminder v2');
    const versions = await versionsOf(journey.id);
    expect(versions.map((v) => [v.version, v.state])).to.deep.equal([[1, 'live']]);
    expect(versions[0]!.definition.steps[1].eventName).to.equal('Reminder v1');
    // Editing the draft again keeps its number.
    expect((await edit(journey.id, cartJourney(journey.name, event, { reminder: 'Reminder v2b' }))).draftVersion).to.equal(2);
  });

  it('new entries use version 1 until version 2 is published, then version 2', async () => {
    const event = uniqueId('Signed Up');
    const doc = (greeting: string) => ({
      name: 'Greeting', entry: { event }, start: 'hello',
      steps: [{ id: 'hello', type: 'send', eventName: greeting, next: 'done' }, { id: 'done', type: 'exit' }],
    });
    const journey = await createAndPublish(t, { ...doc('Hello v1'), name: uniqueId('Greeting') });
    await edit(journey.id, { ...doc('Hello v2'), name: journey.name });
    const before = uniqueId('early');
    await enter(event, before);
    expect((await onlyInstance(journey.id, before)).version).to.equal(1);
    expect((await deliveriesOf(t, journey.id, before)).map((d) => d.eventName)).to.deep.equal(['Hello v1']);

    expect(await lifecycle(t, journey.id, 'publish')).to.include({ liveVersion: 2, draftVersion: null, hasDraft: false });
    const after = uniqueId('late');
    await enter(event, after);
    expect((await onlyInstance(journey.id, after)).version).to.equal(2);
    expect((await deliveriesOf(t, journey.id, after)).map((d) => d.eventName)).to.deep.equal(['Hello v2']);
  });

  it("an instance waiting in version 1 finishes on version 1's steps after version 2 changed them (drain)", async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Drain'), event));
    const early = uniqueId('early');
    await enter(event, early);
    expect(await onlyInstance(journey.id, early)).to.include({ version: 1, currentStep: 'wait', status: 'active' });

    await edit(journey.id, cartJourney(journey.name, event, { reminder: 'Reminder v2', timeout: 'PT3H' }));
    await lifecycle(t, journey.id, 'publish', { previousVersion: 'drain' });
    const late = uniqueId('late');
    await enter(event, late);
    expect((await versionsOf(journey.id)).map((v) => [v.version, v.state])).to.deep.equal([[1, 'draining'], [2, 'live']]);

    await advance(t, HOUR_MS + 1_000);
    const finished = await onlyInstance(journey.id, early);
    expect(finished).to.include({ version: 1, status: 'completed' });
    expect((await deliveriesOf(t, journey.id, early)).map((d) => d.eventName)).to.deep.equal(['Reminder v1']);
    // Version 2's instance waits for its own, longer timeout.
    expect(await onlyInstance(journey.id, late)).to.include({ version: 2, status: 'active', currentStep: 'wait' });
    expect(await deliveriesOf(t, journey.id, late)).to.deep.equal([]);
    await advance(t, 2 * HOUR_MS);
    expect((await deliveriesOf(t, journey.id, late)).map((d) => d.eventName)).to.deep.equal(['Reminder v2']);
  });

  it("a version 1 instance still follows version 1's branches after version 2 removed them", async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Old branch'), event, { doneEvent: 'Order Completed' }));
    const user = uniqueId('shopper');
    await enter(event, user);
    await ensureInCatalog(t, 'Order Completed');
    await edit(journey.id, cartJourney(journey.name, event, { doneEvent: 'Something Else' }));
    await lifecycle(t, journey.id, 'publish');
    await enter('Order Completed', user);
    const instance = await onlyInstance(journey.id, user);
    expect(instance).to.include({ version: 1, status: 'completed' });
    expect(instance.context).to.have.property('Order Completed - bought');
  });

  it("publishing version 2 with previousVersion 'archive' exits version 1's active instances, with the reason", async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Archive v1'), event));
    const user = uniqueId('shopper');
    await enter(event, user);
    await edit(journey.id, cartJourney(journey.name, event, { reminder: 'Reminder v2' }));
    await lifecycle(t, journey.id, 'publish', { previousVersion: 'archive' });
    await t.settle();
    const exited = await onlyInstance(journey.id, user);
    expect(exited).to.include({ version: 1, status: 'exited', currentStep: null });
    expect(exited.endReason).to.match(/version 1 was archived/);
    expect((await versionsOf(journey.id)).map((v) => [v.version, v.state])).to.deep.equal([[1, 'retired'], [2, 'live']]);
    await advance(t, 2 * HOUR_MS);
    expect(await deliveriesOf(t, journey.id, user)).to.deep.equal([]);
  });

  it("refuses a previousVersion other than 'drain' or 'archive' (400 at /previousVersion)", async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Bad option'), event));
    await edit(journey.id, cartJourney(journey.name, event, { reminder: 'Reminder v2' }));
    const res = await t.api('POST', `/api/v1/journeys/${journey.id}/publish`, { previousVersion: 'delete' });
    expect(res.status).to.equal(400);
    expect(res.body.error).to.include({ code: 'invalid_request', path: '/previousVersion' });
    expect((await get(journey.id)).liveVersion).to.equal(1);
  });

  it('pause stops new entries (recorded as ignored) while in-flight instances go on; resume lets entries in again', async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Pausable'), event));
    const inFlight = uniqueId('in-flight');
    await enter(event, inFlight);
    expect(await lifecycle(t, journey.id, 'pause')).to.include({ status: 'paused', liveVersion: 1 });

    const whilePaused = uniqueId('while-paused');
    await enter(event, whilePaused);
    expect(await instancesOf(t, journey.id, whilePaused)).to.deep.equal([]);
    expect(await ignoredReasons(t, journey.id, whilePaused)).to.deep.equal(['the journey is paused']);
    await advance(t, HOUR_MS + 1_000);
    expect((await deliveriesOf(t, journey.id, inFlight)).map((d) => d.eventName)).to.deep.equal(['Reminder v1']);

    expect(await lifecycle(t, journey.id, 'resume')).to.include({ status: 'published', liveVersion: 1 });
    const afterResume = uniqueId('after-resume');
    await enter(event, afterResume);
    expect(await onlyInstance(journey.id, afterResume)).to.include({ status: 'active', currentStep: 'wait' });
  });

  it('archive stops new entries and exits in-flight instances; an archived journey cannot be edited', async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Archivable'), event));
    const inFlight = uniqueId('in-flight');
    await enter(event, inFlight);
    expect(await lifecycle(t, journey.id, 'archive')).to.include({ status: 'archived' });
    await t.settle();
    const exited = await onlyInstance(journey.id, inFlight);
    expect(exited.status).to.equal('exited');
    expect(exited.endReason).to.be.a('string').and.not.empty;

    const afterwards = uniqueId('afterwards');
    await enter(event, afterwards);
    expect(await instancesOf(t, journey.id, afterwards)).to.deep.equal([]);
    await advance(t, 2 * HOUR_MS);
    expect(await deliveriesOf(t, journey.id)).to.deep.equal([]);

    const edit = await t.api('PUT', `/api/v1/journeys/${journey.id}`, cartJourney(journey.name, event));
    expect(edit.status).to.equal(409);
    expect(edit.body.error.code).to.equal('invalid_transition');
    expect((await get(journey.id)).status).to.equal('archived');
  });

  it('lists the versions with their states', async () => {
    const event = uniqueId('Cart Updated');
    const journey = await createAndPublish(t, cartJourney(uniqueId('Versioned'), event));
    await edit(journey.id, cartJourney(journey.name, event, { reminder: 'Reminder v2' }));
    await lifecycle(t, journey.id, 'publish');
    const versions = await versionsOf(journey.id);
    expect(versions.map((v) => [v.version, v.state])).to.deep.equal([[1, 'draining'], [2, 'live']]);
    expect(versions.map((v) => v.definition.steps[1].eventName)).to.deep.equal(['Reminder v1', 'Reminder v2']);
    for (const v of versions) expect(Date.parse((v as unknown as { publishedAt: string }).publishedAt)).to.be.a('number').and.not.NaN;
  });

  describe('refuses operations that do not apply in the current status (409 invalid_transition)', () => {
    async function expectRefused(journeyId: string, op: string, status: string): Promise<void> {
      const res = await t.api('POST', `/api/v1/journeys/${journeyId}/${op}`, {});
      expect(res.status, `${op}: ${JSON.stringify(res.body)}`).to.equal(409);
      expect(res.body.error.code).to.equal('invalid_transition');
      expect((await get(journeyId)).status).to.equal(status);
    }

    it('pausing or resuming a draft', async () => {
      const draft = await create(cartJourney(uniqueId('Draft'), 'Cart Updated'));
      await expectRefused(draft.id, 'pause', 'draft');
      await expectRefused(draft.id, 'resume', 'draft');
    });

    it('resuming a published journey, or publishing it again without a new draft', async () => {
      const journey = await createAndPublish(t, cartJourney(uniqueId('Running'), uniqueId('Cart Updated')));
      await expectRefused(journey.id, 'resume', 'published');
      await expectRefused(journey.id, 'publish', 'published');
    });

    it('pausing a paused journey', async () => {
      const journey = await createAndPublish(t, cartJourney(uniqueId('Paused'), uniqueId('Cart Updated')));
      await lifecycle(t, journey.id, 'pause');
      await expectRefused(journey.id, 'pause', 'paused');
    });

    it('archiving twice, and pausing, resuming or publishing an archived journey', async () => {
      const journey = await createAndPublish(t, cartJourney(uniqueId('Gone'), uniqueId('Cart Updated')));
      await lifecycle(t, journey.id, 'archive');
      for (const op of ['archive', 'pause', 'resume', 'publish']) await expectRefused(journey.id, op, 'archived');
    });
  });
});
