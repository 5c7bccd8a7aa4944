import { expect } from 'chai';
import type { Answer, TestEngine } from '../support/test-engine.ts';

/** A stored Segment message as `GET /api/v1/events` returns it. */
export type StoredMessage = Record<string, any>;

/** Every event in a space's log (newest first), following `nextCursor`; the default space's unless `token` is given. */
export async function storedEvents(t: TestEngine, options: { token?: string; query?: string } = {}): Promise<StoredMessage[]> {
  const all: StoredMessage[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(options.query ?? '');
    params.set('limit', '1000');
    if (cursor !== null) params.set('cursor', cursor);
    const res = await t.api('GET', `/api/v1/events?${params}`, undefined, options.token ? { token: options.token } : {});
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    all.push(...(res.body.events as StoredMessage[]));
    cursor = res.body.nextCursor as string | null;
  } while (cursor !== null);
  return all;
}

/** The stored events carrying this messageId. */
export async function storedWithMessageId(t: TestEngine, messageId: string, token?: string): Promise<StoredMessage[]> {
  return (await storedEvents(t, token ? { token } : {})).filter((e) => e.messageId === messageId);
}

/** Asserts a 200 ingest answer with the given counts. */
export function expectAccepted(res: Answer, stored: number, duplicates = 0): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expect(res.body).to.deep.equal({ success: true, stored, duplicates });
}

/** What an error answer must say. */
export interface ExpectedError {
  status: number;
  code: string;
  /** The message must match (it names the field or location). */
  message: RegExp;
  /** Exact JSON pointer in `error.path`, when the error has one. */
  path?: string;
  /** Batch position in `error.index`. */
  index?: number;
}

/** Asserts an error answer: status, code, message and (optionally) path and index. */
export function expectError(res: Answer, expected: ExpectedError): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(expected.status);
  expect(res.body.error.code).to.equal(expected.code);
  expect(res.body.error.message).to.match(expected.message);
  if (expected.path !== undefined) expect(res.body.error.path).to.equal(expected.path);
  if (expected.index !== undefined) expect(res.body.error.index).to.equal(expected.index);
}

/** Runs `send` and asserts the space's event log has exactly the same events afterwards. */
export async function expectNothingStored(t: TestEngine, send: () => Promise<Answer>, token?: string): Promise<Answer> {
  const before = await storedEvents(t, token ? { token } : {});
  const res = await send();
  await t.settle();
  const after = await storedEvents(t, token ? { token } : {});
  expect(after.map((e) => e.messageId), 'nothing may be stored').to.deep.equal(before.map((e) => e.messageId));
  return res;
}

let counter = 0;

/** A unique id for one test's messages (`prefix-<n>-<random>`). */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A string of `bytes` ASCII characters. */
export function filler(bytes: number): string {
  return 'x'.repeat(bytes);
}
