import { createHash, createHmac, randomBytes, randomUUID, type BinaryToTextEncoding } from 'node:crypto';

// Host implementations behind the isolate's synchronous callbacks. They receive and return plain
// data only (strings, arrays, Uint8Array), copied across the boundary by isolated-vm.

const HASH_ALGORITHMS = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);
const DIGEST_ENCODINGS = new Set(['hex', 'base64', 'base64url', 'latin1', 'binary']);
const MAX_RANDOM_BYTES = 65_536;

/** What `crypto.*` inside the isolate asks for: a hash/HMAC digest, a UUID or random bytes. */
export function cryptoOperation(
  op: string,
  algorithm: string | null,
  key: string | Uint8Array | null,
  chunks: Array<string | Uint8Array | number>,
  encoding: string | null,
): string | Uint8Array {
  if (op === 'uuid') return randomUUID();
  if (op === 'random') {
    const size = Number(chunks[0]);
    if (!Number.isInteger(size) || size < 0 || size > MAX_RANDOM_BYTES) throw new RangeError(`random byte count must be 0..${MAX_RANDOM_BYTES}`);
    return new Uint8Array(randomBytes(size));
  }
  const name = String(algorithm).toLowerCase();
  if (!HASH_ALGORITHMS.has(name)) throw new Error(`Digest method not supported: ${String(algorithm)}`);
  const hash = op === 'hmac' ? createHmac(name, key ?? '') : createHash(name);
  for (const chunk of chunks) hash.update(typeof chunk === 'number' ? String(chunk) : chunk);
  if (encoding === null) return new Uint8Array(hash.digest());
  if (!DIGEST_ENCODINGS.has(encoding)) throw new TypeError(`Unknown digest encoding: ${encoding}`);
  return hash.digest(encoding as BinaryToTextEncoding);
}

const URL_SETTERS = new Set(['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash']);

/**
 * Parses `input` (against `base`) with Node's WHATWG parser, optionally applies one setter, and
 * answers the parts the isolate's URL class reads, in its fixed order.
 */
export function parseUrlParts(input: string, base: string | null, setName: string | null, setValue: string | null): string[] {
  let url: URL;
  try {
    url = base === null ? new URL(input) : new URL(input, base);
  } catch {
    throw new TypeError(`Invalid URL: ${input}`);
  }
  if (setName !== null && URL_SETTERS.has(setName)) {
    (url as unknown as Record<string, string>)[setName] = setValue ?? '';
  }
  return [url.href, url.protocol, url.username, url.password, url.host, url.hostname, url.port, url.pathname, url.search, url.hash, url.origin];
}
