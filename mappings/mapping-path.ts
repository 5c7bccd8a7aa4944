/**
 * The property paths mapping-kit understands (`@path`, `@arrayPath`, `{{placeholders}}`): a plain
 * dotted path with optional bracket indexes, `$.`-prefixed or not. mapping-kit splits paths
 * leniently and silently finds nothing for malformed ones, so this parser is stricter on purpose:
 * what it rejects would never resolve to anything useful.
 */

/** The segments of a path, or why it is malformed. */
export type ParsedPath = { ok: true; segments: string[] } | { ok: false; reason: string };

/** Where paths of a mapping are resolved from: the send event (with known roots) or a relative item. */
export interface PathScope {
  /** Allowed first segments; when absent, any first segment is accepted. */
  roots?: readonly string[];
  /** Names `properties.journey_context.<name>` may use; when absent, any name is accepted. */
  contextKeys?: readonly string[];
}

const SEGMENT = /^(?:[^.[\]]+)/;
const BRACKET = /^\[(?:(\d+)|"([^"]*)"|'([^']*)')\]/;

/** Parses a mapping-kit path; `$.` alone (or `''`) means the whole input. */
export function parseMappingPath(path: string): ParsedPath {
  if (path === '$.' || path === '') return { ok: true, segments: [] };
  if (path === '$') return { ok: false, reason: 'the path "$" finds nothing; use "$." for the whole event' };
  let rest = path.startsWith('$.') ? path.slice(2) : path;
  if (/[*?]|\.\.|\[\s*\*|^\$\[/.test(rest)) {
    return { ok: false, reason: `the path ${JSON.stringify(path)} uses JSONPath wildcards, filters or recursion, which mapping-kit does not support (use @arrayPath for lists)` };
  }
  const segments: string[] = [];
  let expectSegment = true;
  while (rest.length > 0) {
    const bracket = BRACKET.exec(rest);
    if (bracket) {
      segments.push(bracket[1] ?? bracket[2] ?? bracket[3] ?? '');
      rest = rest.slice(bracket[0].length);
      expectSegment = false;
      continue;
    }
    if (rest.startsWith('.')) {
      if (expectSegment) return { ok: false, reason: `the path ${JSON.stringify(path)} has an empty segment` };
      rest = rest.slice(1);
      expectSegment = true;
      if (rest.length === 0) return { ok: false, reason: `the path ${JSON.stringify(path)} ends with "."` };
      continue;
    }
    const segment = SEGMENT.exec(rest);
    if (!segment || !expectSegment) {
      return { ok: false, reason: `the path ${JSON.stringify(path)} is malformed near ${JSON.stringify(rest.slice(0, 12))}` };
    }
    segments.push(segment[0]);
    rest = rest.slice(segment[0].length);
    expectSegment = false;
  }
  return { ok: true, segments };
}

/** Why a well-formed path cannot find anything in the scope, or undefined when it may. */
export function pathOutsideScope(segments: readonly string[], scope: PathScope | undefined): string | undefined {
  const [root, second, contextKey] = segments;
  if (scope === undefined || root === undefined) return undefined;
  if (scope.roots && !scope.roots.includes(root)) {
    const hint = root === 'traits' ? '; profile traits are at context.traits'
      : root === 'journey_context' ? '; the journey context is at properties.journey_context' : '';
    return `the send event has no top-level "${root}" (it has ${scope.roots.join(', ')})${hint}`;
  }
  if (scope.contextKeys && root === 'properties' && second === 'journey_context' && contextKey !== undefined
    && !scope.contextKeys.includes(contextKey)) {
    const known = scope.contextKeys.length === 0 ? 'none' : scope.contextKeys.join(', ');
    return `the journey context never holds "${contextKey}" (it holds the entry event and hold-until aliases: ${known})`;
  }
  return undefined;
}
