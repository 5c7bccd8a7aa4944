/**
 * GET /api/v1/instances/{id}/timeline: every record in order with its reason, the journey context
 * after each, the time spent at each step, and deliveries with attempts and answers.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../support/test-engine.ts';
import { expectError } from '../delivery-api/delivery-api-helpers.ts';
import { HOUR, DAY, onlyInstance } from '../journeys/scenarios/runtime-helpers.ts';
import { useCartScenario, type CartScenario } from './cart-scenario.ts';

for (const store of STORE_MODES) {
  describe(`Instance timeline [${store}]`, function () {
    this.timeout(60_000);
    const fixture = useCartScenario(store);
    let t: TestEngine;
    let scenario: CartScenario;
    beforeEach(() => ({ t, scenario } = fixture()));
    const timelineOf = async (user: string) => {
      const instance = await onlyInstance(t, scenario.journeyId, user);
      const res = await t.api('GET', `/api/v1/instances/${instance.id}/timeline`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body;
    };

    it('shows the buyer\'s path in order, with the reason for each decision and the context after each record', async () => {
      const timeline = await timelineOf(scenario.users.buyer);
      expect(timeline.instance).to.include({ status: 'completed', journeyId: scenario.journeyId });
      expect(timeline.truncated).to.equal(false);
      const types = timeline.entries.map((e: { type: string }) => e.type);
      expect(types).to.deep.equal([
        'entered', 'step_reached', 'waiting', 'converted', 'event_matched', 'step_reached', 'send_recorded', 'step_reached', 'completed',
      ]);
      const [entered, , waiting, converted, matched] = timeline.entries;
      expect(entered.contextAdded['Cart Viewed'].properties).to.deep.equal({ items: 2 });
      expect(entered.contextKeys).to.deep.equal(['Cart Viewed']);
      expect(waiting.reason).to.match(/^waiting for Order Completed until /);
      expect(converted.reason).to.equal("goal 'purchase' reached by Order Completed");
      expect(matched.reason).to.equal("Order Completed matched branch 'bought'");
      expect(matched.contextAdded['Order Completed - bought'].properties).to.deep.equal({ total: 50 });
      expect(matched.contextKeys).to.deep.equal(['Cart Viewed', 'Order Completed - bought']);
      expect(timeline.entries.at(-1).contextKeys, 'the context stays').to.have.lengthOf(2);
      const times = timeline.entries.map((e: { at: string }) => Date.parse(e.at));
      expect([...times].sort((a, b) => a - b), 'in time order').to.deep.equal(times);
    });

    it('gives the time spent at each step', async () => {
      const buyer = await timelineOf(scenario.users.buyer);
      expect(buyer.steps.map((s: { stepId: string }) => s.stepId)).to.deep.equal(['wait', 'thanks', 'done']);
      const wait = buyer.steps[0];
      expect(wait.durationMs, 'bought an hour after viewing').to.be.within(HOUR, HOUR + 5_000);
      expect(Date.parse(wait.leftAt) - Date.parse(wait.reachedAt)).to.equal(wait.durationMs);
      const waiter = await timelineOf(scenario.users.waiter);
      // The clock jumped a day from an hour in: the timeout fired when the jump reached it, 25 h after entry.
      expect(waiter.steps[0].stepId).to.equal('wait');
      expect(waiter.steps[0].durationMs).to.be.within(DAY, DAY + HOUR + 5_000);
      expect(waiter.entries.map((e: { type: string }) => e.type)).to.include('timed_out');
      const late = await timelineOf(scenario.users.late);
      expect(late.steps).to.have.lengthOf(1);
      expect(late.steps[0]).to.include({ stepId: 'wait', leftAt: null, durationMs: null });
    });

    it('says why an event was ignored and why the instance exited', async () => {
      const leaver = await timelineOf(scenario.users.leaver);
      const ignored = leaver.entries.filter((e: { type: string }) => e.type === 'event_ignored').map((e: { reason: string }) => e.reason);
      expect(ignored).to.have.members(["goal 'purchase': conditions not met", "conditions of branch 'bought' not met"]);
      const exited = leaver.entries.at(-1);
      expect(exited).to.deep.include({ type: 'exited', reason: "exit rule 'unsubscribed' (Unsubscribed)", stepId: 'wait' });
      expect(exited.data).to.deep.equal({ cause: 'rule:unsubscribed', leftWait: true });
      expect(leaver.instance).to.include({ status: 'exited' });
    });

    it('lists deliveries with each attempt and the destination\'s answer', async () => {
      const buyer = await timelineOf(scenario.users.buyer);
      expect(buyer.deliveries).to.have.lengthOf(1);
      expect(buyer.deliveries[0]).to.include({ status: 'delivered', stepId: 'thanks', attempts: 1 });
      expect(buyer.deliveries[0].attemptLog[0]).to.include({ outcome: 'delivered', status: 200 });
      expect(buyer.deliveries[0]).to.not.have.property('spaceId');
      const waiter = await timelineOf(scenario.users.waiter);
      expect(waiter.deliveries[0]).to.include({ status: 'failed', stepId: 'nudge' });
      expect(waiter.deliveries[0].attemptLog[0]).to.include({ outcome: 'failed', status: 400 });
      expect(waiter.deliveries[0].attemptLog[0].response).to.contain('refused with 400');
    });

    it('answers 404 for an unknown instance and for another space\'s', async () => {
      expectError(await t.api('GET', '/api/v1/instances/no-such-instance/timeline'), 404, 'not_found');
      const instance = await onlyInstance(t, scenario.journeyId, scenario.users.buyer);
      const space = await t.api('POST', '/api/v1/spaces', { name: `other-${store}-timeline` }, { token: t.operatorToken });
      expect(space.status, JSON.stringify(space.body)).to.equal(201);
      expectError(await t.api('GET', `/api/v1/instances/${instance.id}/timeline`, undefined, { token: space.body.adminToken.secret }), 404, 'not_found');
    });
  });
}
