import type { EngineConfig } from '../config.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import { ProfileService } from '../profiles/profile-service.ts';
import { ProfileFinder } from '../profiles/profile-finder.ts';
import { AudienceService } from '../audiences/audience-service.ts';
import { LiveJourneys } from '../journeys/runtime/live-journeys.ts';
import { JourneyRuntime } from '../journeys/runtime/journey-runtime.ts';
import { TimerLoop } from '../scheduler/timer-loop.ts';
import { BackgroundTasks } from '../scheduler/background-tasks.ts';
import { EventProcessor } from './event-processor.ts';
import type { Agenda, AgendaBackend } from 'agenda';
import { retireDrainedVersions, startEngineJobs } from '../scheduler/engine-jobs.ts';
import { purgeExpired } from '../scheduler/retention.ts';
import type { PluginRegistry } from '../../destinations/plugin-registry.ts';
import { DeliveryDispatcher } from '../delivery/delivery-dispatcher.ts';
import { DeliveryTargets } from '../delivery/delivery-targets.ts';
import type { FunctionRunner } from '../functions/function-runner.ts';
import type { ArrivalFence } from '../ingest/arrival-fence.ts';
import { ProcessingLease } from './processing-lease.ts';
import { repairVersionStates } from '../journeys/runtime/version-repair.ts';
import type { TimerSource } from '../scheduler/timer-loop.ts';
import { EngineMetrics } from '../metrics/engine-metrics.ts';
import type { ProcessingStatus } from './processing-handle.ts';

/** How far another engine process's clock may run behind this one's (MongoDB: several processes share a store). */
const INGEST_CLOCK_SKEW_MS = 60_000;

/**
 * Everything that turns stored events and due timers into state: the event processor (profiles,
 * audiences, catalog, journeys), the journey runtime, the timer loop and the delivery dispatcher.
 * It runs on its own thread (processing-worker.ts), or in the engine's thread for an in-memory
 * store. Its work is done only while this process holds the processing lease (always, for the
 * embedded store; one process at a time of those sharing a MongoDB database).
 */
export class ProcessingCore {
  readonly processor: EventProcessor;
  /** Whether this process is the processor (see processing-lease.ts). */
  readonly lease: ProcessingLease;
  readonly runtime: JourneyRuntime;
  readonly timers: TimerLoop;
  readonly deliveries: DeliveryDispatcher;
  /** Drives the dispatcher's store claims (retries, lost hand-offs) like the timer loop drives timers. */
  readonly deliveryLoop: TimerLoop;
  readonly #store: Store;
  readonly #live: LiveJourneys;
  readonly #audiences: AudienceService;
  readonly #background: BackgroundTasks;
  readonly #agendaBackend: AgendaBackend;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #dedupeWindowMs: number;
  readonly #retention: EngineConfig['retention'];
  readonly #exiting = new Set<string>();
  #exitWatch: NodeJS.Timeout | null = null;
  /** False from the moment the lease is taken until the take-over's recovery is done. */
  #takenOver = false;
  #agenda: Agenda | null = null;
  #running = false;

