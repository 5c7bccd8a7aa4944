import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors.ts';

const JSON_TYPES = new Set(['', 'application/json', 'text/plain']);

/**
 * Reads and parses a JSON request body, refusing more than `limitBytes` (after gzip decoding)
 * without buffering the excess. `text/plain` is accepted because browsers' sendBeacon uses it.
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!JSON_TYPES.has(contentType)) {
    throw new EngineError('unsupported_media_type', `content-type '${contentType}' is not supported; send application/json`);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new EngineError('unsupported_media_type', `content-encoding '${encoding}' is not supported; send identity or gzip`);
  }
  const tooLarge = () => new EngineError('payload_too_large', `the body is larger than ${limitBytes} bytes`, { limit: limitBytes });
  if (encoding === 'identity' && declared > limitBytes) {
    req.resume();
    throw tooLarge();
  }
  const source: Readable = encoding === 'gzip' ? req.pipe(createGunzip()) : req;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      size += (chunk as Buffer).length;
      if (size > limitBytes) {
        req.resume();
        throw tooLarge();
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError('invalid_json', 'the body could not be read (bad gzip data or aborted upload)', {}, { cause: error });
  }
  const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) throw new EngineError('invalid_json', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new EngineError('invalid_json', `the body is not valid JSON: ${(error as Error).message}`, {}, { cause: error });
  }
}
