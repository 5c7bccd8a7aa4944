import { expect } from 'chai';
import { startTestEngine, type Answer, type TestEngine, STORE_MODES } from '../support/test-engine.ts';
import { createAndPublish, ensureInCatalog, lifecycle, trackAndSettle, uniqueId } from '../journeys/scenarios/scenario-helpers.ts';
import { ENTRY_CHECKS } from '../../engine/journeys/runtime/entry-decision.ts';

/** One check as explain answers it. */
interface CheckView {
  check: string;
  passed: boolean;
  detail: string;
  conditions?: Array<{ index: number; path: string; operator: string; value?: unknown; passed: boolean; found?: unknown }>;
  instances?: Array<{ id: string; status: string; enteredAt: string }>;
}

/** The explain body. */
interface ExplainView {
  journeyId: string;
  version: number;
  messageId: string;
  eventId: string;
  profileId: string | null;
  wouldEnter: boolean;
  firstFailure: string | null;
  checks: CheckView[];
  recorded: Array<{ type: string; eventId: string; reason: string | null; data: Record<string, unknown> | null }>;
}

/** send → exit: every instance ends as soon as it starts. */
function instantJourney(event: string, entry: Record<string, unknown> = {}) {
  return {
    name: uniqueId(`Explain ${event}`),
    entry: { event, ...entry },
    start: 'notify',
    steps: [
      { id: 'notify', type: 'send', eventName: `${event} Notification`, target: null, next: 'done' },
      { id: 'done', type: 'exit' },
    ],
  };
}

/** Holds for a day, so an instance stays active. */
function sessionJourney(event: string, entry: Record<string, unknown> = {}) {
  return {
    name: uniqueId(`Explain session ${event}`),
    entry: { event, ...entry },
    start: 'wait',
    steps: [
      { id: 'wait', type: 'hold_until', branches: [{ id: 'closed', event: `${event} Closed`, next: 'done' }], timeout: { after: 'P1D', next: 'done' } },
      { id: 'done', type: 'exit' },
    ],
  };
}

