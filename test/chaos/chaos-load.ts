/**
 * Steady load of realistic journeys for the chaos run. Short "user scripts" start at a pace that
 * offers about `ratePerSecond` events: a sign-up (identify with a plan, then signed up, sometimes
 * twice), a checkout followed seconds later by a purchase or not, an order sometimes cancelled,
 * app opens in a row, and noise no journey listens to. A script sends its events one after the
 * other, each acknowledged before the next (as a real user's actions are ordered), so the
 * follow-up events — a purchase, a cancellation — arrive before or after the journey's timer
 * expires, by chance.
 */
import type { ChaosClient, ChaosMessage } from './chaos-client.ts';
import type { ChaosRandom } from './chaos-random.ts';
import { CHAOS_EVENTS } from './chaos-journeys.ts';

/** Options of the load. */
export interface ChaosLoadOptions {
  client: ChaosClient;
  random: ChaosRandom;
  /** Events offered per second, on average. */
  ratePerSecond: number;
  /** Makes ids unique to this run. */
  runTag: string;
}

type ScriptKind = 'signup' | 'cart' | 'order' | 'app' | 'noise';

/** How often each script starts, relative to the others. */
const SCRIPT_WEIGHTS: Readonly<Record<ScriptKind, number>> = { signup: 2, cart: 3, order: 3, app: 2, noise: 2 };
/** Events each script sends on average (see the scripts below). */
const SCRIPT_EVENTS: Readonly<Record<ScriptKind, number>> = { signup: 2.2, cart: 1.55, order: 1.35, app: 2, noise: 1 };
/** Users kept for scripts that act as an existing user: a small pool, so one user often has several scripts at once. */
const USER_POOL = 300;
const TICK_MS = 50;

/** Starts user scripts at a steady pace until stopped. */
export class ChaosLoad {
  readonly #o: ChaosLoadOptions;
  readonly #users: string[] = [];
  readonly #running = new Set<Promise<void>>();
  #stopped = false;
  /** Scripts pausing between two events: woken at once by stop(). */
  readonly #pauses = new Set<() => void>();
  /** Scripts that failed (a harness bug, reported as a violation). */
  readonly problems: string[] = [];
  #ticker: NodeJS.Timeout | null = null;
  #counter = 0;
  #scripts = 0;
  #abandoned = 0;

  constructor(options: ChaosLoadOptions) {
    this.#o = options;
  }

  /** Starts the scripts. */
  start(): void {
    const started = Date.now();
    const perScript = Object.entries(SCRIPT_WEIGHTS).reduce((sum, [kind, w]) => sum + w * SCRIPT_EVENTS[kind as ScriptKind], 0)
      / Object.values(SCRIPT_WEIGHTS).reduce((sum, w) => sum + w, 0);
    const scriptsPerSecond = this.#o.ratePerSecond / perScript;
    this.#ticker = setInterval(() => {
      const due = Math.floor(((Date.now() - started) / 1000) * scriptsPerSecond);
      while (this.#scripts < due && !this.#stopped) this.#launch(this.#o.random.weighted(SCRIPT_WEIGHTS));
    }, TICK_MS);
  }

  /** Stops starting scripts and lets running ones finish what they are sending (no new events). */
  async stop(): Promise<void> {
    this.halt();
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  /** Stops starting scripts and wakes pausing ones (they send nothing more); does not wait for them. */
  halt(): void {
    this.#stopped = true;
    if (this.#ticker) clearInterval(this.#ticker);
    for (const wake of this.#pauses) wake();
  }

  /** Scripts started, and how many of them stopped early because an event was not acknowledged. */
  get counts(): { scripts: number; abandoned: number } {
    return { scripts: this.#scripts, abandoned: this.#abandoned };
  }

  #launch(kind: ScriptKind): void {
    this.#scripts++;
    const run = this.#script(kind).catch((error: unknown) => {
      this.problems.push(`load script ${kind} failed: ${(error as Error).stack ?? String(error)}`);
    });
    this.#running.add(run);
    void run.finally(() => this.#running.delete(run));
  }

  async #script(kind: ScriptKind): Promise<void> {
    const r = this.#o.random;
    switch (kind) {
      case 'signup': {
        const userId = this.#id('u');
        const plan = r.chance(0.3) ? 'pro' : 'free';
        if (!await this.#send({ type: 'identify', userId, traits: { plan, email: `${userId}@chaos.example` } })) return;
        if (!await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.signup, properties: { plan } })) return;
        this.#remember(userId);
        if (r.chance(0.2) && await this.#pause(r.between(200, 3_000))) await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.signup, properties: { plan } });
        return;
      }
      case 'cart': {
        const userId = this.#someUser();
        const cartId = this.#id('cart');
        const total = r.int(20, 200);
        if (!await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.checkout, properties: { cart_id: cartId, total } })) return;
        // The hold waits 4 s: purchases come at 0–7 s, so some are in time and some are not.
        if (r.chance(0.55) && await this.#pause(r.between(0, 7_000))) {
          await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.purchase, properties: { cart_id: cartId, total } });
        }
        return;
      }
      case 'order': {
        const userId = this.#someUser();
        const orderId = this.#id('order');
        if (!await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.order, properties: { order_id: orderId } })) return;
        // The cool-off delay is 3 s: cancellations at 0–6 s land before or after it.
        if (r.chance(0.35) && await this.#pause(r.between(0, 6_000))) {
          await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.cancel, properties: { order_id: orderId } });
        }
        return;
      }
      case 'app': {
        const userId = this.#someUser();
        const opens = r.int(1, 3);
        for (let i = 0; i < opens; i++) {
          if (i > 0 && !await this.#pause(r.between(300, 4_000))) return;
          if (!await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.appOpened, properties: { screen: r.pick(['home', 'cart', 'search']) } })) return;
        }
        return;
      }
      case 'noise': {
        const userId = this.#someUser();
        if (r.chance(0.5)) await this.#send({ type: 'page', userId, name: r.pick(['Home', 'Pricing', 'Docs']) });
        else await this.#send({ type: 'track', userId, event: CHAOS_EVENTS.noise, properties: { n: r.int(1, 1000) } });
        return;
      }
      default: {
        const never: never = kind;
        throw new Error(`unknown script ${String(never)}`);
      }
    }
  }

  /** Sends one event; false when it was not acknowledged (the script then stops, as a client that lost it). */
  async #send(message: Omit<ChaosMessage, 'messageId'>): Promise<boolean> {
    const acked = await this.#o.client.send({ ...message, messageId: this.#id('m') });
    if (!acked) this.#abandoned++;
    return acked;
  }

  /** Waits; false when the load was stopped meanwhile (the script sends nothing more). */
  async #pause(ms: number): Promise<boolean> {
    if (this.#stopped) return false;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#pauses.add(wake);
    });
    return !this.#stopped;
  }

  #someUser(): string {
    if (this.#users.length < 20 || this.#o.random.chance(0.1)) {
      const userId = this.#id('u');
      this.#remember(userId);
      return userId;
    }
    return this.#o.random.pick(this.#users);
  }

  #remember(userId: string): void {
    this.#users.push(userId);
    if (this.#users.length > USER_POOL) this.#users.shift();
  }

  #id(prefix: string): string {
    return `${prefix}-${this.#o.runTag}-${(++this.#counter).toString(36)}`;
  }
}
