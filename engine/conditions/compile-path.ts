import { JSONPath } from 'jsonpath-plus';
import { parsePath, type PathKey } from './parse-path.ts';

/** Reads what a path designates in a subject: one value (maybe undefined), or any number of them. */
export type PathReader =
  | { readonly multi: false; readonly read: (subject: unknown) => unknown }
  | { readonly multi: true; readonly readAll: (subject: unknown) => readonly unknown[] };

/** Compiles a path; simple paths become a key walker, only wildcard/filter paths use jsonpath-plus. Throws on an invalid path. */
export function compilePath(path: string): PathReader {
  const parsed = parsePath(path);
  switch (parsed.kind) {
    case 'keys':
      return { multi: false, read: compileKeyWalker(parsed.keys) };
    case 'jsonpath':
      return { multi: true, readAll: compileJsonPathReader(parsed.expression) };
    case 'invalid':
      throw new TypeError(`path '${path}' ${parsed.reason}`);
    default:
      return assertNever(parsed);
  }
}

/**
 * Only own properties are read, so `constructor` or `__proto__` never reach Object.prototype,
 * and arrays answer only to indices (not `length`): an array is a value, not an object to walk.
 */
function child(current: unknown, key: PathKey): unknown {
  if (typeof current !== 'object' || current === null) return undefined;
  if (Array.isArray(current)) return typeof key === 'number' ? current[key] : undefined;
  return Object.hasOwn(current, key) ? (current as Record<PathKey, unknown>)[key] : undefined;
}

function compileKeyWalker(keys: readonly PathKey[]): (subject: unknown) => unknown {
  const [k0, k1, k2] = keys;
  switch (keys.length) {
    case 0:
      return (subject) => subject;
    case 1:
      return (subject) => child(subject, k0!);
    case 2:
      return (subject) => child(child(subject, k0!), k1!);
    case 3:
      return (subject) => child(child(child(subject, k0!), k1!), k2!);
    default:
      return (subject) => {
        let current = subject;
        for (let i = 0; i < keys.length && current !== undefined; i += 1) current = child(current, keys[i]!);
        return current;
      };
  }
}

function compileJsonPathReader(expression: string): (subject: unknown) => readonly unknown[] {
  return (subject) => {
    if (typeof subject !== 'object' || subject === null) return [];
    try {
      const values: unknown = JSONPath({ path: expression, json: subject, wrap: true, eval: 'safe', ignoreEvalErrors: true });
      return Array.isArray(values) ? values : [];
    } catch {
      // A filter that fails on this subject (e.g. an `@other()` type test) selects nothing rather than failing the event.
      return [];
    }
  };
}

function assertNever(value: never): never {
  throw new Error(`unexpected parsed path ${JSON.stringify(value)}`);
}