for (const store of STORE_MODES) {
  describe(`explain: why didn't this user enter? [${store}]`, () => {
    let t: TestEngine;
    before(async () => { t = await startTestEngine({}, { store }); });
    after(async () => { await t.close(); });

    /** Sends one track event with a fresh messageId and waits until it is processed; answers the messageId. */
    async function send(event: Record<string, unknown>): Promise<string> {
      const messageId = uniqueId('msg');
      await trackAndSettle(t, { ...event, messageId });
      return messageId;
    }

    function explain(journeyId: string, query: Record<string, string>, token?: string): Promise<Answer> {
      return t.api('GET', `/api/v1/journeys/${journeyId}/explain?${new URLSearchParams(query)}`, undefined, token ? { token } : {});
    }

    async function explained(journeyId: string, query: Record<string, string>): Promise<ExplainView> {
      const res = await explain(journeyId, query);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const view = res.body.explain as ExplainView;
      expect(view.checks.map((c) => c.check), 'every check, in the runtime order').to.deep.equal([...ENTRY_CHECKS]);
      return view;
    }

    function check(view: ExplainView, name: string): CheckView {
      return view.checks.find((c) => c.check === name)!;
    }

    /** Expects exactly one failed check, and the runtime's trigger_ignored record to name it (when the runtime records it). */
    function expectOnlyFailure(view: ExplainView, name: string, recorded: boolean): CheckView {
      expect(view.wouldEnter).to.equal(false);
      expect(view.firstFailure).to.equal(name);
      expect(view.checks.filter((c) => !c.passed).map((c) => c.check), JSON.stringify(view.checks)).to.deep.equal([name]);
      const ignored = view.recorded.filter((r) => r.type === 'trigger_ignored');
      if (recorded) {
        expect(ignored, JSON.stringify(view.recorded)).to.have.length(1);
        expect(ignored[0]!.data, 'the activity log names the same check').to.deep.equal({ check: name });
        expect(ignored[0]!.eventId).to.equal(view.eventId);
      } else {
        expect(view.recorded).to.deep.equal([]);
      }
      return check(view, name)!;
    }

    it('a user who entered: wouldEnter, every check passed, and the entered record', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Purchase', {
        conditions: [{ path: 'properties.total', operator: 'gte', value: 100 }],
      }));
      const user = uniqueId('buyer');
      const messageId = await send({ userId: user, event: 'Explain Purchase', properties: { total: 150 } });
      const view = await explained(journey.id, { userId: user, messageId });
      expect(view).to.include({ journeyId: journey.id, version: 1, messageId, wouldEnter: true, firstFailure: null });
      expect(view.profileId).to.match(/./);
      expect(view.checks.every((c) => c.passed), JSON.stringify(view.checks)).to.equal(true);
      expect(check(view, 'journey_live').detail).to.include('version 1 is published');
      expect(check(view, 'conditions').conditions).to.deep.equal([{ index: 0, path: 'properties.total', operator: 'gte', value: 100, passed: true, found: 150 }]);
      expect(check(view, 're_entry').detail).to.include('this event started instance');
      expect(view.recorded.map((r) => [r.type, r.eventId])).to.deep.equal([['entered', view.eventId]]);
    });

    it('an anonymous visitor is named by anonymousId', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Visit'));
      const anonymousId = uniqueId('anon');
      const messageId = await send({ anonymousId, event: 'Explain Visit' });
      const view = await explained(journey.id, { anonymousId, messageId });
      expect(view.wouldEnter).to.equal(true);
      expect(view.recorded.map((r) => r.type)).to.deep.equal(['entered']);
    });

    it('another event than the entry event: event_name fails (nothing recorded: the runtime never considers it)', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Signup'));
      await ensureInCatalog(t, 'Explain Login');
      const user = uniqueId('other-event');
      const messageId = await send({ userId: user, event: 'Explain Login' });
      const failed = expectOnlyFailure(await explained(journey.id, { userId: user, messageId }), 'event_name', false);
      expect(failed.detail).to.include("'Explain Login'").and.to.include("'Explain Signup'");
    });

    it('a condition not met: conditions fails, naming the condition, its path, operator and the value found', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Order', {
        conditions: [
          { path: 'properties.currency', operator: 'equals', value: 'EUR' },
          { path: 'properties.order.total', operator: 'gt', value: 100 },
        ],
      }));
      const user = uniqueId('small-order');
      const messageId = await send({ userId: user, event: 'Explain Order', properties: { currency: 'EUR', order: { total: 42 } } });
      const view = await explained(journey.id, { userId: user, messageId });
      const failed = expectOnlyFailure(view, 'conditions', true);
      expect(failed.detail).to.include('condition 1').and.to.include('properties.order.total gt 100').and.to.include('found 42');
      expect(failed.conditions).to.deep.equal([
        { index: 0, path: 'properties.currency', operator: 'equals', value: 'EUR', passed: true, found: 'EUR' },
        { index: 1, path: 'properties.order.total', operator: 'gt', value: 100, passed: false, found: 42 },
      ]);
      expect(view.recorded[0]!.reason).to.equal('entry conditions not met');
    });

    it('an event outside the availability window: availability fails with the window', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Sale', {
        availability: { type: 'window', startDate: '2024-01-01', endDate: '2024-01-31', timezone: 'Europe/Berlin' },
      }));
      const user = uniqueId('late');
      const messageId = await send({ userId: user, event: 'Explain Sale', timestamp: '2024-02-01T00:30:00+01:00' });
      const failed = expectOnlyFailure(await explained(journey.id, { userId: user, messageId }), 'availability', true);
      expect(failed.detail).to.include('after the entry window').and.to.include('2024-01-31').and.to.include('Europe/Berlin');
    });

    it('who enters from a property that is missing: who_enters fails; a listed user is explained too', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Invitation', { whoEnters: { type: 'property', path: 'properties.targetIds' } }));
      const host = uniqueId('host');
      const messageId = await send({ userId: host, event: 'Explain Invitation', properties: {} });
      const failed = expectOnlyFailure(await explained(journey.id, { userId: host, messageId }), 'who_enters', true);
      expect(failed.detail).to.equal("no user ids at 'properties.targetIds'");

      const guest = uniqueId('guest');
      const invited = await send({ userId: host, event: 'Explain Invitation', properties: { targetIds: [guest] } });
      const forGuest = await explained(journey.id, { userId: guest, messageId: invited });
      expect(forGuest.wouldEnter, JSON.stringify(forGuest.checks)).to.equal(true);
      expect(check(forGuest, 'who_enters').detail).to.include(guest);
      expect(forGuest.recorded.map((r) => r.type)).to.deep.equal(['entered']);
      const forHost = await explained(journey.id, { userId: host, messageId: invited });
      expect(forHost.firstFailure, 'the host is not listed').to.equal('who_enters');
    });

    it('a profile outside the audience filter: audience fails, naming the audience', async () => {
      const audience = await t.api('POST', '/api/v1/audiences', { name: uniqueId('Explain testers') });
      expect(audience.status, JSON.stringify(audience.body)).to.equal(201);
      const audienceId: string = audience.body.audience.id;
      const journey = await createAndPublish(t, instantJourney('Explain Feature', { audienceId }));
      const user = uniqueId('outsider');
      const messageId = await send({ userId: user, event: 'Explain Feature' });
      const failed = expectOnlyFailure(await explained(journey.id, { userId: user, messageId }), 'audience', true);
      expect(failed.detail).to.include(`not a member of audience ${audienceId}`).and.to.include('current membership');

      const added = await t.api('POST', `/api/v1/audiences/${audienceId}/members`, { add: [{ userId: user }] });
      expect(added.status, JSON.stringify(added.body)).to.equal(200);
      const now = await explained(journey.id, { userId: user, messageId });
      expect(check(now, 'audience').passed, 'membership as it is now').to.equal(true);
    });

    it('re-entry once, entered before: re_entry fails, saying when it entered', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Welcome', { reentry: { mode: 'once' } }));
      const user = uniqueId('returning');
      const first = await send({ userId: user, event: 'Explain Welcome' });
      const second = await send({ userId: user, event: 'Explain Welcome' });
      const view = await explained(journey.id, { userId: user, messageId: second });
      const failed = expectOnlyFailure(view, 're_entry', true);
      expect(failed.detail).to.include('entry once: the profile entered this journey before').and.to.include('entered at');
      expect(failed.instances).to.have.length(1);
      expect(view.recorded[0]!.reason).to.equal('entry once: the profile entered this journey before');
      expect((await explained(journey.id, { userId: user, messageId: first })).wouldEnter, 'the first trigger entered').to.equal(true);
    });

    it('one active session, already active: re_entry fails, naming the active instance', async () => {
      const journey = await createAndPublish(t, sessionJourney('Explain Checkout', { reentry: { mode: 'one_active' } }));
      const user = uniqueId('shopper');
      const first = await send({ userId: user, event: 'Explain Checkout' });
      const second = await send({ userId: user, event: 'Explain Checkout' });
      const started = (await explained(journey.id, { userId: user, messageId: first })).checks.find((c) => c.check === 're_entry')!.instances![0]!;
      const failed = expectOnlyFailure(await explained(journey.id, { userId: user, messageId: second }), 're_entry', true);
      expect(failed.detail).to.include('one active session').and.to.include(`active instance ${started.id} started at ${started.enteredAt}`);
      expect(failed.instances!.map((i) => i.id)).to.deep.equal([started.id]);
    });

    it('a paused journey: accepting_entries fails, recorded with that check', async () => {
      const journey = await createAndPublish(t, instantJourney('Explain Newsletter'));
      await lifecycle(t, journey.id, 'pause');
      const user = uniqueId('paused');
      const messageId = await send({ userId: user, event: 'Explain Newsletter' });
      const failed = expectOnlyFailure(await explained(journey.id, { userId: user, messageId }), 'accepting_entries', true);
      expect(failed.detail).to.equal('the journey is paused');
    });

    it('?version=N evaluates an older version; journey_live then says which version is live', async () => {
      const doc = instantJourney('Explain Versioned', { conditions: [{ path: 'properties.plan', operator: 'equals', value: 'pro' }] });
      const journey = await createAndPublish(t, doc);
      const put = await t.api('PUT', `/api/v1/journeys/${journey.id}`, { ...doc, entry: { event: 'Explain Versioned' } });
      expect(put.status, JSON.stringify(put.body)).to.equal(200);
      await lifecycle(t, journey.id, 'publish', {});
      const user = uniqueId('versioned');
      const messageId = await send({ userId: user, event: 'Explain Versioned', properties: { plan: 'free' } });
      expect((await explained(journey.id, { userId: user, messageId })).wouldEnter, 'the live version 2 has no condition').to.equal(true);
      const v1 = await explained(journey.id, { userId: user, messageId, version: '1' });
      expect(v1.version).to.equal(1);
      expect(v1.checks.filter((c) => !c.passed).map((c) => c.check)).to.deep.equal(['journey_live', 'conditions']);
      expect(check(v1, 'journey_live').detail).to.include('new entries use version 2');
    });

    describe('bad requests', () => {
      let journeyId: string;
      let user: string;
      let messageId: string;
      before(async () => {
        journeyId = (await createAndPublish(t, instantJourney('Explain Errors'))).id;
        user = uniqueId('errors');
        messageId = await send({ userId: user, event: 'Explain Errors' });
      });

      async function expectError(res: Answer, status: number, code: string, text: string): Promise<void> {
        expect(res.status, JSON.stringify(res.body)).to.equal(status);
        expect(res.body.error.code).to.equal(code);
        expect(res.body.error.message).to.include(text);
      }

      it('without messageId: 400 invalid_request naming the parameter', async () => {
        const res = await explain(journeyId, { userId: user });
        await expectError(res, 400, 'invalid_request', 'messageId');
        expect(res.body.error.path).to.equal('?messageId');
      });

      it('with neither or both of userId and anonymousId: 400', async () => {
        await expectError(await explain(journeyId, { messageId }), 400, 'invalid_request', 'userId and anonymousId');
        await expectError(await explain(journeyId, { messageId, userId: user, anonymousId: 'a' }), 400, 'invalid_request', 'exactly one');
      });

      it('with a version that is not a positive integer: 400; an unknown version: 404', async () => {
        await expectError(await explain(journeyId, { messageId, userId: user, version: 'x' }), 400, 'invalid_request', 'version');
        await expectError(await explain(journeyId, { messageId, userId: user, version: '9' }), 404, 'not_found', 'version 9');
      });

      it('an unknown journey, an unknown message, or an event of another user: 404 saying which', async () => {
        await expectError(await explain('jrn_nope', { messageId, userId: user }), 404, 'not_found', "journey 'jrn_nope'");
        await expectError(await explain(journeyId, { messageId: 'no-such-message', userId: user }), 404, 'not_found', "messageId 'no-such-message'");
        const someoneElse = uniqueId('someone-else');
        await send({ userId: someoneElse, event: 'Explain Errors' });
        await expectError(await explain(journeyId, { messageId, userId: someoneElse }), 404, 'not_found', 'belongs to another profile');
        await expectError(await explain(journeyId, { messageId, userId: uniqueId('nobody') }), 404, 'not_found', 'no profile');
      });

      it('a journey never published: 409 invalid_transition', async () => {
        await ensureInCatalog(t, 'Explain Errors');
        const draft = await t.api('POST', '/api/v1/journeys', instantJourney('Explain Errors'));
        expect(draft.status, JSON.stringify(draft.body)).to.equal(201);
        await expectError(await explain(draft.body.journey.id, { messageId, userId: user }), 409, 'invalid_transition', 'never been published');
      });

      it("another space's journey: 404", async () => {
        const space = await t.api('POST', '/api/v1/spaces', { name: uniqueId('Explain other space') }, { token: t.operatorToken });
        expect(space.status, JSON.stringify(space.body)).to.equal(201);
        await expectError(await explain(journeyId, { messageId, userId: user }, space.body.adminToken.secret), 404, 'not_found', 'journey');
      });
    });
  });
}