  /** `agendaBackend` stores the engine's recurring jobs in the same database as the store. */
  constructor(options: {
    config: EngineConfig; store: Store; clock: Clock; logger: Logger; agendaBackend: AgendaBackend; registry: PluginRegistry;
    /** Runs destination functions; without it, deliveries to functions fail. */
    functions?: FunctionRunner;
    /** Where processing records its metrics (default: a registry of its own that nobody reads). */
    metrics?: EngineMetrics;
    /** This process's arrivals being committed: timers never fire past them. */
    arrivals?: ArrivalFence;
  }) {
    const { config, store, clock, logger } = options;
    const metrics = options.metrics ?? new EngineMetrics();
    this.#store = store;
    this.#agendaBackend = options.agendaBackend;
    this.#logger = logger;
    this.#clock = clock;
    this.#dedupeWindowMs = config.dedupeWindowMs;
    this.#retention = config.retention;
    const profiles = new ProfileService(store.profiles);
    this.#audiences = new AudienceService(store.audiences, new ProfileFinder(store.profiles), logger);
    this.#live = new LiveJourneys(store.journeys);
    this.#background = new BackgroundTasks(logger);
    this.lease = new ProcessingLease({
      leases: store.leases, ttlMs: config.processingLeaseMs, logger, onAcquired: () => this.#becameProcessor(),
      // The embedded store is one process's: a lease left in it is this engine's before a restart,
      // to be taken back at once rather than after it expires.
      ...(store.kind === 'sqlite' ? { owner: 'embedded' } : {}),
    });
    const held = () => this.#isProcessor();
    let timers: TimerLoop | null = null;
    let deliveryLoop: TimerLoop | null = null;
    this.deliveries = new DeliveryDispatcher({
      store, clock, logger, targets: new DeliveryTargets({ store, registry: options.registry, clock, ...(options.functions ? { functions: options.functions } : {}) }),
      policy: config.deliveryRetry, onRetry: (at) => deliveryLoop?.notify(at), metrics: metrics.deliveries,
    });
    this.deliveryLoop = new TimerLoop({ source: whileHeld(this.deliveries, held), clock, logger, batchSize: 500 });
    deliveryLoop = this.deliveryLoop;
    this.runtime = new JourneyRuntime({
      store, live: this.#live, clock, audiences: this.#audiences, profiles, logger, onTimer: (at) => timers?.notify(at),
      ...(options.arrivals ? { arrivals: options.arrivals } : {}),
      // Another process is the processor: what this one recorded is claimed there once its hand-off lease ends.
      onDeliveries: (deliveries) => { if (held()) this.deliveries.accept(deliveries); },
    });
    timers = new TimerLoop({ source: whileHeld(this.runtime, held), clock, logger, metrics: metrics.timers });
    this.timers = timers;
    this.processor = new EventProcessor({
      store, profiles, audiences: this.#audiences, journeys: this.runtime, logger, batchSize: config.processorBatchSize, mayRun: held,
      metrics: metrics.processing,
      // Events another engine process stored wake no one here: look for them often (one indexed query).
      idlePollMs: store.kind === 'mongodb' ? 100 : 1000,
    });
    metrics.processing.watch({
      now: () => clock.now(),
      oldestPendingAt: async () => {
        const [oldest] = await store.events.pending(1);
        return oldest ? Date.parse(oldest.receivedAt) : null;
      },
      nextTimerAt: () => store.instances.nextWakeAt(),
      isProcessor: () => this.#isProcessor(),
    });
  }

  /**
   * Takes the processing lease if it is free (finishing what a crash of the last holder
   * interrupted), then starts processing events, timers, deliveries and the recurring jobs.
   */
  async start(): Promise<void> {
    await this.lease.start();
    await this.#background.idle();
    this.processor.start();
    this.timers.start();
    this.deliveryLoop.start();
    this.#watchExits();
    this.#agenda = await startEngineJobs({
      backend: this.#agendaBackend,
      logger: this.#logger,
      work: {
        // A nudge to the timer loop rather than a second drain racing it for the same rows.
        fireDueTimers: async () => { this.timers.kick(); return 0; },
        dispatchDueDeliveries: async () => { this.deliveryLoop.kick(); return 0; },
        recoverOutboxes: async () => (this.#isProcessor() ? this.runtime.recoverOutboxes() : 0),
        resumeVersionExits: async () => { if (this.#isProcessor()) await this.#resumeVersionExits(); },
        retireDrainedVersions: async () => {
          const retired = await retireDrainedVersions(this.#store);
          if (retired > 0) this.#live.invalidate();
          return retired;
        },
        pruneDedupe: () => this.#store.events.pruneDedupe(Date.now() - this.#dedupeWindowMs),
        // Wall-clock time, as record ids are: retention counts from when a record was made.
        purgeExpired: async () => { await purgeExpired(this.#store, this.#retention, this.#dedupeWindowMs, Date.now()); },
      },
    });
    this.#running = true;
  }

  /** Whether processing runs (started, not stopping) and whether this process is the processor. */
  status(): ProcessingStatus {
    return { running: this.#running, processor: this.#isProcessor() };
  }

  /** Whether this process does the processor's work now: it holds the lease and has finished taking over. */
  #isProcessor(): boolean {
    return this.#takenOver && this.lease.held;
  }

  /**
   * This process just became the processor: finish the outboxes a crashed holder left and send the
   * deliveries it had leased (only the processor sends, so every lease is a previous holder's);
   * only then apply events, fire timers and take hand-offs, so that the take-over's claims never
   * race this process's own new sends; then resume version exits.
   */
  #becameProcessor(): void {
    this.#takenOver = false;
    // Another process's ingest stamps arrivals on its own clock: allow for skew between hosts.
    this.runtime.processingSince(this.#clock.now() + (this.#store.kind === 'sqlite' ? 0 : INGEST_CLOCK_SKEW_MS));
    this.#background.run('take over processing', async () => {
      try {
        await this.runtime.recoverOutboxes();
        await this.deliveries.recoverLeases();
      } finally {
        this.#takenOver = true;
      }
      this.processor.wake();
      this.timers.kick();
      this.deliveryLoop.kick();
      await this.#resumeVersionExits();
    });
  }

  /**
   * Versions archived with "exit" through another engine process are marked `exiting` in the
   * store; the processor looks for them every few seconds (a cheap read of the versions).
   */
  #watchExits(): void {
    this.#exitWatch = setInterval(() => {
      if (!this.#isProcessor()) return;
      this.#background.run('resume version exits', () => this.#resumeVersionExits());
    }, EXIT_WATCH_MS);
    this.#exitWatch.unref();
  }

