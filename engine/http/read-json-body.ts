import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { EngineError } from '../errors.ts';
import { prescanJson } from './json-prescan.ts';
import { checkCharset, checkFiniteNumbers, utf8Text } from './json-text.ts';

const JSON_TYPES = new Set(['', 'application/json', 'text/plain']);

/**
 * Bytes a gzip body may have beyond the decoded limit: gzip's header and trailer and the 5 bytes
 * per 64 KB block of data it could not compress.
 */
const GZIP_OVERHEAD_BYTES = 1024;

/** What a JSON body may be. */
export interface JsonBodyLimits {
  /** Largest body, after gzip decoding (bytes). */
  limitBytes: number;
  /** Deepest nesting of arrays and objects (see json-prescan.ts). */
  maxDepth: number;
}

/**
 * Reads and parses a JSON request body, refusing more than `limitBytes` (after gzip decoding)
 * without buffering the excess, and JSON nested deeper than `maxDepth` without parsing it (json-prescan.ts). The
 * body must be UTF-8 (a declared charset too) and its numbers finite: bytes that are not UTF-8 and
 * numbers like `1e400` are refused, never stored as U+FFFD or null. `text/plain` is accepted because browsers' sendBeacon uses it.
 *
 * Slow clients are the HTTP server's business: its request timeout (engine.ts) covers the whole
 * body, with no timer per request here; when it closes the connection, the read fails with
 * `request_timeout`.
 */
export async function readJsonBody(req: IncomingMessage, limits: JsonBodyLimits): Promise<unknown> {
  return (await readBody(req, limits, false)).value;
}

/** A parsed Segment batch body, with the size of each message of its `batch` array. */
export interface BatchBody {
  value: unknown;
  /**
   * Bytes of each `batch` element as the client sent it (UTF-8, without the whitespace around it);
   * null when the body has no such array, or the pre-scan could not tell which array JSON.parse
   * keeps (see JsonPrescan.batchSpans).
   */
  messageBytes: number[] | null;
}

/**
 * readJsonBody for `/v1/batch`: the pre-scan also finds where each message lies in the text, so
 * a message's size is measured as sent, as a single call's body is. Why: serializing every parsed
 * message again to measure it cost 4.2 µs per 1 KB message, more than parsing it (bench/RESULTS.md,
 * nineteenth session).
 */
export async function readBatchBody(req: IncomingMessage, limits: JsonBodyLimits): Promise<BatchBody> {
  const { value, text, bytes, spans } = await readBody(req, limits, true);
  if (spans === null) return { value, messageBytes: null };
  const messageBytes = new Array<number>(spans.length / 2);
  // Every character is one byte when the text is as long as the bytes it was decoded from.
  const ascii = text.length === bytes;
  for (let k = 0; k < messageBytes.length; k++) {
    const start = spans[2 * k]!;
    const end = spans[2 * k + 1]!;
    messageBytes[k] = ascii ? end - start : Buffer.byteLength(text.slice(start, end), 'utf8');
  }
  return { value, messageBytes };
}

/** The body read, decoded, checked and parsed; with `batch`, where its messages lie in the text too. */
async function readBody(req: IncomingMessage, limits: JsonBodyLimits, batch: boolean): Promise<{ value: unknown; text: string; bytes: number; spans: number[] | null }> {
  const { limitBytes, maxDepth } = limits;
  const contentTypeHeader = req.headers['content-type'] ?? '';
  const contentType = contentTypeHeader.split(';')[0]!.trim().toLowerCase();
  if (!JSON_TYPES.has(contentType)) {
    throw new EngineError('unsupported_media_type', `content-type '${contentType}' is not supported; send application/json`);
  }
  checkCharset(contentTypeHeader);
  const declared = Number(req.headers['content-length'] ?? 0);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') {
    throw new EngineError('unsupported_media_type', `content-encoding '${encoding}' is not supported; send identity or gzip`);
  }
  const tooLarge = () => new EngineError('payload_too_large', `the body is larger than ${limitBytes} bytes`, { limit: limitBytes });
  const rawLimit = encoding === 'gzip' ? limitBytes + GZIP_OVERHEAD_BYTES : limitBytes;
  if (declared > rawLimit) {
    req.resume();
    throw tooLarge();
  }
  let body: Buffer | null;
  try {
    body = encoding === 'gzip' ? await readGzip(req, limitBytes, rawLimit) : await readAll(req, limitBytes);
  } catch (error) {
    req.resume();
    throw readFailure(error);
  }
  if (body === null) {
    // Too large: drain the rest (the server's request timeout bounds how long) so the answer arrives.
    req.resume();
    throw tooLarge();
  }
  const text = utf8Text(body);
  if (text.length === 0) throw new EngineError('invalid_json', 'the body is empty; send a JSON object');
  const prescan = prescanJson(text, maxDepth, batch);
  if (prescan.tooDeep) {
    throw new EngineError('payload_too_deep', `the body nests arrays and objects more than ${maxDepth} levels deep`, { limit: maxDepth });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    // Only where it broke, never V8's message: it quotes the body (a write key sent by mistake, say).
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new EngineError('invalid_json', `the body is not valid JSON${position === undefined ? '' : ` (at character ${position})`}`, {}, { cause: error });
  }
  checkFiniteNumbers(value, prescan.mayOverflow);
  return { value, text, bytes: body.length, spans: prescan.batchSpans };
}

/**
 * The whole of `source`, or null as soon as it passes `limitBytes` (the rest is left unread).
 * Why listeners and not `for await`: the async iterator costs a promise and a microtask hop per
 * chunk, on the ingest thread's hottest path.
 */
function readAll(source: Readable, limitBytes: number): Promise<Buffer | null> {
  return new Promise<Buffer | null>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        done();
        source.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    // A stream closed before its end: a client gone, or the request timeout (see readFailure).
    const onClose = () => {
      done();
      reject(new Error('the body stream closed before its end'));
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    source.once('close', onClose);
  });
}

/**
 * A gzip body, decoded while it streams and cut off at `limitBytes` of output: a bomb (a few KB
 * that decode to gigabytes) costs at most the limit in memory and the time to decode that much.
 * The compressed bytes are held to `rawLimit` too, so a stream of blocks that decode to nothing
 * cannot keep the request going either.
 */
async function readGzip(req: IncomingMessage, limitBytes: number, rawLimit: number): Promise<Buffer | null> {
  const gunzip: Gunzip = createGunzip();
  let compressed = 0;
  let rawTooLarge = false;
  const onData = (chunk: Buffer) => {
    compressed += chunk.length;
    if (compressed > rawLimit && !rawTooLarge) {
      rawTooLarge = true;
      gunzip.destroy();
    }
  };
  // pipe() does not pass the source's failure on: without this, an aborted upload would leave the read waiting forever.
  const onError = (error: Error) => gunzip.destroy(error);
  req.on('data', onData);
  req.once('error', onError);
  req.pipe(gunzip);
  try {
    const body = await readAll(gunzip, limitBytes);
    return rawTooLarge ? null : body;
  } catch (error) {
    if (rawTooLarge) return null;
    throw error;
  } finally {
    req.off('data', onData);
    req.off('error', onError);
    req.unpipe(gunzip);
    gunzip.destroy();
  }
}

/** The client's error for a body that could not be read: corrupt gzip data, or an upload that never finished. */
function readFailure(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new EngineError('invalid_json', 'the body could not be read: bad gzip data', {}, { cause: error });
  }
  return new EngineError('request_timeout', 'the body did not arrive completely (the client went away, or was slower than the server allows)', {}, { cause: error });
}
