/**
 * Host-name resolution for outbound connections under the private-address policy
 * (ssrf-guard.ts). Two callers share it:
 *
 * - destination functions' `fetch` (host-fetch.ts) resolves each hop once, checks the answer,
 *   and pins the connection to those addresses with `pinnedLookup`;
 * - destination plugins' HTTP agents (destinations/outbound-guard.ts) give the socket a
 *   `vettedLookup`, which resolves, checks and answers in one step, at connect time.
 *
 * Either way the addresses a socket connects to are exactly the ones that were checked, so a DNS
 * answer that changes between check and connect (DNS rebinding) cannot slip through.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { refusedAddress, type AddressPolicy, type RefusedAddress } from './ssrf-guard.ts';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (default: the system resolver, `dns.lookup` with `all`). */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (`dns.lookup`, every address, in the resolver's order). */
export async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const found = await dnsLookup(hostname, { all: true, order: 'verbatim' });
  return found.filter((a): a is ResolvedAddress => a.family === 4 || a.family === 6);
}

/**
 * A `lookup` for node:net that answers with the addresses already vetted instead of asking DNS
 * again. Handles both shapes net asks for: one address, or all of them (happy eyeballs).
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : [...addresses];
    const first = wanted[0];
    if (!first) {
      callback(Object.assign(new Error(`no IPv${String(options.family)} address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    } else if (options.all) callback(null, wanted);
    else callback(null, first.address, first.family);
  };
}

/** Options of vettedLookup. */
export interface VettedLookupOptions {
  policy: AddressPolicy;
  /** Default: systemResolve. */
  resolve?: ResolveHost | undefined;
  /** The error a refused host fails its connection with. */
  refuse: (hostname: string, refused: RefusedAddress) => Error;
}

/**
 * A `lookup` for node:net that resolves the host, fails the connection with `refuse`'s error
 * when the policy refuses any of its addresses, and otherwise answers with exactly the addresses
 * it checked.
 */
export function vettedLookup(options: VettedLookupOptions): LookupFunction {
  const resolve = options.resolve ?? systemResolve;
  return (hostname, lookupOptions, callback) => {
    const answer = (addresses: ResolvedAddress[]): Error | LookupFunction => {
      if (addresses.length === 0) return Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' });
      const refused = refusedAddress(addresses.map((a) => a.address), options.policy);
      return refused ? options.refuse(hostname, refused) : pinnedLookup(addresses);
    };
    resolve(hostname).then(answer, (error: unknown) => (error instanceof Error ? error : new Error(String(error)))).then((next) => {
      // Out of the promise chain: a throw inside net's callback must not become an unhandled rejection.
      process.nextTick(() => {
        if (next instanceof Error) callback(next, '');
        else next(hostname, lookupOptions, callback);
      });
    });
  };
}
