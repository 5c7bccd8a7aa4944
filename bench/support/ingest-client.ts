import { Pool } from 'undici';

/** One request of a load phase: a Segment ingest call carrying `events` messages. */
export interface IngestRequest {
  path: '/v1/track' | '/v1/batch';
  body: string;
  events: number;
}

/** What the engine answered to one request. */
export type IngestOutcome =
  | { ok: true; stored: number; duplicates: number }
  | { ok: false; error: string };

/** A keep-alive undici pool posting Segment ingest requests with the write key as the Basic username. */
export class IngestClient {
  readonly #pool: Pool;
  readonly #headers: Record<string, string>;

  constructor(options: { url: string; writeKey: string; connections: number }) {
    this.#pool = new Pool(options.url, { connections: options.connections, pipelining: 1, keepAliveTimeout: 60_000 });
    this.#headers = {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${options.writeKey}:`).toString('base64')}`,
    };
  }

  async send(request: IngestRequest): Promise<IngestOutcome> {
    try {
      const response = await this.#pool.request({ path: request.path, method: 'POST', headers: this.#headers, body: request.body });
      const text = await response.body.text();
      if (response.statusCode !== 200) return { ok: false, error: `HTTP ${response.statusCode}: ${text.slice(0, 300)}` };
      const parsed = JSON.parse(text) as { stored?: number; duplicates?: number };
      return { ok: true, stored: parsed.stored ?? 0, duplicates: parsed.duplicates ?? 0 };
    } catch (error) {
      return { ok: false, error: String((error as Error)?.message ?? error) };
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
