import { MAX_ATTEMPT_LOG, type DeliveryAttempt, type DeliveryRecord } from '../store/delivery-store.ts';
import type { OutcomeClass } from './classify-outcome.ts';
import { nextAttempt, type RetryPolicy } from './retry-policy.ts';

/** What one attempt produced, classified. */
export interface AttemptResult {
  verdict: OutcomeClass;
  /** HTTP status of the destination's answer, when there was one. */
  status: number | null;
  /** The destination's answer as text (cut to 2 KB here). */
  response: string | null;
}

/** Longest response text kept on an attempt. */
export const MAX_RESPONSE_CHARS = 2048;

/**
 * The delivery after an attempt: delivered, failed for good, or retrying at the time the retry
 * policy chose (failed once the policy gives up). Pure: time and randomness come in.
 */
export function recordAttempt(d: DeliveryRecord, result: AttemptResult, options: {
  startedAt: number; now: number; policy?: Partial<RetryPolicy>; random: () => number;
}): DeliveryRecord {
  const { verdict } = result;
  const attempts = d.attempts + 1;
  const windowAttempts = (d.windowAttempts ?? d.attempts) + 1;
  const firstAttemptAt = d.firstAttemptAt ?? new Date(options.startedAt).toISOString();
  const attempt: DeliveryAttempt = {
    at: new Date(options.startedAt).toISOString(), durationMs: Math.max(0, options.now - options.startedAt),
    outcome: verdict.kind, status: result.status,
    reason: verdict.kind === 'delivered' ? null : verdict.reason,
    response: result.response === null ? null : result.response.slice(0, MAX_RESPONSE_CHARS),
  };
  const base: DeliveryRecord = {
    ...d, attempts, windowAttempts, firstAttemptAt, attemptLog: [...d.attemptLog, attempt].slice(-MAX_ATTEMPT_LOG),
    updatedAt: new Date(options.now).toISOString(), rev: d.rev + 1,
  };
  if (verdict.kind === 'delivered') {
    return { ...base, status: 'delivered', nextAttemptAt: null, reason: null, deliveredAt: new Date(options.now).toISOString() };
  }
  if (verdict.kind === 'failed') return { ...base, status: 'failed', nextAttemptAt: null, reason: verdict.reason };
  const decision = nextAttempt({
    attempts: windowAttempts, firstAttemptAt: Date.parse(firstAttemptAt), now: options.now, random: options.random,
    ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
  }, options.policy);
  if ('giveUp' in decision) return { ...base, status: 'failed', nextAttemptAt: null, reason: `${verdict.reason}; ${decision.giveUp}` };
  return { ...base, status: 'retrying', nextAttemptAt: decision.retryAt, reason: verdict.reason };
}

/** A response body as text for the attempt log. */
export function responseText(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > MAX_RESPONSE_CHARS ? text.slice(0, MAX_RESPONSE_CHARS) : text;
}
