import type { EventRecord, MessageType } from '../store/event-store.ts';
import { newId } from '../ids.ts';

/** A new event id: time-ordered, so SQLite inserts stay sequential and ids sort by arrival. */
export function newEventId(): string {
  return newId();
}

/*
 * The date-times Segment clients send (RFC 3339, as ajv-formats' iso-date-time spells it): 'T', 't'
 * or a space between date and time, a fraction of any length, and a zone 'Z', ±hh, ±hhmm or ±hh:mm,
 * or none. Parsed here rather than by Date.parse, which reads a zone-less or space-separated
 * date-time in the server's timezone and gives up on ±hh zones and leap seconds.
 */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * Parses an ISO-8601 date-time to epoch milliseconds, or NaN when it is not a real one. One without
 * a zone is read as UTC, never as local time. A leap second (23:59:60 UTC, which JavaScript time
 * cannot hold) is read as the last millisecond of its minute; a fraction beyond milliseconds is cut.
 */
export function parseIsoTime(value: string): number {
  const canonical = canonicalIsoTime(value);
  if (canonical !== undefined) return canonical;
  const match = ISO_DATE_TIME.exec(value);
  if (match === null) return Number.NaN;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0'] = match;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = [y, mo, d, h, mi, s, oh, om].map(Number) as
    [number, number, number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) return Number.NaN;
  const offsetMs = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, keeps years 0–99 as they are.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), second === 60 ? 999 : Number(fraction.slice(0, 3).padEnd(3, '0')));
  const ms = date.getTime() - offsetMs;
  if (second === 60 && new Date(ms).getUTCHours() * 60 + new Date(ms).getUTCMinutes() !== 23 * 60 + 59) return Number.NaN;
  return ms;
}

/**
 * The common spelling, `YYYY-MM-DDTHH:MM:SS.sssZ` (what `Date#toISOString` and Segment's libraries
 * send), read from fixed positions; undefined for anything else, including years before 100 and
 * leap seconds, which the general reading handles. Why: the regular expression and its captures
 * cost ~450 ns a call, run for each timestamp a message carries (validation, then normalizing);
 * this costs a tenth of that.
 */
function canonicalIsoTime(value: string): number | undefined {
  if (value.length !== 24 || value.charCodeAt(23) !== 90 || value.charCodeAt(10) !== 84 || value.charCodeAt(19) !== 46
    || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  const ms = digits(value, 20, 3);
  // A non-digit gives NaN, which fails every comparison below.
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) return undefined;
  if (day > daysInMonth(year, month)) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** The decimal number spelled by `length` characters of `text` from `start`; NaN if one is not a digit. */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
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
function eventTime(m: Record<string, unknown>, sentAt: unknown, receivedAt: number): number {
  if (typeof m['timestamp'] === 'string') return parseIsoTime(m['timestamp']);
  if (typeof m['originalTimestamp'] === 'string') {
    const original = parseIsoTime(m['originalTimestamp']);
    if (typeof sentAt === 'string') return receivedAt - (parseIsoTime(sentAt) - original);
    return original;
  }
  return receivedAt;
}

let lastReceivedAt = Number.NaN;
let lastReceivedIso = '';

/** `receivedAt` as ISO text; the messages of a batch share one, so the last is kept. */
function isoOf(receivedAt: number): string {
  if (receivedAt !== lastReceivedAt) {
    lastReceivedIso = new Date(receivedAt).toISOString();
    lastReceivedAt = receivedAt;
  }
  return lastReceivedIso;
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
  const timestamp = new Date(eventTime(rest, sentAt, receivedAt)).toISOString();
  const receivedIso = isoOf(receivedAt);
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
