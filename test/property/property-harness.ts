/**
 * Running property tests: a fixed seed and run count per property, printed with the number of
 * cases actually generated, and an engine that records every error it logs (a 5xx, or a failure
 * in processing that no HTTP answer would show).
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import fc from 'fast-check';
import { expect } from 'chai';
import { startTestEngine, type Answer, type TestEngine } from '../support/test-engine.ts';

/** How one property is run: its fixed seed and how many cases to generate. */
export interface PropertyRun {
  seed: number;
  numRuns: number;
  /** Stops generating (and shrinking) after this long; default 60 s, so a failure's shrinking cannot run away. */
  timeLimitMs?: number;
}

/**
 * Runs a property with its fixed seed, prints `name: N cases, seed S`, and fails with fast-check's
 * report (counterexample, seed, path). To explore beyond the fixed cases, PROPERTY_SEED replaces
 * every seed and PROPERTY_RUNS_FACTOR multiplies the run counts.
 */
export async function checkProperty<Ts>(name: string, property: fc.IRawProperty<Ts>, run: PropertyRun): Promise<void> {
  const started = performance.now();
  const seed = process.env['PROPERTY_SEED'] ? Number(process.env['PROPERTY_SEED']) : run.seed;
  const numRuns = Math.max(1, Math.round(run.numRuns * Number(process.env['PROPERTY_RUNS_FACTOR'] ?? 1)));
  const details = await fc.check(property, {
    seed, numRuns, includeErrorInReport: true, interruptAfterTimeLimit: run.timeLimitMs ?? 60_000,
  });
  const ms = Math.round(performance.now() - started);
  const interrupted = details.interrupted ? ' (interrupted by the time limit)' : '';
  console.log(`      [property] ${name}: ${details.numRuns} cases${interrupted}, seed ${seed}, ${ms} ms`);
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? `\n${details.errorInstance.stack ?? details.errorInstance.message}` : '';
  throw new Error(`${fc.defaultReportMessage(details) ?? `property '${name}' failed`}${cause}`);
}

/** A test engine whose logged errors are kept, so a property can require that nothing went wrong inside. */
export interface PropertyEngine extends TestEngine {
  /** Error-level log entries since the engine started (message and metadata). */
  loggedErrors: Array<Record<string, unknown>>;
  /** Waits for processing to finish, and fails if it does not within `timeoutMs` (default 10 s). */
  settleWithin(timeoutMs?: number): Promise<void>;
}

/** A log transport that keeps each error-level entry, errors in its metadata spelled out with their stacks. */
function captureErrors(entries: Array<Record<string, unknown>>): winston.transport {
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _encoding, done) {
      entries.push(JSON.parse(JSON.stringify(info, (_key, value: unknown) =>
        (value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value))) as Record<string, unknown>);
      done();
    },
  });
  return new winston.transports.Stream({ stream, level: 'error' });
}

/** An in-memory engine (single thread: processing errors reach the same logger) that records what it logs at error level. */
export async function startPropertyEngine(): Promise<PropertyEngine> {
  const t = await startTestEngine({ dataDir: ':memory:' });
  const loggedErrors: Array<Record<string, unknown>> = [];
  // The test logger is silent; errors are the one thing a property wants to hear about.
  t.engine.logger.clear();
  t.engine.logger.add(captureErrors(loggedErrors));
  t.engine.logger.silent = false;
  return Object.assign(t, {
    loggedErrors,
    async settleWithin(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`processing did not settle within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([t.settle(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  });
}

/** Whether an answer is a well-formed client error: 4xx with a string `error.code` and a non-empty `error.message`. */
export function isClientError(res: Answer): boolean {
  const error = (res.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return res.status >= 400 && res.status < 500 && typeof error?.code === 'string' && typeof error.message === 'string' && error.message.length > 0;
}

/** Asserts the answer is `allowed` success or a well-formed 4xx; never a 5xx (the body is shown when it is not). */
export function expectSuccessOrClientError(res: Answer, allowed: readonly number[], what: string): void {
  const ok = allowed.includes(res.status) || isClientError(res);
  expect(ok, `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 2000)}`).to.equal(true);
}

/** Asserts that the engine logged no error since the last check (an unexpected failure inside a request or in processing), except known ones. */
export function expectNoLoggedErrors(t: PropertyEngine, what: string, isKnown: (entry: Record<string, unknown>) => boolean = () => false): void {
  // Taken out as they are checked, so the next check sees only what happened since.
  const errors = t.loggedErrors.splice(0).filter((e) => !isKnown(e)).map((e) => JSON.stringify(e).slice(0, 3000));
  expect(errors.length, `${what}: the engine logged ${errors.length} error(s); the first: ${errors[0]}`).to.equal(0);
}

/** How many events the default space's log holds (pages through `GET /api/v1/events`). */
export async function countEvents(t: TestEngine): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? 'limit=1000' : `limit=1000&cursor=${encodeURIComponent(cursor)}`;
    const res = await t.api('GET', `/api/v1/events?${query}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    count += (res.body.events as unknown[]).length;
    cursor = res.body.nextCursor as string | null;
  } while (cursor !== null);
  return count;
}
