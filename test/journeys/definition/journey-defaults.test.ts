import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { JourneyDefinition } from '../../../engine/journeys/definition/journey-definition.ts';
import { withDefaults } from '../../../engine/journeys/definition/journey-defaults.ts';
import { validateJourney } from '../../../engine/journeys/definition/validate-journey.ts';
import { validJourneyDocuments } from './load-journey-fixtures.ts';

const sparse: JourneyDefinition = {
  name: 'Sparse',
  entry: { event: 'checkout_started' },
  start: 'wait',
  steps: [
    { id: 'wait', type: 'hold_until', branches: [{ id: 'bought', event: 'purchase_completed', next: 'done' }], timeout: { after: 'PT1H', next: 'ab' } },
    { id: 'ab', type: 'random_split', branches: [{ id: 'a', percent: 50, next: 'nudge' }, { id: 'b', percent: 50, next: 'split' }] },
    { id: 'split', type: 'data_split', branches: [{ id: 'vip', next: 'nudge' }], otherwise: { next: 'done' } },
    { id: 'nudge', type: 'send', eventName: 'Nudge', payload: { traits: ['email'] }, next: 'done' },
    { id: 'done', type: 'exit' },
  ],
  exitRules: [{ id: 'stop', event: 'Unsubscribed', send: { eventName: 'Bye' } }],
  goals: [{ id: 'bought', event: 'purchase_completed', within: 'P1D' }],
};

describe('journeys: withDefaults', () => {
  it('writes every default out', () => {
    expect(withDefaults(sparse)).to.deep.equal({
      name: 'Sparse',
      description: null,
      entry: {
        event: 'checkout_started',
        conditions: [],
        audienceId: null,
        whoEnters: { type: 'performer' },
        availability: { type: 'always' },
        reentry: { mode: 'one_active' },
      },
      start: 'wait',
      steps: [
        {
          id: 'wait',
          type: 'hold_until',
          branches: [{ id: 'bought', event: 'purchase_completed', conditions: [], next: 'done' }],
          timeout: { after: 'PT1H', next: 'ab' },
          lookback: 'PT5M',
        },
        { id: 'ab', type: 'random_split', branches: [{ id: 'a', percent: 50, next: 'nudge' }, { id: 'b', percent: 50, next: 'split' }], sticky: false },
        { id: 'split', type: 'data_split', branches: [{ id: 'vip', conditions: [], audiences: [], next: 'nudge' }], otherwise: { next: 'done' } },
        {
          id: 'nudge',
          type: 'send',
          eventName: 'Nudge',
          target: null,
          payload: { context: 'all', traits: ['email'] },
          mapping: {},
          enabled: true,
          next: 'done',
        },
        { id: 'done', type: 'exit' },
      ],
      exitRules: [
        {
          id: 'stop',
          event: 'Unsubscribed',
          conditions: [],
          matchIdentifier: false,
          send: { eventName: 'Bye', target: null, payload: { context: 'all', traits: 'all' }, mapping: {}, enabled: true },
        },
      ],
      goals: [{ id: 'bought', event: 'purchase_completed', within: 'P1D', conditions: [], exitOnConversion: false }],
      settings: { lookback: 'PT5M', maxContextBytes: 262_144, maxActiveInstancesPerProfile: 1_000 },
    });
  });

  it('matches exit rules on the identifier when there is one, and keeps explicit choices', () => {
    const doc: JourneyDefinition = {
      ...sparse,
      entry: { event: 'OrderPlaced', reentry: { mode: 'multiple_active', identifier: 'properties.order_id' } },
      exitRules: [{ id: 'cancelled', event: 'OrderCancelled' }, { id: 'closed', event: 'Account Closed', matchIdentifier: false }],
      settings: { lookback: 'PT1M' },
    };
    const filled = withDefaults(doc);
    expect(filled.exitRules?.map((rule) => rule.matchIdentifier)).to.deep.equal([true, false]);
    expect(filled.settings).to.deep.equal({ lookback: 'PT1M', maxContextBytes: 262_144, maxActiveInstancesPerProfile: 1_000 });
    const hold = filled.steps[0];
    expect(hold?.type === 'hold_until' && hold.lookback).to.equal('PT1M');
  });

  it('keeps given values, generates no activation key and leaves its input alone', () => {
    const doc = JSON.parse(readFileSync(new URL('../../fixtures/journeys/valid/everything.json', import.meta.url), 'utf8')) as JourneyDefinition;
    const before = structuredClone(doc);
    const filled = withDefaults(doc);
    expect(doc).to.deep.equal(before);
    const disabled = filled.steps.find((step) => step.id === 'disabled');
    expect(disabled?.type === 'send' && disabled.enabled).to.equal(false);
    const toFunction = filled.steps.find((step) => step.id === 'to-function');
    expect(toFunction?.type === 'send' && toFunction.activationKey).to.equal(undefined);
    expect(toFunction?.type === 'send' && toFunction.payload).to.deep.equal({ context: ['Order Completed'], traits: 'all' });
  });

  it('keeps every valid document valid', () => {
    for (const [name, doc] of validJourneyDocuments()) {
      expect(validateJourney(withDefaults(doc as JourneyDefinition)), name).to.deep.equal([]);
    }
  });
});
