/**
 * Destination functions in /metrics: calls by outcome, the sandbox limits they ran into (CPU
 * and wall-clock timeouts) and their duration, both for test runs (the engine thread's sandbox)
 * and for deliveries (the processing worker's sandbox).
 */
import { expect } from 'chai';
import type { TestEngine } from '../support/test-engine.ts';
import { createFunction, createJourney, deployedFunction, functionTarget, ok, seedCatalog, sendOnEntry, startFunctionsEngine, testRun, trackEvent } from '../functions/helpers.ts';
import { scrape } from './scrape.ts';

const INVOCATIONS = 'journey_engine_function_invocations_total';
const FAILURES = 'journey_engine_function_sandbox_failures_total';
const ENTRY = 'Metrics Function Entry';
const CODE = `
async function onTrack(event) {
  // A test run gets the event as given; a journey send carries the entry event in journey_context.
  const entry = event.properties && event.properties.journey_context ? event.properties.journey_context['${ENTRY}'] : event;
  const mode = entry && entry.properties && entry.properties.mode;
  if (mode === 'spin') { for (;;) {} }
  if (mode === 'hang') await new Promise(() => {});
  if (mode === 'invalid') throw new ValidationError('no email');
  return 'fine';
}
`;

describe('metrics: destination functions', function () {
  this.timeout(30_000);
  let t: TestEngine;

  before(async () => {
    t = await startFunctionsEngine({ functions: { cpuTimeoutMs: 200, wallTimeoutMs: 600 } });
  });
  after(async () => { await t?.close(); });

  it('counts a successful call, a CPU timeout and a wall-clock timeout, and times them', async () => {
    const fn = await createFunction(t, { name: 'Metrics modes', code: CODE });
    const before = await scrape(t.url);
    expect(await testRun(t, fn.id, { event: trackEvent('X', { properties: { mode: 'ok' } }) })).to.include({ ok: true, value: 'fine' });
    const spin = await testRun(t, fn.id, { event: trackEvent('X', { properties: { mode: 'spin' } }) });
    expect(spin.error.name).to.equal('TimeoutError');
    const hang = await testRun(t, fn.id, { event: trackEvent('X', { properties: { mode: 'hang' } }) });
    expect(hang.error.name).to.equal('TimeoutError');
    const s = await scrape(t.url);
    const delta = (name: string, labels: Record<string, string> = {}) => s.value(name, labels) - before.value(name, labels);
    expect(delta(INVOCATIONS, { outcome: 'success' })).to.equal(1);
    expect(delta(INVOCATIONS, { outcome: 'error' })).to.equal(2);
    expect(delta(FAILURES, { reason: 'cpu_timeout' })).to.equal(1);
    expect(delta(FAILURES, { reason: 'wall_timeout' })).to.equal(1);
    expect(delta('journey_engine_function_duration_seconds_count')).to.equal(3);
  });

  it("counts a delivery's call on the processing worker; the function's own error is not a sandbox failure", async () => {
    await seedCatalog(t, ENTRY);
    const functionId = await deployedFunction(t, { name: 'Metrics delivery', code: CODE });
    const journeyId = await createJourney(t, sendOnEntry('Metrics function journey', ENTRY, { target: functionTarget(functionId) }));
    await ok(t.api('POST', `/api/v1/journeys/${journeyId}/publish`, {}));
    const before = await scrape(t.url);
    await ok(t.ingest('/v1/track', { userId: 'fn-user', event: ENTRY, properties: { mode: 'invalid' } }));
    await t.settle();
    const s = await scrape(t.url);
    const delta = (name: string, labels: Record<string, string> = {}) => s.value(name, labels) - before.value(name, labels);
    expect(delta(INVOCATIONS, { outcome: 'error' })).to.equal(1);
    expect(delta(FAILURES)).to.equal(0);
    expect(delta('journey_engine_delivery_attempts_total', { outcome: 'failed' })).to.equal(1);
  });
});
