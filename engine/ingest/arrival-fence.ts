/**
 * Arrivals still being committed, shared between the ingest thread and the processing thread.
 *
 * Why: a hold-until deadline is judged by when an event arrived (`receivedAt`), stamped before
 * the event's group commit; a timer must not fire past an arrival that is stamped but not yet
 * visible to the processor, or a purchase that arrived in time could still time out (the chaos
 * suite caught this). Ingest takes a slot before it reads the clock and frees it once the event
 * is committed; the timer loop never fires past the earliest slot.
 *
 * Slots hold 0 (free), RESERVED (taken, time not read yet) or the arrival time in ms. Reserving
 * before reading the clock is what makes it exact across threads: a slot the timer loop does
 * not see was reserved after its scan, so its time is later than the clock the loop read first.
 */
const FREE = 0n;
const RESERVED = 1n;
/** Concurrent appends tracked one by one; beyond this an overflow count holds every timer back. */
const SLOTS = 4096;

/** One arrival in flight: its time, and how to say it is committed (or refused). */
export interface Arrival {
  at: number;
  leave(): void;
}

/** The shared arrival fence (see above). */
export class ArrivalFence {
  readonly #slots: BigInt64Array;
  readonly #overflow: Int32Array;
  #next = 0;

  /** A fence over `buffer` (from `ArrivalFence.createBuffer()`), or a new one. */
  constructor(buffer: SharedArrayBuffer = ArrivalFence.createBuffer()) {
    this.#slots = new BigInt64Array(buffer, 0, SLOTS);
    this.#overflow = new Int32Array(buffer, SLOTS * 8, 1);
  }

  /** Memory for a fence, to hand to the processing thread. */
  static createBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(SLOTS * 8 + 4);
  }

  /** The buffer behind this fence. */
  get buffer(): SharedArrayBuffer {
    return this.#slots.buffer as SharedArrayBuffer;
  }

  /** Reserves a slot, then reads the clock: the arrival's time is stamped after it is visible. */
  enter(now: () => number): Arrival {
    for (let tried = 0; tried < SLOTS; tried += 1) {
      const slot = (this.#next + tried) % SLOTS;
      if (Atomics.compareExchange(this.#slots, slot, FREE, RESERVED) === FREE) {
        this.#next = (slot + 1) % SLOTS;
        const at = now();
        Atomics.store(this.#slots, slot, BigInt(Math.max(2, at)));
        return { at, leave: () => { Atomics.store(this.#slots, slot, FREE); } };
      }
    }
    Atomics.add(this.#overflow, 0, 1);
    return { at: now(), leave: () => { Atomics.sub(this.#overflow, 0, 1); } };
  }

  /**
   * The earliest arrival not yet committed: its time, null when none, or 'hold' when one is
   * reserved without a time yet (or slots overflowed): then no timer may fire this round.
   */
  earliest(): number | null | 'hold' {
    if (Atomics.load(this.#overflow, 0) > 0) return 'hold';
    let earliest: bigint | null = null;
    for (let slot = 0; slot < SLOTS; slot += 1) {
      const value = Atomics.load(this.#slots, slot);
      if (value === FREE) continue;
      if (value === RESERVED) return 'hold';
      if (earliest === null || value < earliest) earliest = value;
    }
    return earliest === null ? null : Number(earliest);
  }
}
