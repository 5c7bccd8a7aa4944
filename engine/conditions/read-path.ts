import { compilePath, type PathReader } from './compile-path.ts';

const cache = new Map<string, PathReader>();
const MAX_CACHED = 10_000;

/** The (first) value a path designates in a subject; compiled paths are cached. Throws on an invalid path. */
export function readPath(path: string, subject: unknown): unknown {
  let reader = cache.get(path);
  if (!reader) {
    reader = compilePath(path);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(path, reader);
  }
  return reader.multi ? reader.readAll(subject)[0] : reader.read(subject);
}
