import type { EventRecord, MessageType } from '../store/event-store.ts';
import { newId } from '../ids.ts';

/** A new event id: time-ordered, so SQLite inserts stay sequential and ids sort by arrival. */
export function newEventId(): string {
  return newId();
}

const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Parses an ISO-8601 date-time; one without a zone is read as UTC, never as local time. */
export function parseIsoTime(value: string): number {
  return Date.parse(HAS_ZONE.test(value) || !value.includes('T') ? value : `${value}Z`);
}

function asId(value: unknown): string | null {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * When the event happened: the client's `timestamp`, else `originalTimestamp` corrected for the
 * client's clock skew (receivedAt - (sentAt - originalTimestamp)), as Segment computes it.
 */
function eventTime(m: Record<string, unknown>, receivedAt: number): number {
  if (typeof m['timestamp'] === 'string') return parseIsoTime(m['timestamp']);
  if (typeof m['originalTimestamp'] === 'string') {
    const original = parseIsoTime(m['originalTimestamp']);
    if (typeof m['sentAt'] === 'string') return receivedAt - (parseIsoTime(m['sentAt']) - original);
    return original;
  }
  return receivedAt;
}

/** Envelope fields a batch shares with its messages. */
export interface BatchEnvelope {
  context?: object;
  integrations?: object;
  sentAt?: string;
}

/** Turns a validated message into the event stored in the log. */
export function normalizeMessage(
  raw: Record<string, unknown>, type: MessageType, spaceId: string, receivedAt: number, envelope: BatchEnvelope = {},
): EventRecord {
  const { writeKey: _writeKey, ...rest } = raw;
  const sentAt = typeof rest['sentAt'] === 'string' ? rest['sentAt'] : envelope.sentAt;
  const id = newEventId();
  const timestamp = new Date(eventTime({ ...rest, sentAt }, receivedAt)).toISOString();
  const receivedIso = new Date(receivedAt).toISOString();
  const userId = asId(rest['userId']);
  const anonymousId = asId(rest['anonymousId']);
  const messageId = typeof rest['messageId'] === 'string' ? rest['messageId'] : `engine-${id}`;
  const message: Record<string, unknown> = {
    ...rest,
    type,
    messageId,
    timestamp,
    receivedAt: receivedIso,
    ...(userId !== null ? { userId } : {}),
    ...(anonymousId !== null ? { anonymousId } : {}),
    ...(envelope.context || rest['context'] ? { context: { ...envelope.context, ...(rest['context'] as object | undefined) } } : {}),
    ...(envelope.integrations || rest['integrations'] ? { integrations: { ...envelope.integrations, ...(rest['integrations'] as object | undefined) } } : {}),
  };
  if (type === 'alias' || type === 'group') {
    const key = type === 'alias' ? 'previousId' : 'groupId';
    message[key] = asId(rest[key]);
  }
  let name: string | null = null;
  if (type === 'track') name = rest['event'] as string;
  else if ((type === 'page' || type === 'screen') && typeof rest['name'] === 'string') name = rest['name'];
  return { id, spaceId, messageId, type, name, userId, anonymousId, timestamp, receivedAt: receivedIso, message };
}