  /**
   * Finishes what lifecycle changes left undone: versions whose state change was lost after their
   * journey's write (a crash mid-publish or mid-archive) are put in the state the journey asks for,
   * then every exiting version's instances are exited.
   */
  async #resumeVersionExits(): Promise<void> {
    const active = await this.#store.journeys.listActiveVersions();
    const repaired = await repairVersionStates(this.#store.journeys, active);
    if (repaired.length > 0) {
      this.#live.invalidate();
      this.#logger.warn('journey versions left in the wrong state by an interrupted publish or archive were repaired', {
        versions: repaired.map((v) => ({ journeyId: v.journeyId, version: v.version, state: v.state })),
      });
    }
    const states = new Map(repaired.map((v) => [`${v.journeyId}#${v.version}`, v.state]));
    for (const v of active) {
      if ((states.get(`${v.journeyId}#${v.version}`) ?? v.state) === 'exiting') this.exitVersion(v.spaceId, v.journeyId, v.version, `version ${v.version} was archived`);
    }
  }

  wake(): void {
    this.processor.wake();
  }

  /** Journeys changed (published, paused, archived…): reload what is live. */
  invalidateJourneys(): void {
    this.#live.invalidate();
  }

  /** Destinations changed (settings, enabled, limits): resolve them again. */
  invalidateDestinations(): void {
    this.deliveries.invalidate();
  }

  /** Audience rules changed: recompile them. */
  invalidateAudiences(): void {
    this.#audiences.invalidate();
  }

  /** Exits every active instance of an archived version, then retires it (resumed after a restart). */
  exitVersion(spaceId: string, journeyId: string, version: number, reason: string): void {
    this.#live.invalidate();
    // Instances are the processor's to write: it finds the version marked exiting (#watchExits).
    if (!this.#isProcessor()) return;
    const key = `${journeyId}#${version}`;
    if (this.#exiting.has(key)) return;
    this.#exiting.add(key);
    this.#background.run(`exit ${key}`, async () => {
      try {
        await this.runtime.exitVersion(spaceId, journeyId, version, reason);
        await this.#store.journeys.setVersionState(spaceId, journeyId, version, 'retired');
        this.#live.invalidate();
      } finally {
        this.#exiting.delete(key);
      }
    });
  }

  /** Waits until stored events are processed, due timers fired and background work done; answers timers fired. */
  async settle(): Promise<number> {
    let fired = 0;
    for (let round = 0; round < 100; round++) {
      await this.processor.idle();
      await this.#background.idle();
      const n = await this.timers.drain();
      fired += n;
      const sent = await this.deliveries.drain();
      if (n === 0 && sent === 0 && !this.#background.busy) return fired;
    }
    return fired;
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#exitWatch) clearInterval(this.#exitWatch);
    this.#exitWatch = null;
    await this.#agenda?.stop();
    this.#agenda = null;
    await this.processor.stop();
    await this.timers.stop();
    await this.deliveryLoop.stop();
    await this.deliveries.stop();
    await this.#background.idle();
    await this.lease.stop();
  }
}

/** How often the processor looks for versions another process marked `exiting`. */
const EXIT_WATCH_MS = 3_000;

/** A timer source that does nothing while this process is not the processor. */
function whileHeld(source: TimerSource, held: () => boolean): TimerSource {
  return {
    fireDue: (limit) => (held() ? source.fireDue(limit) : Promise.resolve(0)),
    nextWakeAt: () => (held() ? source.nextWakeAt() : Promise.resolve(null)),
  };
}
