/**
 * Which IP addresses the engine's outbound HTTP may reach: destination functions' `fetch`
 * (host-fetch.ts) and destination plugins' requests (destinations/outbound-guard.ts) share it.
 *
 * The caller checks every address a URL's host resolves to (and every literal IP host) against
 * the ranges below before connecting. It works on resolved addresses, never on host names, so
 * `localhost`, `127.0.0.1.nip.io` and a customer's own DNS pointing at 10.0.0.5 are all caught the
 * same way. It deliberately does not know about host names, ports or schemes: the caller decides
 * those, and decides whether private networks are allowed at all.
 */
import { isIP } from 'node:net';

interface Range {
  readonly prefix: Uint8Array;
  readonly bits: number;
  readonly cidr: string;
  /** What an address in this range is, phrased to follow "10.0.0.1 is …". */
  readonly what: string;
  /** For IPv6 ranges that carry an IPv4 address: the byte offset where it sits. The v4 decides. */
  readonly embedsV4At?: number;
}

const V4_RANGES: ReadonlyArray<Range> = [
  range('0.0.0.0/8', 'an unspecified ("this network") address'),
  range('10.0.0.0/8', 'a private address'),
  range('100.64.0.0/10', 'a shared (carrier-grade NAT) address'),
  range('127.0.0.0/8', 'a loopback address'),
  // Cloud metadata services (169.254.169.254) live here: the classic SSRF target.
  range('169.254.0.0/16', 'a link-local address'),
  range('172.16.0.0/12', 'a private address'),
  range('192.0.0.0/24', 'a reserved (IETF protocol assignments) address'),
  range('192.0.2.0/24', 'a reserved (documentation) address'),
  range('192.88.99.0/24', 'a reserved (6to4 relay) address'),
  range('192.168.0.0/16', 'a private address'),
  range('198.18.0.0/15', 'a reserved (benchmarking) address'),
  range('198.51.100.0/24', 'a reserved (documentation) address'),
  range('203.0.113.0/24', 'a reserved (documentation) address'),
  range('224.0.0.0/4', 'a multicast address'),
  // Includes the limited broadcast address 255.255.255.255.
  range('240.0.0.0/4', 'a reserved address'),
];

// Checked in order: the ranges that embed an IPv4 address come before the wider ranges around them.
const V6_RANGES: ReadonlyArray<Range> = [
  range('::/128', 'an unspecified address'),
  range('::1/128', 'a loopback address'),
  // ::ffff:127.0.0.1 is 127.0.0.1 on a dual-stack socket; the URL parser writes it ::ffff:7f00:1.
  range('::ffff:0:0/96', 'an IPv4-mapped address', 12),
  range('::ffff:0:0:0/96', 'an IPv4-translated address', 12),
  // Deprecated IPv4-compatible addresses (::a.b.c.d); nothing public should answer on them.
  range('::/96', 'a reserved (IPv4-compatible) address'),
  // NAT64 gateways turn 64:ff9b::a.b.c.d into a connection to a.b.c.d.
  range('64:ff9b::/96', 'a NAT64 address', 12),
  range('64:ff9b:1::/48', 'a reserved (local-use NAT64) address'),
  range('100::/64', 'a reserved (discard-only) address'),
  // Teredo tunnels reach arbitrary IPv4 hosts through a relay; functions have no use for them.
  range('2001::/32', 'a reserved (Teredo tunnel) address'),
  range('2001:db8::/32', 'a reserved (documentation) address'),
  range('3fff::/20', 'a reserved (documentation) address'),
  // 6to4: 2002:AABB:CCDD::/48 tunnels to the IPv4 address AA.BB.CC.DD.
  range('2002::/16', 'a 6to4 address', 2),
  range('fc00::/7', 'a private (unique local) address'),
  range('fe80::/10', 'a link-local address'),
  range('fec0::/10', 'a site-local (deprecated private) address'),
  range('ff00::/8', 'a multicast address'),
];
// Everything public on IPv6 is in 2000::/3; the rest is unassigned or special, so refuse it.
const V6_GLOBAL_UNICAST = range('2000::/3', 'global unicast');

