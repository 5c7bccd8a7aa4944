import type { HostFetch, HostFetchRequest, HostFetchResponse } from '../../functions-runtime/host-fetch-types.ts';

/** A fake HostFetch that records every request and answers from `respond` (default: 200 `{"ok":true}`). */
export function recordingFetch(respond?: (request: HostFetchRequest) => Partial<HostFetchResponse> | Promise<Partial<HostFetchResponse>>): HostFetch & { requests: HostFetchRequest[] } {
  const requests: HostFetchRequest[] = [];
  const fetch = async (request: HostFetchRequest): Promise<HostFetchResponse> => {
    requests.push(request);
    const answer = respond ? await respond(request) : {};
    return {
      url: request.url,
      status: 200,
      statusText: 'OK',
      headers: [['content-type', 'application/json']],
      body: '{"ok":true}',
      redirected: false,
      ...answer,
    };
  };
  return Object.assign(fetch, { requests });
}
