import { Agenda, type AgendaBackend } from 'agenda';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';

/** The recurring work the jobs run; each operation is idempotent and safe to run on any process. */
export interface EngineJobWork {
  /** Makes the timer loop look for due timers now (a catch-up, e.g. for timers written by other processes). */
  fireDueTimers(): Promise<number>;
  /** Makes the delivery loop claim due deliveries now (retries, hand-offs lost in a crash). */
  dispatchDueDeliveries(): Promise<number>;
  /** Finishes outboxes a crash left on instances. */
  recoverOutboxes(): Promise<number>;
  /** Exits instances of archived versions that nobody is exiting yet. */
  resumeVersionExits(): Promise<void>;
  /** Retires draining versions that have no active instance left. */
  retireDrainedVersions(): Promise<number>;
  /** Forgets messageIds older than the dedupe window. */
  pruneDedupe(): Promise<number>;
  /** Deletes processed events and activity records older than their retention. */
  purgeExpired(): Promise<void>;
}

/** Job names and how often each runs. */
export const ENGINE_JOBS = {
  'journey-timers-catch-up': '5 seconds',
  'deliveries-catch-up': '5 seconds',
  'recover-outboxes': '1 minute',
  'resume-version-exits': '1 minute',
  'retire-drained-versions': '5 minutes',
  'prune-dedupe': '10 minutes',
  'purge-expired': '1 hour',
} as const;

/**
 * Agenda runs the engine's durable, coordinated, recurring work: with several engine processes
 * on one database, each job runs on one process at a time, and a job whose process died is
 * taken over after its lock lifetime. Journey timers themselves are not Agenda jobs (see
 * timer-loop.ts): this only catches up on them.
 */
export async function startEngineJobs(options: { backend: AgendaBackend; work: EngineJobWork; logger: Logger }): Promise<Agenda> {
  const { work, logger } = options;
  const agenda = new Agenda({ backend: options.backend, processEvery: 1000, defaultLockLifetime: 5 * 60_000, name: `engine-${process.pid}` });
  const handlers: Record<keyof typeof ENGINE_JOBS, () => Promise<unknown>> = {
    'journey-timers-catch-up': () => work.fireDueTimers(),
    'deliveries-catch-up': () => work.dispatchDueDeliveries(),
    'recover-outboxes': () => work.recoverOutboxes(),
    'resume-version-exits': () => work.resumeVersionExits(),
    'retire-drained-versions': () => work.retireDrainedVersions(),
    'prune-dedupe': () => work.pruneDedupe(),
    'purge-expired': () => work.purgeExpired(),
  };
  for (const [name, handler] of Object.entries(handlers)) {
    agenda.define(name, async () => {
      try {
        await handler();
      } catch (error) {
        logger.error('engine job failed', { job: name, error });
        throw error;
      }
    }, { concurrency: 1 });
  }
  agenda.on('error', (error: unknown) => logger.error('agenda error', { error }));
  await agenda.start();
  for (const [name, interval] of Object.entries(ENGINE_JOBS)) await agenda.every(interval, name);
  return agenda;
}

/** Versions left draining with no active instance become retired (the runtime stops tracking them). */
export async function retireDrainedVersions(store: Store): Promise<number> {
  let retired = 0;
  for (const v of await store.journeys.listActiveVersions()) {
    if (v.state !== 'draining') continue;
    const active = await store.instances.listByJourney(v.spaceId, v.journeyId, { status: 'active', version: v.version, after: null, limit: 1 });
    if (active.length === 0) {
      await store.journeys.setVersionState(v.spaceId, v.journeyId, v.version, 'retired');
      retired++;
    }
  }
  return retired;
}
