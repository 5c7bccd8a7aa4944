/**
 * The private-address policy of destination plugins' outbound HTTP: the same refusal as
 * destination functions' `fetch` (product.md "Security"), from the same module
 * (functions-runtime/ssrf-guard.ts), unless the operator allows private networks
 * (DESTINATIONS_ALLOW_PRIVATE_NETWORK).
 *
 * Where the check sits: in the HTTP agent, at connect time. actions-core's request client is
 * node-fetch (through cross-fetch), which hands every request to the agent it is given, and every
 * redirect it follows to the same agent. The agent refuses a literal IP host before opening a
 * socket, and gives the socket a lookup that resolves the name, refuses it if any address is
 * non-public, and answers with exactly the addresses it checked (functions-runtime/vetted-lookup.ts),
 * so a DNS answer that changes between check and connect cannot slip through. Pooled keep-alive
 * sockets were all opened through that check.
 *
 * Why there and not before the request: interceptors such as nock replace `http.request` and
 * answer without an agent or a socket, so a mocked host (api.example.com in plugin tests) is
 * never resolved and never checked: checking the URL up front would need DNS for hosts that only
 * exist in a test. Anything that does reach the network goes through the check.
 *
 * Not covered: a plugin that opens connections without actions-core's request client (its own
 * `fetch` or `http.request`) or passes its own `agent` to `request`. Plugins are code the operator
 * installs; the policy protects against the URLs and settings a space admin or an event supplies.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { refusedAddress, type AddressPolicy, type RefusedAddress } from '../functions-runtime/ssrf-guard.ts';
import { vettedLookup, type ResolveHost } from '../functions-runtime/vetted-lookup.ts';
import type { AnyDestinationDefinition } from './plugin.ts';

/**
 * `code` of the error a refused connection fails with. node-fetch copies it onto its FetchError,
 * so the delivery classifier recognises a refusal by this code and fails the delivery at once.
 */
export const ADDRESS_REFUSED_CODE = 'ERR_ADDRESS_REFUSED';

/** A destination request to a private, loopback, link-local or otherwise non-public address. Never retried. */
export class AddressRefusedError extends Error {
  readonly code = ADDRESS_REFUSED_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}

/** What createOutboundGuard enforces. */
export interface OutboundPolicy extends AddressPolicy {
  /** Host name resolver (tests inject one: there is no DNS here). Default: the system resolver. */
  resolve?: ResolveHost | undefined;
}

/** The agents destination requests go through under one policy. */
export interface OutboundGuard {
  readonly allowPrivateNetwork: boolean;
  /** The agent for a request with this protocol (`http:`/`https:`); undefined: Node's default agent, no checks. */
  agentFor(protocol: string | null | undefined): http.Agent | undefined;
}

type ConnectionCallback = (err: Error | null, stream: Duplex) => void;

function refusal(host: string, refused: RefusedAddress): AddressRefusedError {
  const what = refused.address === host ? `${host}, ${refused.reason}` : `${host}: it resolves to ${refused.address}, ${refused.reason}`;
  return new AddressRefusedError(
    `refused to connect to ${what}; destinations may not reach private networks unless DESTINATIONS_ALLOW_PRIVATE_NETWORK is set`,
  );
}

/**
 * The check node:net skips: a literal IP host is connected to without a lookup. A Unix socket
 * path is refused outright (nothing public lives there).
 */
function refuseBeforeConnecting(options: { host?: string | null | undefined; socketPath?: string | undefined }, policy: AddressPolicy): Error | null {
  if (policy.allowPrivateNetwork) return null;
  if (options.socketPath) return new AddressRefusedError(`refused to connect to the Unix socket ${options.socketPath}`);
  const host = (options.host ?? '').replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) === 0) return null;
  const refused = refusedAddress([host], policy);
  return refused ? refusal(host, refused) : null;
}

/** Creates the agents of one policy; every request through them is checked when it connects. */
export function createOutboundGuard(policy: OutboundPolicy): OutboundGuard {
  if (policy.allowPrivateNetwork) return { allowPrivateNetwork: true, agentFor: () => undefined };
  const lookup = vettedLookup({ policy, resolve: policy.resolve, refuse: refusal });

  /** Refuses through the callback (as a failed connection) or opens the connection with `connect`. */
  const connectUnlessRefused = (options: Parameters<typeof refuseBeforeConnecting>[0], callback: ConnectionCallback | undefined, connect: () => Duplex | null | undefined) => {
    const refused = refuseBeforeConnecting(options, policy);
    if (refused === null) return connect();
    callback?.(refused, undefined as unknown as Duplex);
    return undefined;
  };
  class GuardedHttpAgent extends http.Agent {
    override createConnection(options: http.ClientRequestArgs, callback?: ConnectionCallback): Duplex | null | undefined {
      return connectUnlessRefused(options, callback, () => super.createConnection(options, callback));
    }
  }
  class GuardedHttpsAgent extends https.Agent {
    override createConnection(options: https.RequestOptions, callback?: ConnectionCallback): Duplex | null | undefined {
      return connectUnlessRefused(options, callback, () => super.createConnection(options, callback));
    }
  }

  // Pooling as Node's global agents (what requests used before this guard). Agent options are
  // merged over each request's, so a request cannot swap the lookup out.
  const options = { keepAlive: true, scheduling: 'lifo' as const, timeout: 5_000, lookup };
  const agents = { http: new GuardedHttpAgent(options), https: new GuardedHttpsAgent(options) };
  return {
    allowPrivateNetwork: false,
    agentFor: (protocol) => (protocol === 'https:' ? agents.https : agents.http),
  };
}

/** The guard of the default policy: private, loopback and link-local addresses refused. */
export const REFUSE_PRIVATE_NETWORK: OutboundGuard = createOutboundGuard({ allowPrivateNetwork: false });

/**
 * `definition` with every request of its request client (actions, batches, credential checks)
 * going through the guard's agents: its `extendRequest` answers one more option, `agent`.
 */
export function guardDefinition<D extends AnyDestinationDefinition>(definition: D, guard: OutboundGuard): D {
  if (guard.allowPrivateNetwork) return definition;
  const extend = definition.extendRequest;
  // A function, not an Agent: node-fetch calls it with each URL (redirects included), and
  // actions-core's option merge copies functions as they are instead of merging them key by key.
  // actions-core's prepare-response calls `options.agent.destroy()` after every response (it
  // expects an agent per request); the shared agents outlive requests, so that is a no-op here.
  const agent = Object.assign((url: { protocol?: string | null }) => guard.agentFor(url.protocol), { destroy: () => undefined });
  return {
    ...definition,
    extendRequest: (data: Parameters<NonNullable<D['extendRequest']>>[0]) => ({ ...(extend?.(data) ?? {}), agent }),
  } as D;
}
