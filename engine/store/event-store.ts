/** The Segment message types the engine accepts. */
export type MessageType = 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';

/** A normalized Segment message as stored in a space's event log. */
export interface EventRecord {
  /** Time-ordered unique id (ULID), assigned at ingest. */
  id: string;
  spaceId: string;
  messageId: string;
  type: MessageType;
  /** Track event name; page/screen name; null otherwise. */
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** When the event happened (ISO-8601), corrected for client clock skew as Segment does. */
  timestamp: string;
  /** When the engine stored it (ISO-8601). */
  receivedAt: string;
  /** The whole normalized message. */
  message: Record<string, unknown>;
}

/** What happened to one message offered to the log. */
export type AppendOutcome = 'stored' | 'duplicate';

/** Filters for reading a space's event log, newest first. */
export interface EventQuery {
  userId?: string;
  anonymousId?: string;
  type?: MessageType;
  name?: string;
  /** Cursor from a previous page. */
  cursor?: string;
  limit: number;
}

/** How far processing is behind: what ingest backpressure is decided on. */
export interface EventBacklog {
  /** Stored events not yet processed, counted up to the `countLimit` asked for (so never more than it). */
  pending: number;
  /** When the oldest of them was received (the `receivedAt` of the first event `pending(1)` would answer), or null when none waits. */
  oldestReceivedAt: string | null;
}

/** The append-only event log and its processing cursor. */
export interface EventStore {
  /**
   * Appends messages durably, in order. A message whose (space, messageId) was stored less than
   * `dedupeWindowMs` before `now` is a duplicate and is not stored again (nor is a repeat within
   * the same call).
   */
  append(events: EventRecord[], options: { dedupeWindowMs: number; now: number }): Promise<AppendOutcome[]>;
  /** Stored events not yet marked processed, oldest first, across all spaces. */
  pending(limit: number): Promise<EventRecord[]>;
  /**
   * How many events wait to be processed (up to `countLimit`) and when the oldest arrived. It
   * reads what processing has marked in the store, whichever thread or process did it, and costs
   * no more than counting `countLimit` index entries (the embedded store: two index lookups).
   */
  backlog(countLimit: number): Promise<EventBacklog>;
  /** Marks events processed: a prefix of what this store's `pending` returned, in that order. */
  markProcessed(events: readonly EventRecord[]): Promise<void>;
  /** One event by id. */
  get(spaceId: string, id: string): Promise<EventRecord | null>;
  /**
   * The newest stored event of the space with this Segment messageId (a messageId is stored
   * again once its dedupe window has passed), found even after pruneDedupe forgot it. With
   * `userId`, only that user's event is answered (and a lookup past the dedupe window reads only
   * that user's events).
   */
  findByMessageId(spaceId: string, messageId: string, hint?: { userId?: string }): Promise<EventRecord | null>;
  /**
   * Deletes up to `limit` events created before `beforeId` (ids are time-ordered) that have been
   * processed, across spaces; answers how many. An event not yet processed is never deleted.
   */
  purgeProcessedBefore(beforeId: string, limit: number): Promise<number>;
  /** A space's event log, newest first. */
  list(spaceId: string, query: EventQuery): Promise<{ items: EventRecord[]; nextCursor: string | null }>;
  /** Forgets messageIds older than the dedupe window (the events themselves stay). */
  pruneDedupe(olderThan: number): Promise<number>;
}
