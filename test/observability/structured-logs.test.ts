/**
 * The engine's logs are structured (README "Configuration", LOG_LEVEL: "logs are JSON lines with
 * a request id"): every line the logger writes is one JSON object with a `level`, a `message` and
 * an ISO `timestamp`, and the lines about an HTTP request carry its `requestId`, the same value
 * the engine answers in the `x-request-id` response header (so a failed request is found in the
 * logs from its answer).
 *
 * The engine runs in this thread (in-memory store, so processing too) with a logger whose every
 * line is captured, and is driven through requests that log: management API calls (answered and
 * refused with 4xx) and ingest calls refused with 4xx.
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { testConfig } from '../../engine/config.ts';
import { startEngine, type RunningEngine } from '../../engine/engine.ts';
import { createLogger } from '../../engine/logger.ts';
import { answer, type Answer } from '../support/test-engine.ts';

const LEVELS = ['error', 'warn', 'info', 'debug'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('structured logs: JSON lines with a level, a message, a timestamp and the request id', function () {
  this.timeout(30_000);
  /** Every chunk the logger wrote, as written. */
  const chunks: string[] = [];
  let engine: RunningEngine;

  before(async () => {
    const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
    engine = await startEngine(testConfig({ host: '127.0.0.1', port: 0, logLevel: 'debug' }), {
      logger: createLogger('debug', true, { stream }),
    });
  });
  after(async () => { await engine?.close(); });

  /** Every captured line (chunks joined, split at newlines, the empty tail after the last one dropped). */
  function capturedLines(): string[] {
    const text = chunks.join('');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  /** Every captured line parsed; a line that is not one JSON object fails the test, quoting it. */
  function parsedLines(): any[] {
    return capturedLines().map((line, i) => {
      let parsed: unknown;
      expect(() => { parsed = JSON.parse(line); }, `line ${i} is JSON: ${line}`).not.to.throw();
      expect(parsed, `line ${i} is an object: ${line}`).to.be.an('object').and.not.to.be.an('array');
      expect(parsed, `line ${i}`).not.to.equal(null);
      return parsed;
    });
  }

  /** The parsed lines carrying `requestId`, once at least `count` of them were written (the log is written as the answer finishes). */
  async function linesOf(requestId: string, count = 1): Promise<any[]> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const found = parsedLines().filter((l) => l.requestId === requestId);
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function call(method: string, path: string, options: { headers?: Record<string, string>; raw?: string; auth?: string } = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth !== undefined) headers['authorization'] = options.auth;
    if (options.raw !== undefined) headers['content-type'] = 'application/json';
    return answer(await fetch(`${engine.url}${path}`, { method, headers, ...(options.raw !== undefined ? { body: options.raw } : {}) }));
  }

  const admin = () => `Bearer ${engine.credentials.adminToken!}`;
  const basic = () => `Basic ${Buffer.from(`${engine.credentials.writeKey!}:`).toString('base64')}`;

  it('a refused management call (404): its request id is in the header and in the log lines about it, with method, status and why', async () => {
    const res = await call('GET', '/api/v1/journeys/no-such-journey', { auth: admin() });
    expect(res.status, JSON.stringify(res.body)).to.equal(404);
    const requestId = res.headers.get('x-request-id');
    expect(requestId, 'the answer carries a request id').to.be.a('string').and.to.match(UUID);

    const lines = await linesOf(requestId!, 2);
    const request = lines.find((l) => l.message === 'request');
    expect(request, `the access line of ${requestId}: ${JSON.stringify(lines)}`).to.not.equal(undefined);
    expect(request).to.include({ level: 'info', requestId, method: 'GET', status: 404 });
    expect(request.durationMs).to.be.a('number');
    // winston appends a `message` given with the fields to the line's message: "request rejected <why>".
    const rejected = lines.find((l) => /^request rejected\b/.test(l.message));
    expect(rejected, `the refusal line of ${requestId}: ${JSON.stringify(lines)}`).to.not.equal(undefined);
    expect(rejected).to.include({ level: 'debug', requestId, method: 'GET', code: 'not_found' });
    expect(rejected.message).to.include("'no-such-journey' was not found");
  });

  it('an answered management call is logged with its request id too, and two requests get two ids', async () => {
    const first = await call('GET', '/api/v1/space', { auth: admin() });
    const second = await call('GET', '/api/v1/space', { auth: admin() });
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(second.status, JSON.stringify(second.body)).to.equal(200);
    const ids = [first.headers.get('x-request-id'), second.headers.get('x-request-id')];
    expect(ids[0]).to.match(UUID);
    expect(ids[1]).to.match(UUID);
    expect(ids[0]).not.to.equal(ids[1]);
    for (const id of ids) {
      const [line, ...more] = await linesOf(id!);
      expect(more, `one line for ${id}`).to.deep.equal([]);
      // The whole path, not the part after a router's mount path.
      expect(line).to.include({ level: 'info', message: 'request', requestId: id, method: 'GET', path: '/api/v1/space', status: 200 });
    }
  });

  it('keeps a sane caller-given x-request-id, in the answer and in the log', async () => {
    const given = 'trace-0123.abc:42';
    const res = await call('GET', '/api/v1/journeys/another-missing-one', { auth: admin(), headers: { 'x-request-id': given } });
    expect(res.status).to.equal(404);
    expect(res.headers.get('x-request-id')).to.equal(given);
    const lines = await linesOf(given, 2);
    expect(lines.map((l) => l.message.split(' ').slice(0, 2).join(' ')).sort()).to.deep.equal(['request', 'request rejected']);
  });

  it('a refused ingest call (400 invalid_json) logs the request id it answers', async () => {
    const res = await call('POST', '/v1/track', { auth: basic(), raw: '{"userId":"u-1","event":' });
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(res.body.error.code).to.equal('invalid_json');
    const requestId = res.headers.get('x-request-id');
    expect(requestId).to.be.a('string').and.to.match(UUID);
    const [line] = await linesOf(requestId!);
    expect(line, `a log line for ingest request ${requestId}`).to.not.equal(undefined);
    expect(line).to.include({ level: 'debug', requestId, code: 'invalid_json' });
    expect(line.message).to.match(/^ingest rejected\b/);
  });

  it('every captured line is one JSON object with a known level, a message and an ISO timestamp', async () => {
    // Something to log even when this test runs alone.
    const res = await call('GET', '/api/v1/journeys/yet-another-missing-one', { auth: admin() });
    await linesOf(res.headers.get('x-request-id')!, 2);
    expect(chunks.length, 'the engine logged').to.be.greaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.endsWith('\n'), `each write is a whole line: ${JSON.stringify(chunk)}`).to.equal(true);
      expect(chunk.slice(0, -1), `each write is one line: ${JSON.stringify(chunk)}`).not.to.include('\n');
    }
    const lines = parsedLines();
    expect(lines.length).to.equal(chunks.length);
    for (const [i, line] of lines.entries()) {
      const where = `line ${i}: ${JSON.stringify(line)}`;
      expect(LEVELS, where).to.include(line.level);
      expect(line.message, where).to.be.a('string').and.not.to.equal('');
      expect(line.timestamp, where).to.be.a('string');
      expect(new Date(line.timestamp).toISOString(), where).to.equal(line.timestamp);
    }
    expect(lines.filter((l) => l.message === 'request').every((l) => typeof l.requestId === 'string' && l.requestId !== ''),
      'every request line has a request id').to.equal(true);
  });
});
