import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: answer 503 itself, forward it, or forward it and then lose the answer. */
export type ProxyAction = 'fail' | 'forward' | 'forward-then-fail';

/** One request as the proxy saw it, and the engine's answer when it was forwarded. */
export interface ProxiedRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  engineStatus: number | null;
  engineBody: string | null;
}

/** A real HTTP proxy in front of the engine that fails chosen requests with 503. */
export interface FlakyProxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = http.request({
      host: target.hostname, port: target.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

/** Starts a proxy to `targetUrl`; `plan(n)` chooses the action for the n-th request (0-based). */
export async function startFlakyProxy(targetUrl: string, plan: (attempt: number) => ProxyAction): Promise<FlakyProxy> {
  const target = new URL(targetUrl);
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const seen: ProxiedRequest = { headers: req.headers, body: body.toString('utf8'), engineStatus: null, engineBody: null };
      const action = plan(requests.length);
      requests.push(seen);
      const unavailable = () => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"unavailable","message":"proxy says no"}}');
      };
      if (action === 'fail') return unavailable();
      forward(target, req, body).then((answer) => {
        seen.engineStatus = answer.status;
        seen.engineBody = answer.body.toString('utf8');
        if (action === 'forward-then-fail') return unavailable();
        res.writeHead(answer.status, { 'content-type': answer.headers['content-type'] ?? 'application/json' });
        res.end(answer.body);
      }, () => {
        res.writeHead(502);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