/** Whether private networks may be reached, and the exceptions to the refusal. */
export interface AddressPolicy {
  /** Reach private, loopback and link-local addresses too (local development, tests). */
  readonly allowPrivateNetwork: boolean;
  /** Exceptions to the refusal, address by address (e.g. one internal API the operator trusts). */
  readonly isAllowedAddress?: ((address: string) => boolean) | undefined;
}

/** An address the policy refuses, and why ("a loopback address (127.0.0.0/8)"). */
export interface RefusedAddress {
  address: string;
  reason: string;
}

/**
 * The first of `addresses` the policy refuses, or null when every one may be reached. One bad
 * address refuses a host: with several, the socket layer may pick whichever it likes.
 */
export function refusedAddress(addresses: Iterable<string>, policy: AddressPolicy): RefusedAddress | null {
  if (policy.allowPrivateNetwork) return null;
  for (const address of addresses) {
    const reason = blockedAddressReason(address);
    if (reason !== null && !policy.isAllowedAddress?.(address)) return { address, reason };
  }
  return null;
}

/**
 * Why `address` must not be reached ("a loopback address (127.0.0.0/8)"), or null when it is a
 * public unicast address. Anything that is not an IP address is refused.
 */
export function blockedAddressReason(address: string): string | null {
  const bare = address.replace(/%.*$/, ''); // resolvers may append an IPv6 zone ("fe80::1%eth0")
  const family = isIP(bare);
  if (family === 4) return v4Reason(parseV4(bare)!);
  if (family === 6) return v6Reason(parseV6(bare)!);
  return 'not an IP address';
}

function v4Reason(bytes: Uint8Array): string | null {
  const hit = V4_RANGES.find((r) => inRange(bytes, r));
  return hit ? `${hit.what} (${hit.cidr})` : null;
}

function v6Reason(bytes: Uint8Array): string | null {
  const hit = V6_RANGES.find((r) => inRange(bytes, r));
  if (!hit) return inRange(bytes, V6_GLOBAL_UNICAST) ? null : 'a reserved address (outside 2000::/3, the global unicast range)';
  if (hit.embedsV4At === undefined) return `${hit.what} (${hit.cidr})`;
  const v4 = bytes.subarray(hit.embedsV4At, hit.embedsV4At + 4);
  const inner = v4Reason(v4);
  // A mapped/NAT64/6to4 address of a public IPv4 host is as public as that host.
  return inner === null ? null : `${hit.what} (${hit.cidr}) of ${v4.join('.')}, ${inner}`;
}

function inRange(bytes: Uint8Array, r: Range): boolean {
  if (bytes.length !== r.prefix.length) return false;
  const whole = r.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== r.prefix[i]) return false;
  const rest = r.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole]! ^ r.prefix[whole]!) & mask) === 0;
}

function range(cidr: string, what: string, embedsV4At?: number): Range {
  const [ip = '', bits = ''] = cidr.split('/');
  const prefix = isIP(ip) === 4 ? parseV4(ip) : parseV6(ip);
  if (!prefix) throw new Error(`bad range ${cidr}`);
  return embedsV4At === undefined ? { prefix, bits: Number(bits), cidr, what } : { prefix, bits: Number(bits), cidr, what, embedsV4At };
}

/** Dotted-quad text (already validated by `isIP`) to 4 bytes. */
function parseV4(text: string): Uint8Array | null {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return null;
  return Uint8Array.from(parts);
}

/** IPv6 text (already validated by `isIP`, any compression, optional dotted-quad tail) to 16 bytes. */
function parseV6(text: string): Uint8Array | null {
  let head = text;
  const words: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const tail: number[] = [];
  if (text.includes('.', lastColon)) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (!v4) return null;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  const front = halves[0] ? halves[0].split(':') : [];
  const back = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  words.push(...front.map((w) => parseInt(w, 16)));
  if (halves.length > 1) words.push(...new Array<number>(8 - front.length - back.length - tail.length).fill(0));
  words.push(...back.map((w) => parseInt(w, 16)), ...tail);
  if (words.length !== 8 || words.some((w) => !(w >= 0 && w <= 0xffff))) return null;
  return Uint8Array.from(words.flatMap((w) => [w >> 8, w & 0xff]));
}
