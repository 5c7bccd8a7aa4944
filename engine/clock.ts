/** The engine's notion of "now", so that journey time can be driven by tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** True when time moves only through `advance` (the test clock). */
  readonly manual: boolean;
}

/** Real time. */
export const systemClock: Clock = { now: () => Date.now(), manual: false };

/** A clock that starts at real time and then moves only when told to (ENGINE_TEST_CLOCK=1). */
export class ManualClock implements Clock {
  readonly manual = true;
  #offsetMs = 0;

  /** Real time plus every advance so far: the clock never runs slower than real time. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Moves engine time forward by `ms`. */
  advance(ms: number): void {
    this.#offsetMs += ms;
  }
}
