import fs from 'node:fs';
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { advance, createAndPublish, deliveriesOf, instancesOf, track, uniqueId } from './scenarios/scenario-helpers.ts';

function example(name: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(new URL(`../../examples/journeys/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
}

const DAY = 86_400_000;

describe('examples/journeys: each example does what examples/journeys/README.md says', () => {
  let t: TestEngine;
  beforeEach(async () => { t = await startTestEngine({ testClock: true }); });
  afterEach(async () => { await t.close(); });

  it('real-time forwarding: every Form Submitted is forwarded at once', async () => {
    const j = await createAndPublish(t, example('real-time-forwarding'));
    const user = uniqueId('form');
    await track(t, { userId: user, event: 'Form Submitted', properties: { form_id: 'newsletter' } });
    await t.settle();
    await track(t, { userId: user, event: 'Form Submitted', properties: { form_id: 'newsletter' } });
    await t.settle();
    const sent = await deliveriesOf(t, j.id, user);
    expect(sent.map((d) => d.eventName)).to.deep.equal(['Form Submission Forwarded', 'Form Submission Forwarded']);
  });

  it('cart abandonment: the bought cart ends, the abandoned one is nudged after an hour', async () => {
    const j = await createAndPublish(t, example('cart-abandonment'));
    const user = uniqueId('cart');
    await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 's1' } });
    await track(t, { userId: user, event: 'checkout_started', properties: { session_id: 's2' } });
    await t.settle();
    await track(t, { userId: user, event: 'purchase_completed', properties: { session_id: 's1' } });
    await t.settle();
    const s1 = (await instancesOf(t, j.id, user)).find((i) => i.identifier === 's1')!;
    expect(s1.status).to.equal('completed');
    expect(s1.conversions).to.have.property('purchase');
    await advance(t, 3_600_001);
    const sent = await deliveriesOf(t, j.id, user);
    expect(sent).to.have.length(1);
    expect(sent[0]!.eventName).to.equal('Checkout Abandoned');
    expect((sent[0]!.payload as any).context.journey.identifier).to.equal('s2');
  });

  it('order sessions: OrderReady with an order_id reaches its session, without one reaches both', async () => {
    const j = await createAndPublish(t, example('order-sessions'));
    const user = uniqueId('orders');
    await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '1001' } });
    await track(t, { userId: user, event: 'OrderPlaced', properties: { order_id: '1002' } });
    await t.settle();
    await track(t, { userId: user, event: 'OrderReady', properties: { order_id: '1001' } });
    await t.settle();
    expect((await deliveriesOf(t, j.id, user)).map((d) => (d.payload as any).context.journey.identifier)).to.deep.equal(['1001']);
    await track(t, { userId: user, event: 'OrderReady', properties: {} });
    await t.settle();
    const ready = (await deliveriesOf(t, j.id, user)).filter((d) => d.eventName === 'Order Ready Notification');
    expect(ready.map((d) => (d.payload as any).context.journey.identifier).sort()).to.deep.equal(['1001', '1002']);
    await track(t, { userId: user, event: 'OrderDelivered', properties: { order_id: '1001' } });
    await track(t, { userId: user, event: 'OrderCancelled', properties: { order_id: '1002' } });
    await t.settle();
    const sessions = await instancesOf(t, j.id, user);
    const s1 = sessions.find((i) => i.identifier === '1001')!;
    const s2 = sessions.find((i) => i.identifier === '1002')!;
    expect(s1.conversions).to.have.property('delivered');
    expect(s2.status).to.equal('exited');
    expect((await deliveriesOf(t, j.id, user)).map((d) => d.eventName)).to.include.members(['Order Delivered Notification', 'Order Cancelled Notification']);
  });

  it('referral: the referrer from referrer_id gets the reward, not the new user', async () => {
    const j = await createAndPublish(t, example('referral'));
    const referrer = uniqueId('referrer');
    const newUser = uniqueId('new');
    await track(t, { userId: newUser, event: 'Signed Up', properties: { referrer_id: referrer, referral_id: 'r-1' } });
    await t.settle();
    expect(await instancesOf(t, j.id, newUser)).to.have.length(0);
    const sent = await deliveriesOf(t, j.id, referrer);
    expect(sent.map((d) => d.eventName)).to.deep.equal(['Referral Reward Granted']);
  });

  it('invitation fan-out: one id or a list of ids in targetIds enter', async () => {
    const j = await createAndPublish(t, example('invitation-fan-out'));
    const ids = [uniqueId('a'), uniqueId('b'), uniqueId('c'), uniqueId('d')];
    await track(t, { userId: 'inviter', event: 'invitation', properties: { targetIds: ids } });
    await t.settle();
    for (const id of ids) expect((await deliveriesOf(t, j.id, id)).map((d) => d.eventName), id).to.deep.equal(['Invitation Received']);
    expect(await instancesOf(t, j.id, 'inviter')).to.have.length(0);
  });

  it('personalised follow-up: after a day, premium customers, big orders and everyone else get different sends', async () => {
    const j = await createAndPublish(t, example('personalised-follow-up'));
    const premium = uniqueId('premium');
    const big = uniqueId('big');
    const small = uniqueId('small');
    await t.ingest('/v1/identify', { userId: premium, traits: { plan: 'premium' } });
    await track(t, { userId: premium, event: 'Order Completed', properties: { order_id: 'o1', total: 40 } });
    await track(t, { userId: big, event: 'Order Completed', properties: { order_id: 'o2', total: 150 } });
    await track(t, { userId: small, event: 'Order Completed', properties: { order_id: 'o3', total: 20 } });
    await t.settle();
    expect(await deliveriesOf(t, j.id)).to.have.length(0);
    await advance(t, DAY + 1);
    expect((await deliveriesOf(t, j.id, premium)).map((d) => d.eventName)).to.deep.equal(['Premium Thank You']);
    expect((await deliveriesOf(t, j.id, big)).map((d) => d.eventName)).to.deep.equal(['Premium Upgrade Offer']);
    expect((await deliveriesOf(t, j.id, small)).map((d) => d.eventName)).to.deep.equal(['Review Request']);
  });
});
