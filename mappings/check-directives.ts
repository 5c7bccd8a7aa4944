/**
 * Checks the mapping-kit directives inside one mapped value, reporting each problem at its exact
 * place (`...email.@if.exists.@path`). It enforces what `transform` checks up front (mapping-kit's
 * validate) and also what only fails, or silently yields nothing, when an event arrives: `@if`
 * without `exists`/`blank`, a `@case` operator other than lower/upper, `@merge` without a
 * direction, `@flatten` without a separator, malformed paths, unclosed placeholders, Liquid syntax.
 */
import { parseLiquidTemplate } from '../destinations/actions-core.ts';
import { joinPath, mappingProblem, type MappingProblem } from './mapping-problem.ts';
import { parseMappingPath, pathOutsideScope, type PathScope } from './mapping-path.ts';

/** Every directive actions-core 3.170's mapping-kit runs. */
export const DIRECTIVES = [
  '@path', '@template', '@liquid', '@if', '@case', '@replace', '@arrayPath', '@json', '@flatten', '@merge',
  '@literal', '@excludeWhenNull', '@transform',
] as const;

// mapping-kit's MAX_PATTERN_LENGTH / MAX_REPLACEMENT_LENGTH and its Liquid size limit.
const MAX_REPLACE_LENGTH = 10;
const MAX_LIQUID_LENGTH = 1000;

type Report = (path: string, what: string, code?: 'invalid_directive' | 'unknown_path') => void;

/** True when the object is a directive call: it has an `@`-prefixed key (as mapping-kit decides). */
export function looksLikeDirective(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).some((key) => key.startsWith('@'));
}

/** True when a value holds no directive anywhere, so it is passed through as a literal. */
export function isLiteralValue(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isLiteralValue);
  if (isPlainObject(value)) return !looksLikeDirective(value) && Object.values(value).every(isLiteralValue);
  return true;
}

/** Every directive problem in `value`, which sits at `path`; paths are checked against `scope`. */
export function checkDirectives(value: unknown, path: string, scope?: PathScope): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const report: Report = (at, what, code = 'invalid_directive') => { problems.push(mappingProblem(code, at, what)); };
  checkValue(value, path, scope, report);
  return problems;
}

function checkValue(value: unknown, path: string, scope: PathScope | undefined, report: Report): void {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    report(path, `the value is ${typeof value}, which is not JSON`);
  } else if (typeof value === 'number' && !Number.isFinite(value)) {
    // JSON.parse reads 1e400 as Infinity, which is stored as null: the mapping kept would not be the one checked.
    report(path, 'the number is too large to store (it overflows to Infinity); use a finite number');
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => checkValue(item, joinPath(path, i), scope, report));
  } else if (looksLikeDirective(value)) {
    checkDirective(value, path, scope, report);
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkValue(item, joinPath(path, key), scope, report);
  }
}

function checkDirective(obj: Record<string, unknown>, path: string, scope: PathScope | undefined, report: Report): void {
  const keys = Object.keys(obj);
  const directiveKeys = keys.filter((key) => key.startsWith('@'));
  const otherKeys = keys.filter((key) => !key.startsWith('@') && key !== '_metadata');
  if (directiveKeys.length > 1 || otherKeys.length > 0) {
    report(path, `a directive object must hold exactly one @-key and nothing else, but it has ${keys.map((k) => JSON.stringify(k)).join(', ')}`);
    return;
  }
  const name = directiveKeys[0] ?? '';
  const arg = obj[name];
  const at = joinPath(path, name);
  switch (name) {
    case '@path':
      checkYieldsString(name, arg, at, report);
      return checkStringOrDirective(arg, at, scope, report, (s) => checkPath(s, at, scope, report));
    case '@template':
      checkYieldsString(name, arg, at, report);
      return checkStringOrDirective(arg, at, scope, report, (s) => checkTemplate(s, at, scope, report));
    case '@liquid': return checkLiquid(arg, at, report);
    case '@if': return checkIf(arg, at, scope, report);
    case '@case': return checkCase(arg, at, scope, report);
    case '@replace': return checkReplace(arg, at, scope, report);
    case '@arrayPath': return checkArrayPath(arg, at, scope, report);
    case '@json': return checkJson(arg, at, scope, report);
    case '@flatten': return checkFlatten(arg, at, scope, report);
    case '@merge': return checkMerge(arg, at, scope, report);
    case '@literal':
    case '@excludeWhenNull': return checkValue(arg, at, scope, report);
    case '@transform': return checkTransform(arg, at, scope, report);
    default:
      report(path, `unknown directive ${JSON.stringify(name)} (known: ${DIRECTIVES.join(', ')})`);
  }
}

