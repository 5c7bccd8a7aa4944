/**
 * A processing thread that dies is replaced: readiness reports processing down meanwhile, ingest
 * keeps acknowledging, and the new thread processes what arrived while there was none. After the
 * engine is closed, a dying thread is not replaced.
 */
import { expect } from 'chai';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { WorkerProcessing } from '../../engine/processing/worker-processing.ts';

function workerOf(t: TestEngine): WorkerProcessing {
  const processing = t.engine.processing;
  if (!(processing instanceof WorkerProcessing)) throw new Error('expected processing on its own thread (a file store)');
  return processing;
}

/** Polls `check` every 50 ms until it answers true, failing after `ms`. */
async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('processing: a dead processing thread is replaced', function () {
  this.timeout(30_000);
  let t: TestEngine;
  beforeEach(async () => { t = await startTestEngine(); });
  afterEach(async () => { await t?.close(); });

  it('reports not ready while it is gone, then processes what arrived meanwhile on a new thread', async () => {
    const first = workerOf(t).worker;
    const gone = new Promise((resolve) => first.once('exit', resolve));
    // terminate() from outside is what a thread's death looks like to the engine: an exit it did not ask for.
    await first.terminate();
    await gone;

    const whileDown = await t.ingest('/v1/identify', { userId: 'u-restart', traits: { plan: 'pro' } });
    expect(whileDown.status, 'ingest does not need the processing thread').to.equal(200);
    const ready = await fetch(`${t.url}/ready`);
    expect(ready.status, 'readiness reports processing down').to.equal(503);
    expect(((await ready.json()) as { checks: { scheduler: { ok: boolean } } }).checks.scheduler.ok).to.equal(false);

    await eventually('a new thread is processing', async () => (await fetch(`${t.url}/ready`)).status === 200);
    expect(workerOf(t).worker).to.not.equal(first);
    await t.settle();
    const profile = await t.api('GET', '/api/v1/profiles/lookup?userId=u-restart');
    expect(profile.status, 'the identify sent while no thread ran was processed by the new one').to.equal(200);
    expect(profile.body.profile.traits).to.deep.include({ plan: 'pro' });
  });

  it('does not replace a thread that dies while the engine closes', async () => {
    const processing = workerOf(t);
    const first = processing.worker;
    await t.close();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(processing.worker, 'no new thread after close').to.equal(first);
    expect(first.threadId, 'the old thread is gone').to.equal(-1);
  });
});
