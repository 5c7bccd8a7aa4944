import { expect } from 'chai';
import { IngestBackpressure } from '../../engine/ingest/ingest-backpressure.ts';
import { EngineError } from '../../engine/errors.ts';
import { createLogger } from '../../engine/logger.ts';
import type { EventBacklog } from '../../engine/store/event-store.ts';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');

/** A gate over a backlog the test sets, with engine and wall clocks the test moves. */
function gate(bounds: { maxPendingEvents: number; maxLagMs: number }) {
  const state = {
    backlog: { pending: 0, oldestReceivedAt: null } as EventBacklog,
    now: T0, wall: 0, reads: 0, limits: [] as number[], fail: false, changes: [] as boolean[],
  };
  const backpressure = new IngestBackpressure({
    ...bounds,
    events: {
      backlog: async (countLimit: number) => {
        state.reads++;
        state.limits.push(countLimit);
        if (state.fail) throw new Error('store down');
        return { ...state.backlog, pending: Math.min(state.backlog.pending, countLimit) };
      },
    },
    now: () => state.now, wallNow: () => state.wall, logger: createLogger('error', true),
    onChange: (refusing) => state.changes.push(refusing),
  });
  const pending = async (n: number) => {
    state.backlog = { pending: n, oldestReceivedAt: n > 0 ? new Date(state.now).toISOString() : null };
    await backpressure.refresh();
  };
  return { backpressure, state, pending };
}

/** The refusal `check` throws, or null. */
function refusal(backpressure: IngestBackpressure): EngineError | null {
  try {
    backpressure.check();
    return null;
  } catch (error) {
    expect(error).to.be.instanceOf(EngineError);
    return error as EngineError;
  }
}

describe('reliability: ingest backpressure gate', () => {
  it('refuses past the pending bound and resumes only under 80% of it (hysteresis)', async () => {
    const { backpressure, state, pending } = gate({ maxPendingEvents: 100, maxLagMs: 0 });
    await pending(100);
    expect(refusal(backpressure), 'at the bound').to.equal(null);
    await pending(101);
    const error = refusal(backpressure);
    expect(error?.code).to.equal('backpressure');
    expect(error?.status).to.equal(429);
    expect(error?.retryAfterSeconds).to.equal(1);
    expect(error?.message).to.match(/101 events waiting/);
    await pending(90);
    expect(refusal(backpressure)?.code, 'still above 80').to.equal('backpressure');
    await pending(81);
    expect(refusal(backpressure)?.code, 'still above 80').to.equal('backpressure');
    await pending(80);
    expect(refusal(backpressure), 'at 80% it accepts again').to.equal(null);
    await pending(95);
    expect(refusal(backpressure), 'and keeps accepting until the bound is passed again').to.equal(null);
    expect(state.changes).to.deep.equal([true, false]);
    expect(state.limits.every((l) => l === 101), 'counts only up to one past the bound').to.equal(true);
  });

  it('refuses when the oldest waiting event is older than the lag bound, and resumes under 80% of it', async () => {
    const { backpressure, state, pending } = gate({ maxPendingEvents: 0, maxLagMs: 10_000 });
    await pending(1);
    state.now += 10_001;
    await backpressure.refresh();
    expect(refusal(backpressure)?.message).to.match(/the oldest for 10 s/);
    state.backlog = { pending: 1, oldestReceivedAt: new Date(state.now - 8_001).toISOString() };
    await backpressure.refresh();
    expect(refusal(backpressure)?.code, 'lag 8.001 s > 8 s').to.equal('backpressure');
    state.backlog = { pending: 1, oldestReceivedAt: new Date(state.now - 8_000).toISOString() };
    await backpressure.refresh();
    expect(refusal(backpressure)).to.equal(null);
    expect(state.limits.every((l) => l === 0), 'counts nothing without a pending bound').to.equal(true);
  });

  it('asks for a longer Retry-After the longer refusing lasts: half of it, from 1 s up to 60 s', async () => {
    const { backpressure, state, pending } = gate({ maxPendingEvents: 10, maxLagMs: 0 });
    await pending(11);
    expect(refusal(backpressure)?.retryAfterSeconds).to.equal(1);
    state.wall += 9_000;
    expect(refusal(backpressure)?.retryAfterSeconds).to.equal(5);
    state.wall += 600_000;
    expect(refusal(backpressure)?.retryAfterSeconds).to.equal(60);
    await pending(0);
    await pending(11);
    expect(refusal(backpressure)?.retryAfterSeconds, 'a new episode starts again at 1 s').to.equal(1);
  });

  it('keeps its last decision while the backlog cannot be read', async () => {
    const { backpressure, state, pending } = gate({ maxPendingEvents: 10, maxLagMs: 0 });
    await pending(11);
    state.fail = true;
    await backpressure.refresh();
    expect(refusal(backpressure)?.code).to.equal('backpressure');
    state.fail = false;
    await pending(0);
    expect(refusal(backpressure)).to.equal(null);
  });

  it('reads the backlog on a timer, never twice at once, and not at all when both bounds are off', async () => {
    const on = gate({ maxPendingEvents: 10, maxLagMs: 0 });
    await Promise.all([on.backpressure.refresh(), on.backpressure.refresh(), on.backpressure.refresh()]);
    expect(on.state.reads, 'concurrent refreshes share one read').to.equal(1);
    let timedReads = 0;
    const timed = new IngestBackpressure({
      events: { backlog: async () => { timedReads++; return { pending: 0, oldestReceivedAt: null }; } },
      maxPendingEvents: 10, maxLagMs: 0, now: Date.now, logger: createLogger('error', true), refreshMs: 20,
    });
    await timed.start();
    expect(timedReads, 'start reads once before answering').to.equal(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await timed.stop();
    const afterStop = timedReads;
    expect(afterStop, 'about every 20 ms').to.be.within(4, 10);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(timedReads, 'no read after stop').to.equal(afterStop);

    const off = gate({ maxPendingEvents: 0, maxLagMs: 0 });
    await off.backpressure.start();
    await off.backpressure.stop();
    expect(off.state.reads).to.equal(0);
  });
});
