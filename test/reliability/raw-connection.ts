import net from 'node:net';

/** What a raw connection saw: how long the server kept it open and what it answered. */
export interface RawOutcome {
  /** Milliseconds from connecting until the server closed the connection (or `maxMs` when it did not). */
  closedAfterMs: number;
  /** Whether the server closed it (false: the test gave up after `maxMs`). */
  closedByServer: boolean;
  /** Everything the server sent. */
  response: string;
}

/**
 * Opens a TCP connection to the server of `url`, writes `head`, then writes `drip` every
 * `intervalMs` (a slow client) until the server closes the connection or `maxMs` pass.
 */
export function rawConnection(url: string, options: { head?: string; drip?: string; intervalMs?: number; maxMs?: number } = {}): Promise<RawOutcome> {
  const { hostname, port } = new URL(url);
  const maxMs = options.maxMs ?? 10_000;
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    const started = performance.now();
    let response = '';
    let drip: NodeJS.Timeout | null = null;
    const giveUp = setTimeout(() => finish(false), maxMs);
    const finish = (byServer: boolean) => {
      clearTimeout(giveUp);
      if (drip) clearInterval(drip);
      socket.removeAllListeners('close');
      socket.destroy();
      resolve({ closedAfterMs: performance.now() - started, closedByServer: byServer, response });
    };
    socket.on('connect', () => {
      if (options.head) socket.write(options.head);
      if (options.drip !== undefined) {
        drip = setInterval(() => { if (!socket.destroyed) socket.write(options.drip!); }, options.intervalMs ?? 50);
      }
    });
    socket.on('data', (d) => { response += d.toString('latin1'); });
    socket.on('error', () => { /* a reset by the server counts as closing */ });
    socket.on('close', () => finish(true));
  });
}

/** The head of a POST with these headers (a `Host` header is added). */
export function postHead(path: string, headers: Record<string, string>): string {
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}
