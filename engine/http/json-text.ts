import { isUtf8 } from 'node:buffer';
import { EngineError } from '../errors.ts';

/** Charset names a JSON body may declare (RFC 8259: JSON exchanged between systems is UTF-8). */
const UTF8_NAMES = new Set(['utf-8', 'utf8']);

/**
 * Refuses a declared charset other than UTF-8 (415): reading Latin-1 bytes as UTF-8 would store
 * different text from what the client meant.
 */
export function checkCharset(contentTypeHeader: string): void {
  for (const param of contentTypeHeader.split(';').slice(1)) {
    const [key, raw = ''] = param.split('=', 2);
    if (key!.trim().toLowerCase() !== 'charset') continue;
    const charset = raw.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (!UTF8_NAMES.has(charset)) {
      throw new EngineError('unsupported_media_type', `charset '${charset}' is not supported; send UTF-8`);
    }
  }
}

/** The body as text, or 400 invalid_json naming the first byte that is not UTF-8 (never U+FFFD in its place). */
export function utf8Text(body: Buffer): string {
  // isUtf8 is a vectorised check: the hot path pays for one pass over the bytes and no decoder state.
  if (isUtf8(body)) return body.toString('utf8');
  const offset = firstInvalidUtf8Offset(body);
  throw new EngineError('invalid_json', `the body is not valid UTF-8 (byte ${offset})`, { offset });
}

/** Where decoding fails: in 64-byte steps, then byte by byte inside the step that failed (error path only). */
function firstInvalidUtf8Offset(body: Buffer): number {
  const STEP = 64;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  try {
    for (; start < body.length; start += STEP) decoder.decode(body.subarray(start, start + STEP), { stream: true });
    decoder.decode();
    return body.length;
  } catch {
    // The failing step: replay from its start byte by byte (a character cut at its start is complete again).
  }
  const byByte = new TextDecoder('utf-8', { fatal: true });
  // Back to the start of the character the step began inside, so the replay starts in step.
  let from = start;
  while (from > 0 && start - from < 3 && (body[from]! & 0xc0) === 0x80) from--;
  for (let i = from; i < body.length; i++) {
    try {
      byByte.decode(body.subarray(i, i + 1), { stream: true });
    } catch {
      return sequenceStart(body, i, from);
    }
  }
  return body.length;
}

/**
 * The decoder fails at the byte that breaks a sequence; the sequence began at its lead byte
 * (up to 3 bytes back, past continuation bytes), which is the byte to name.
 */
function sequenceStart(body: Buffer, failedAt: number, from: number): number {
  let j = failedAt;
  while (j > from && failedAt - j < 3 && (body[j - 1]! & 0xc0) === 0x80) j--;
  return j > from && body[j - 1]! >= 0xc0 ? j - 1 : failedAt;
}

/**
 * Refuses a number that JSON.parse turned into ±Infinity (`1e400`): stored, it would become null.
 * `mayOverflow` comes from the pre-scan of the text (json-prescan.ts): the value is walked only
 * when the text has such a literal, and the offending path is built only once one is found.
 */
export function checkFiniteNumbers(value: unknown, mayOverflow: boolean): void {
  if (!mayOverflow || !hasNonFinite(value)) return;
  const path = nonFinitePath(value, '') ?? '';
  throw new EngineError('invalid_json', `${path || '/'} is a number too large to represent (JSON numbers must be finite)`, { path });
}

function hasNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasNonFinite(value[i])) return true;
    return false;
  }
  for (const key in value) if (hasNonFinite((value as Record<string, unknown>)[key])) return true;
  return false;
}

function nonFinitePath(value: unknown, path: string): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFinitePath(value[i], `${path}/${i}`);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const found = nonFinitePath(item, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    if (found !== null) return found;
  }
  return null;
}