/** Checks an options object: known keys only, required ones present; returns it when it is an object. */
function options(arg: unknown, at: string, known: readonly string[], required: readonly string[], report: Report): Record<string, unknown> | undefined {
  if (!isPlainObject(arg) || looksLikeDirective(arg)) {
    report(at, `expects an object with ${known.map((k) => `"${k}"`).join(', ')}`);
    return undefined;
  }
  for (const key of Object.keys(arg)) {
    if (!known.includes(key)) report(joinPath(at, key), `unknown option "${key}" (allowed: ${known.join(', ')})`);
  }
  for (const key of required) {
    if (arg[key] === undefined) report(at, `is missing "${key}"`);
  }
  return arg;
}

function checkStringOrDirective(arg: unknown, at: string, scope: PathScope | undefined, report: Report, onString?: (s: string) => void): void {
  if (typeof arg === 'string') onString?.(arg);
  else if (looksLikeDirective(arg)) checkDirective(arg, at, scope, report);
  else report(at, `expects a string or a directive, not ${describe(arg)}`);
}

/**
 * `@path` and `@template` resolve a directive argument and throw unless it is a string, so an
 * argument that can never be one fails every send. What it yields is known without an event
 * only for `@merge` and `@flatten` (objects) and `@literal` of a literal; other directives
 * depend on the event and are judged when it arrives (transform_failed).
 */
function checkYieldsString(name: string, arg: unknown, at: string, report: Report): void {
  if (!looksLikeDirective(arg)) return;
  const yields = staticallyYields(arg);
  if (yields !== undefined && yields !== 'a string') report(at, `${name} needs a string, but this directive always yields ${yields}`);
}

/** What a value always yields when mapping-kit resolves it, if that does not depend on the event. */
function staticallyYields(value: unknown): string | undefined {
  if (!looksLikeDirective(value)) return describeKind(value);
  const keys = Object.keys(value).filter((key) => key.startsWith('@'));
  if (keys.length !== 1) return undefined;
  switch (keys[0]) {
    case '@literal': return staticallyYields(value['@literal']);
    case '@merge':
    case '@flatten': return 'an object';
    default: return undefined;
  }
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkPath(path: string, at: string, scope: PathScope | undefined, report: Report): void {
  const parsed = parseMappingPath(path);
  if (!parsed.ok) return report(at, parsed.reason);
  const outside = pathOutsideScope(parsed.segments, scope);
  if (outside !== undefined) report(at, `${outside}; ${JSON.stringify(path)} finds nothing`, 'unknown_path');
}

function checkTemplate(template: string, at: string, scope: PathScope | undefined, report: Report): void {
  // Same placeholder grammar as mapping-kit's render: {{{path}}} first, then {{path}}.
  const withoutPlaceholders = template.replace(/\{\{\{([^}]+)\}\}\}|\{\{([^}]+)\}\}/g, (_match, triple: string | undefined, double: string | undefined) => {
    checkPath((triple ?? double ?? '').trim(), at, scope, report);
    return '';
  });
  if (withoutPlaceholders.includes('{{')) report(at, `the template ${JSON.stringify(template)} has an unclosed or empty {{placeholder}}`);
}

function checkLiquid(arg: unknown, at: string, report: Report): void {
  if (typeof arg !== 'string') return report(at, `expects a Liquid template string, not ${describe(arg)}`);
  if (arg.length > MAX_LIQUID_LENGTH) return report(at, `Liquid templates are limited to ${MAX_LIQUID_LENGTH} characters`);
  try {
    parseLiquidTemplate(arg);
  } catch (error) {
    report(at, `the Liquid template does not parse: ${(error as Error).message}`);
  }
}

function checkIf(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  const opts = options(arg, at, ['exists', 'blank', 'then', 'else'], [], report);
  if (!opts) return;
  // mapping-kit tests truthiness, so `exists: ""` counts as missing.
  if (!opts.exists && !opts.blank) report(at, 'needs a truthy "exists" or "blank" condition');
  for (const key of ['exists', 'blank', 'then', 'else']) {
    if (opts[key] !== undefined) checkValue(opts[key], joinPath(at, key), scope, report);
  }
}

function checkCase(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  const opts = options(arg, at, ['operator', 'value'], ['operator', 'value'], report);
  if (!opts) return;
  if (opts.operator !== undefined && opts.operator !== 'lower' && opts.operator !== 'upper') {
    report(joinPath(at, 'operator'), `operator must be "lower" or "upper", not ${describe(opts.operator)}`);
  }
  if (opts.value !== undefined) checkStringOrDirective(opts.value, joinPath(at, 'value'), scope, report);
}

