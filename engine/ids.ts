import { encodeTime, monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** A new time-ordered unique id (ULID): keeps inserts sequential and sorts by creation. */
export function newId(): string {
  return next();
}

/** The smallest id created at `ms`: every id made earlier sorts before it (retention cut-offs). */
export function firstIdAt(ms: number): string {
  return `${encodeTime(ms, 10)}${'0'.repeat(16)}`;
}
