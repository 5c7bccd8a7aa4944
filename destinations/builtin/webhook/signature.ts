/**
 * HMAC-SHA256 request signing of the built-in webhook: `X-Signature: sha256=<hex>` over the exact
 * body bytes sent, so a receiver verifies with its raw body and the shared secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header that carries the signature. */
export const SIGNATURE_HEADER = 'X-Signature';

/** `sha256=<hex HMAC-SHA256 of body keyed by secret>`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verifySignature(body: string, secret: string, header: string | null | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(body, secret));
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