function checkReplace(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  const opts = options(arg, at, ['pattern', 'replacement', 'pattern2', 'replacement2', 'value', 'ignorecase', 'global'], ['pattern', 'value'], report);
  if (!opts) return;
  for (const key of ['pattern', 'replacement', 'pattern2', 'replacement2']) {
    const text = opts[key];
    if (text === undefined) continue;
    const min = key.startsWith('pattern') ? 1 : 0;
    if (typeof text !== 'string' || text.length < min || text.length > MAX_REPLACE_LENGTH) {
      report(joinPath(at, key), `${key} must be a string of ${min} to ${MAX_REPLACE_LENGTH} characters`);
    }
  }
  for (const key of ['ignorecase', 'global']) {
    if (opts[key] !== undefined && typeof opts[key] !== 'boolean') report(joinPath(at, key), `${key} must be true or false`);
  }
  if (opts.value !== undefined) checkStringOrDirective(opts.value, joinPath(at, 'value'), scope, report);
}

function checkArrayPath(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  if (!Array.isArray(arg) || arg.length < 1 || arg.length > 2) {
    return report(at, 'expects [path] or [path, itemShape]');
  }
  const [path, shape] = arg as unknown[];
  checkStringOrDirective(path, joinPath(at, 0), scope, report, (s) => checkPath(s, joinPath(at, 0), scope, report));
  if (shape === undefined) return;
  if (!isPlainObject(shape) || looksLikeDirective(shape)) return report(joinPath(at, 1), 'the item shape must be an object of field → value');
  // Paths in the item shape are relative to each array item: their roots are not the event's.
  checkValue(shape, joinPath(at, 1), undefined, report);
}

function checkJson(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  const opts = options(arg, at, ['value', 'mode'], ['value', 'mode'], report);
  if (!opts) return;
  if (opts.mode !== undefined && opts.mode !== 'encode' && opts.mode !== 'decode') {
    report(joinPath(at, 'mode'), `mode must be "encode" or "decode", not ${describe(opts.mode)}`);
  }
  // mapping-kit tests the value for truthiness before resolving it, so these fail every send.
  if (opts.value === null || opts.value === false || opts.value === 0 || opts.value === '') {
    report(joinPath(at, 'value'), `value cannot be ${describe(opts.value)}: mapping-kit refuses a falsy value (use a path, or a non-empty literal)`);
  } else if (opts.value !== undefined) {
    checkValue(opts.value, joinPath(at, 'value'), scope, report);
  }
}

function checkFlatten(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  const opts = options(arg, at, ['value', 'separator', 'omitArrays'], ['value', 'separator'], report);
  if (!opts) return;
  if (opts.separator !== undefined && (typeof opts.separator !== 'string' || opts.separator === '')) {
    report(joinPath(at, 'separator'), 'separator must be a non-empty string');
  }
  if (opts.omitArrays !== undefined && typeof opts.omitArrays !== 'boolean') report(joinPath(at, 'omitArrays'), 'omitArrays must be true or false');
  if (opts.value !== undefined) checkValue(opts.value, joinPath(at, 'value'), scope, report);
}

function checkMerge(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  const opts = options(arg, at, ['objects', 'direction'], ['objects', 'direction'], report);
  if (!opts) return;
  if (opts.direction !== undefined && opts.direction !== 'left' && opts.direction !== 'right') {
    report(joinPath(at, 'direction'), `direction must be "left" or "right", not ${describe(opts.direction)}`);
  }
  if (opts.objects === undefined) return;
  if (!Array.isArray(opts.objects)) return report(joinPath(at, 'objects'), 'objects must be an array of objects or directives');
  opts.objects.forEach((item: unknown, i) => {
    const itemAt = joinPath(at, 'objects', i);
    if (!isPlainObject(item)) report(itemAt, `each merged item must be an object or a directive, not ${describe(item)}`);
    else checkValue(item, itemAt, scope, report);
  });
}

function checkTransform(arg: unknown, at: string, scope: PathScope | undefined, report: Report): void {
  const opts = options(arg, at, ['apply', 'mapping'], ['apply', 'mapping'], report);
  if (!opts) return;
  if (opts.apply !== undefined) {
    if (!isPlainObject(opts.apply)) report(joinPath(at, 'apply'), 'apply must be a mapping object');
    else checkValue(opts.apply, joinPath(at, 'apply'), scope, report);
  }
  if (opts.mapping !== undefined) {
    if (!isPlainObject(opts.mapping)) report(joinPath(at, 'mapping'), 'mapping must be an object or a directive');
    // `mapping` reads the output of `apply`, not the event: no root check.
    else checkValue(opts.mapping, joinPath(at, 'mapping'), undefined, report);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
