/**
 * An error passed in a log call's metadata, as the engine logs them (`logger.error('…', { error })`),
 * reaches the JSON line with its name, message, code, stack and cause, not as `{}`.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../engine/logger.ts';

function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logged errors', () => {
  it('carry name, message, code, stack and cause; other metadata is kept as it is', async () => {
    const out = capture();
    const logger = createLogger('info', true, { stream: out.stream });
    const cause = new TypeError('socket hang up');
    const error = Object.assign(new RangeError('Invalid time value', { cause }), { code: 'ERR_BAD_DATE' });
    logger.error('timer failed', { error, profileId: 'prf_1' });
    await new Promise((resolve) => setImmediate(resolve));

    const [line] = out.lines();
    expect(line).to.include({ level: 'error', message: 'timer failed', profileId: 'prf_1' });
    const logged = line!['error'] as Record<string, unknown>;
    expect(logged).to.include({ name: 'RangeError', message: 'Invalid time value', code: 'ERR_BAD_DATE' });
    expect(logged['stack']).to.be.a('string').and.to.include('RangeError: Invalid time value');
    expect(logged['cause']).to.include({ name: 'TypeError', message: 'socket hang up' });
  });
});
