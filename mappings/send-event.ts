/**
 * The Segment event a journey send carries, and so the input every send-step mapping reads.
 * The engine builds it when an instance reaches a send step; mappings address it by path
 * (`properties.journey_context.checkout_started.properties.email`, `context.traits.first_name`).
 */
export interface SendEvent {
  type: 'track';
  /** The send step's custom event name. */
  event: string;
  /** The delivery's idempotency key: stable across retries of the same send. */
  messageId: string;
  timestamp: string;
  userId?: string | null;
  anonymousId?: string | null;
  properties: {
    /** Each captured event by name (the entry event) or hold-until alias: its full Segment message. */
    journey_context: Record<string, unknown>;
    [key: string]: unknown;
  };
  context: {
    /** The profile traits the step's `payload.traits` selects. */
    traits: Record<string, unknown>;
    journey: {
      id: string;
      name: string;
      version: number;
      instance_id: string;
      step_id: string;
      activation_key: string;
      identifier?: unknown;
      idempotency_key: string;
    };
    [key: string]: unknown;
  };
}

/** The top-level keys a send event has: a mapping path starting anywhere else finds nothing. */
export const SEND_EVENT_ROOTS: readonly string[] = [
  'type', 'event', 'messageId', 'timestamp', 'userId', 'anonymousId', 'properties', 'context',
];
