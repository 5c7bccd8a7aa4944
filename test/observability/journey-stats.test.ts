/**
 * GET /api/v1/journeys/{id}/stats: figures kept as counters while the cart scenario ran, whole and
 * over time ranges; bad ranges and other spaces' journeys refused.
 */
import { expect } from 'chai';
import { STORE_MODES, type TestEngine } from '../support/test-engine.ts';
import { Sink, expectError } from '../delivery-api/delivery-api-helpers.ts';
import { HOUR } from '../journeys/scenarios/runtime-helpers.ts';
import { useCartScenario, type CartScenario } from './cart-scenario.ts';

for (const store of STORE_MODES) {
  describe(`Journey figures [${store}]`, function () {
    this.timeout(60_000);
    const fixture = useCartScenario(store);
    let t: TestEngine;
    let sink: Sink;
    let scenario: CartScenario;
    beforeEach(() => ({ t, sink, scenario } = fixture()));
    const stats = async (query = '') => {
      const res = await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/stats${query}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body.stats;
    };

    it('counts entries, ends by cause, conversions with their rate, and what is active now', async () => {
      const s = await stats();
      expect(s).to.include({ journeyId: scenario.journeyId, from: null, to: null, entered: 4, active: 1, completed: 2, exited: 1, converted: 1 });
      expect(s.exitedBy).to.deep.equal({ 'rule:unsubscribed': 1 });
      expect(s.conversions).to.deep.equal({ purchase: { converted: 1, rate: 0.25 } });
      expect(s.eventsIgnored, 'the order of 0: branch and goal conditions not met').to.be.greaterThan(0);
    });

    it('counts per step: reached, waiting now, each branch, sends', async () => {
      const { steps } = await stats();
      expect(steps.wait).to.deep.equal({ reached: 4, waiting: 1, branches: { bought: 1, timeout: 1 }, sends: 0, sendsSkipped: 0 });
      expect(steps.thanks).to.include({ reached: 1, sends: 1, waiting: 0 });
      expect(steps.nudge).to.include({ reached: 1, sends: 1 });
      expect(steps.done).to.include({ reached: 2 });
    });

    it('counts deliveries sent and failed as their outcomes are recorded', async () => {
      const { deliveries } = await stats();
      expect(deliveries).to.deep.equal({ sent: 1, failed: 1, retrying: 0 });
      expect(sink.at('/ok')).to.have.lengthOf(1);
    });

    it('sums flows over a time range, rounded out to whole hours; gauges stay current', async () => {
      const late = await stats(`?from=${new Date(scenario.lateAt).toISOString()}`);
      expect(late, 'only the late viewer entered since; the waiter timed out and completed in that hour').to.include({ entered: 1, active: 1, completed: 1, converted: 0 });
      expect(Date.parse(late.from)).to.equal(Math.floor(scenario.lateAt / HOUR) * HOUR);
      const firstHour = await stats(`?from=${new Date(scenario.startedAt).toISOString()}&to=${new Date(scenario.startedAt + 1).toISOString()}`);
      expect(firstHour).to.include({ entered: 3, completed: 0, active: 1 });
      expect(firstHour.steps.wait).to.include({ reached: 3, waiting: 1 });
      const before = await stats('?from=2001-01-01&to=2001-01-02');
      expect(before).to.include({ entered: 0, from: '2001-01-01T00:00:00.000Z', to: '2001-01-02T00:00:00.000Z' });
      expect(before.steps.wait, 'steps of the live version are listed at zero').to.include({ reached: 0 });
    });

    it('refuses a range that is not one, with the parameter named', async () => {
      expectError(await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/stats?from=yesterday`), 400, 'invalid_request', '?from');
      expectError(await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/stats?from=2025-01-02&to=2025-01-01`), 400, 'invalid_request', '?from');
      expectError(await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/stats?to=2025-13-01`), 400, 'invalid_request', '?to');
    });

    it('answers 404 for an unknown journey and for another space\'s', async () => {
      expectError(await t.api('GET', '/api/v1/journeys/no-such-journey/stats'), 404, 'not_found');
      const space = await t.api('POST', '/api/v1/spaces', { name: `other-${store}-stats` }, { token: t.operatorToken });
      expect(space.status, JSON.stringify(space.body)).to.equal(201);
      expectError(await t.api('GET', `/api/v1/journeys/${scenario.journeyId}/stats`, undefined, { token: space.body.adminToken.secret }), 404, 'not_found');
    });
  });
}
