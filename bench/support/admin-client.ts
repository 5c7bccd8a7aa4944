/**
 * The management API as a benchmark uses it: journeys (create + publish) and the test clock,
 * with the default space's admin token as Bearer. Few calls, so global fetch is good enough.
 */

/** A non-2xx answer of the management API. */
export class AdminApiError extends Error {
  override name = 'AdminApiError';
}

/** Tries of one call answered 503 before giving up. */
const MAX_ATTEMPTS = 10;

/** The management API client of the benchmarks. */
export class AdminClient {
  readonly #url: string;
  readonly #token: string;

  constructor(options: { url: string; adminToken: string }) {
    this.#url = options.url;
    this.#token = options.adminToken;
  }

  /**
   * Calls the API and answers the parsed JSON body; throws on a non-2xx status. A 503 (the store
   * locked or failing over) is retried after its Retry-After, as any well-behaved client would.
   */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${this.#url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await response.text();
      if (response.status === 503 && attempt < MAX_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers.get('retry-after') ?? 1)));
        continue;
      }
      if (!response.ok) throw new AdminApiError(`${method} ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
      return (text.length > 0 ? JSON.parse(text) : null) as T;
    }
  }

  /** Creates a journey from its document and publishes it; answers its id. */
  async publishJourney(definition: Record<string, unknown>): Promise<string> {
    const created = await this.call<{ journey: { id: string } }>('POST', '/api/v1/journeys', definition);
    await this.call('POST', `/api/v1/journeys/${created.journey.id}/publish`, {});
    return created.journey.id;
  }

  /** Moves the test clock (ENGINE_TEST_CLOCK=1) forward; the engine answers once everything due was processed. */
  advanceClock(ms: number): Promise<{ now: string; fired: number }> {
    return this.call('POST', '/api/v1/test-clock/advance', { ms });
  }
}
