/**
 * How long a claimed delivery is reserved for the dispatcher that holds it. A delivery recorded
 * by this process is handed to its dispatcher in memory and stored leased for this long, so the
 * polling path only picks it up when the hand-off was lost (the process died). It must exceed
 * the longest attempt (request timeout plus queueing behind the destination's limits).
 */
export const DELIVERY_HANDOFF_LEASE_MS = 120_000;
