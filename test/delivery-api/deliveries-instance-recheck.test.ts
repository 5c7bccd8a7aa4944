/**
 * A delivery re-checks its instance before every attempt (product.md: every deferred effect
 * "re-checks the instance when it runs"): a retry whose instance was exited meanwhile, by an exit
 * rule here, is closed as `skipped` and never sent. An instance that is still active, an exit
 * rule's own send, and a re-drive the operator makes after the exit still send.
 */
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import { Sink, advanceClock, createWebhook, delivery, unique, withEngineAndSink } from './delivery-api-helpers.ts';

describe('deliveries API: a retry re-checks its instance', function () {
  this.timeout(30_000);
  let t: TestEngine;
  const sink = new Sink();

  withEngineAndSink(sink, (engine) => { t = engine; }, { deliveryRetry: { baseDelayMs: 1_000, maxDelayMs: 60_000, maxTotalMs: 3_600_000, maxAttempts: 10 } });

  const advance = (ms: number) => advanceClock(t, ms);

  async function track(userId: string, event: string): Promise<void> {
    expect((await t.ingest('/v1/track', { userId, event })).status).to.equal(200);
    await t.settle();
  }

  /**
   * On `<prefix> Started`: send a nudge to `/<prefix>/nudge`, then wait a day before the end; the
   * exit rule `<prefix> Bought` ends the instance early with a send of its own to `/<prefix>/bye`.
   */
  async function publishNudgeJourney(prefix: string): Promise<{ journeyId: string; started: string; bought: string }> {
    const started = `${prefix} Started`;
    const bought = `${prefix} Bought`;
    const destinationId = await createWebhook(t);
    for (const event of [started, bought]) await track(unique('catalog-seed'), event);
    const target = { type: 'destination', destinationId, action: 'send' };
    const doc = {
      name: unique(`Nudge ${prefix}`),
      entry: { event: started, whoEnters: { type: 'performer' }, availability: { type: 'always' }, reentry: { mode: 'one_active' } },
      start: 'nudge',
      steps: [
        { id: 'nudge', type: 'send', eventName: `${prefix} Nudge`, target, payload: { context: 'all', traits: [] }, mapping: { url: sink.url(`/${prefix}/nudge`), data: { '@path': '$.' } }, next: 'wait' },
        { id: 'wait', type: 'delay', wait: { type: 'duration', duration: 'P1D' }, next: 'done' },
        { id: 'done', type: 'exit' },
      ],
      exitRules: [{
        id: 'bought', event: bought,
        send: { eventName: `${prefix} Bye`, target, payload: { context: 'all', traits: [] }, mapping: { url: sink.url(`/${prefix}/bye`), data: { '@path': '$.' } } },
      }],
    };
    const created = await t.api('POST', '/api/v1/journeys', doc);
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const journeyId = created.body.journey.id as string;
    const published = await t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {});
    expect(published.status, JSON.stringify(published.body)).to.equal(200);
    return { journeyId, started, bought };
  }

  async function deliveriesOf(journeyId: string, userId: string): Promise<Record<string, any>> {
    const instances = await t.api('GET', `/api/v1/journeys/${journeyId}/instances?userId=${userId}`);
    expect(instances.body.instances, JSON.stringify(instances.body)).to.have.length(1);
    const res = await t.api('GET', `/api/v1/instances/${instances.body.instances[0].id}/deliveries`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return Object.fromEntries(res.body.deliveries.map((d: { stepId: string }) => [d.stepId, d]));
  }

  it('an exit between two attempts closes the retry as skipped, with the reason, and it is never sent again', async () => {
    const { journeyId, bought, started } = await publishNudgeJourney('recheck');
    sink.answer('/recheck/nudge', 503);
    const user = unique('buyer');
    await track(user, started);
    const first = (await deliveriesOf(journeyId, user))['nudge'];
    expect(first).to.include({ status: 'retrying', attempts: 1 });

    await track(user, bought);
    sink.answer('/recheck/nudge', 200);
    await advance(120_000);

    const byStep = await deliveriesOf(journeyId, user);
    const nudge = await delivery(t, byStep['nudge'].id);
    expect(nudge).to.include({ status: 'skipped', attempts: 1, nextAttemptAt: null, deliveredAt: null });
    expect(nudge.reason).to.match(/^not sent: the instance exited \(exit rule 'bought' \(recheck Bought\)\) at .+, after the send was recorded$/);
    expect(sink.at('/recheck/nudge'), 'only the first, refused attempt reached the receiver').to.have.length(1);
    // The exit rule's own send is recorded in the exiting write: it goes out.
    expect(byStep['exit:bought']).to.include({ status: 'delivered' });
    expect(sink.at('/recheck/bye')).to.have.length(1);
    // A skipped delivery is closed: nothing re-drives it by accident.
    const redrive = await t.api('POST', `/api/v1/deliveries/${nudge.id}/redrive`);
    expect(redrive.status).to.equal(409);
  });

  it('a retry whose instance is still active (waiting at a later step) is sent', async () => {
    const { journeyId, started } = await publishNudgeJourney('active');
    sink.answer('/active/nudge', 503);
    const user = unique('waiter');
    await track(user, started);
    sink.answer('/active/nudge', 200);
    await advance(120_000);
    expect((await deliveriesOf(journeyId, user))['nudge']).to.include({ status: 'delivered', attempts: 2 });
    expect(sink.at('/active/nudge')).to.have.length(2);
  });

  it('a re-drive made after the exit sends: the operator asked for it', async () => {
    const { journeyId, bought, started } = await publishNudgeJourney('asked');
    sink.answer('/asked/nudge', 400);
    const user = unique('asked');
    await track(user, started);
    expect((await deliveriesOf(journeyId, user))['nudge']).to.include({ status: 'failed', attempts: 1 });
    await track(user, bought);
    await advance(1_000);

    sink.answer('/asked/nudge', 200);
    const nudgeId = (await deliveriesOf(journeyId, user))['nudge'].id;
    const res = await t.api('POST', `/api/v1/deliveries/${nudgeId}/redrive`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    await t.settle();
    expect(await delivery(t, nudgeId)).to.include({ status: 'delivered', attempts: 2 });
    expect(sink.at('/asked/nudge')).to.have.length(2);
  });
});
