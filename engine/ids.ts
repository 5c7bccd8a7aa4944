import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** A new time-ordered unique id (ULID): keeps inserts sequential and sorts by creation. */
export function newId(): string {
  return next();
}
