/**
 * The chaos scenario, shortened, as part of `npm test`: the real engine SIGKILLed and restarted
 * twice under a steady load of journeys sending to a misbehaving sink, then drained and checked
 * against every invariant (see chaos-scenario.ts; `npm run chaos` is the long run). No timing
 * thresholds: the waits are bounded generously and only the invariants decide.
 */
import { expect } from 'chai';
import { runChaos } from './chaos-scenario.ts';

describe('chaos: SIGKILLs and restarts under load', function () {
  // ~15 s of load, the restarts and the drain take well under a minute; the bound is for a loaded machine.
  this.timeout(600_000);

  it('loses, duplicates and strands nothing: events, instances, timers, deliveries and figures all agree', async () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const lines: string[] = [];
    const result = await runChaos({
      seconds: 15, restarts: 2, ratePerSecond: 40, seed, drainTimeoutSeconds: 240,
      log: (line) => lines.push(line),
    });
    console.log(`      ${result.summary}`);
    for (const issue of result.knownIssues) console.log(`      known engine issue: ${issue}`);
    expect(result.restarts, 'the engine was killed and restarted').to.equal(2);
    expect(result.counts.events.acknowledged, 'the load ran').to.be.greaterThan(100);
    expect(result.violations, `${result.summary}\n${lines.join('\n')}\n${result.engineStderr.join('\n')}\ndata kept in ${result.keptDataDir}`).to.deep.equal([]);
  });
});
