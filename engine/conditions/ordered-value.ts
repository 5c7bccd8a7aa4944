import { parseIsoInstant } from './iso-instant.ts';
import { isNumericString } from './loose-equality.ts';

/** A value gt/gte/lt/lte/between can order: a number, or an instant in epoch milliseconds. */
export type OrderedValue = { readonly kind: 'number' | 'instant'; readonly value: number };

/** The number a finite number or numeric string stands for, else undefined. */
export function toOrderableNumber(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isFinite(x) ? x : undefined;
  return typeof x === 'string' && isNumericString(x) ? Number(x) : undefined;
}

/** The instant an ISO-8601 string or a valid Date stands for, else undefined (epoch numbers are numbers, not instants). */
export function toInstant(x: unknown): number | undefined {
  if (typeof x === 'string') return parseIsoInstant(x);
  if (x instanceof Date) {
    const ms = x.getTime();
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Classifies a condition bound as a number or an instant; undefined if it is neither (e.g. a boolean or "abc"). */
export function toOrderedValue(x: unknown): OrderedValue | undefined {
  const n = toOrderableNumber(x);
  if (n !== undefined) return { kind: 'number', value: n };
  const ms = toInstant(x);
  return ms === undefined ? undefined : { kind: 'instant', value: ms };
}

/** The reader that puts a subject value on the same scale as a bound of this kind. */
export function readerFor(kind: OrderedValue['kind']): (x: unknown) => number | undefined {
  return kind === 'number' ? toOrderableNumber : toInstant;
}
