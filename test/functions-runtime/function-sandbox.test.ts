import { expect } from 'chai';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import { HANDLER_NAMES, type InvocationResult } from '../../functions-runtime/invocation-result.ts';
import { recordingFetch } from './recording-fetch.ts';

const EVERY_HANDLER = HANDLER_NAMES.map((name) => `async function ${name}(payload, settings) { return { handler: '${name}', payload }; }`).join('\n');

function expectOk(result: InvocationResult): unknown {
  if (!result.ok) expect.fail(`expected success, got ${result.error.name}: ${result.error.message}`);
  return result.value;
}

describe('FunctionSandbox: programming model', () => {
  let sandbox: FunctionSandbox;
  beforeEach(() => { sandbox = new FunctionSandbox({ fetch: recordingFetch() }); });
  afterEach(() => sandbox.dispose());

  for (const handler of HANDLER_NAMES) {
    it(`runs ${handler} with the payload it is given`, async () => {
      const payload = handler === 'onBatch' ? [{ type: 'track', event: 'A' }, { type: 'track', event: 'B' }] : { type: handler.slice(2).toLowerCase(), userId: 'u1' };
      const result = await sandbox.invoke({ key: 'fn_all@1', code: EVERY_HANDLER, handler, payload, settings: {} });
      expect(expectOk(result)).to.deep.equal({ handler, payload });
    });
  }

  it('answers EventNotSupported, naming the handler, when the function does not define it', async () => {
    const result = await sandbox.invoke({ key: 'fn_track_only@1', code: 'async function onTrack() {}', handler: 'onIdentify', payload: {}, settings: {} });
    expect(result.ok).to.equal(false);
    if (result.ok) return;
    expect(result.error.name).to.equal('EventNotSupported');
    expect(result.error.message).to.contain('onIdentify');
  });

  for (const name of ['ValidationError', 'InvalidEventPayload', 'EventNotSupported', 'RetryError']) {
    it(`brings a thrown ${name} back by name and message`, async () => {
      const code = `async function onTrack(event) { throw new ${name}('because ' + event.event); }`;
      const result = await sandbox.invoke({ key: `fn_${name}@1`, code, handler: 'onTrack', payload: { event: 'Signed Up' }, settings: {} });
      expect(result).to.deep.include({ ok: false, error: { name, message: 'because Signed Up' } });
    });
  }

  it('brings back plain errors and thrown non-errors', async () => {
    const code = `
      async function onTrack() { throw new TypeError('wrong type'); }
      function onIdentify() { throw 'just a string'; }`;
    const track = await sandbox.invoke({ key: 'fn_throw@1', code, handler: 'onTrack', payload: {}, settings: {} });
    const identify = await sandbox.invoke({ key: 'fn_throw@1', code, handler: 'onIdentify', payload: {}, settings: {} });
    expect(track).to.deep.include({ ok: false, error: { name: 'TypeError', message: 'wrong type' } });
    expect(identify).to.deep.include({ ok: false, error: { name: 'Error', message: 'just a string' } });
  });

  it('passes settings, as a fresh copy on every call', async () => {
    const code = `async function onTrack(event, settings) { const seen = settings.count; settings.count = 99; return { apiKey: settings.apiKey, seen }; }`;
    const settings = { apiKey: 'secret-key', count: 1 };
    const first = await sandbox.invoke({ key: 'fn_settings@1', code, handler: 'onTrack', payload: {}, settings });
    const second = await sandbox.invoke({ key: 'fn_settings@1', code, handler: 'onTrack', payload: {}, settings });
    expect(expectOk(first)).to.deep.equal({ apiKey: 'secret-key', seen: 1 });
    expect(expectOk(second)).to.deep.equal({ apiKey: 'secret-key', seen: 1 });
    expect(settings.count).to.equal(1);
  });

  it('captures console output with its level and time', async () => {
    const code = `async function onTrack(event) {
      console.log('received', event.event, { n: 1 });
      console.info('info'); console.warn('warn'); console.error(new Error('boom')); console.debug(42, null, undefined);
    }`;
    const result = await sandbox.invoke({ key: 'fn_logs@1', code, handler: 'onTrack', payload: { event: 'Order Completed' }, settings: {} });
    expect(expectOk(result)).to.equal(undefined);
    expect(result.logs.map((l) => [l.level, l.message.split('\n')[0]])).to.deep.equal([
      ['log', 'received Order Completed {"n":1}'],
      ['info', 'info'],
      ['warn', 'warn'],
      ['error', 'Error: boom'],
      ['debug', '42 null undefined'],
    ]);
    expect(Date.parse(result.logs[0]!.at)).to.be.closeTo(Date.now(), 5_000);
  });

  it('returns JSON data only, and fails a return value that is not JSON', async () => {
    const code = `
      async function onTrack() { return { at: new Date(0), skip: () => 1, n: 1 }; }
      async function onIdentify() { const a = {}; a.self = a; return a; }`;
    expect(expectOk(await sandbox.invoke({ key: 'fn_ret@1', code, handler: 'onTrack', payload: {}, settings: {} }))).to.deep.equal({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    const cyclic = await sandbox.invoke({ key: 'fn_ret@1', code, handler: 'onIdentify', payload: {}, settings: {} });
    expect(cyclic.ok).to.equal(false);
    if (!cyclic.ok) expect(cyclic.error.name).to.equal('InvalidReturnValue');
  });

  it('keeps the isolate warm: the second call of a version is not a cold start and reuses its state', async () => {
    const code = 'let calls = 0; async function onTrack() { calls += 1; return calls; }';
    const first = await sandbox.invoke({ key: 'fn_warm@1', code, handler: 'onTrack', payload: {}, settings: {} });
    const second = await sandbox.invoke({ key: 'fn_warm@1', code, handler: 'onTrack', payload: {}, settings: {} });
    expect(first.timing.coldStart).to.equal(true);
    expect(second.timing.coldStart).to.equal(false);
    expect([expectOk(first), expectOk(second)]).to.deep.equal([1, 2]);
    expect(second.timing.totalMs).to.be.a('number');
    const stats = await sandbox.stats();
    expect(stats.isolates).to.equal(1);
    expect(stats.perIsolate[0]!.heapUsedBytes).to.be.greaterThan(0);
  });

  it('runs overlapping calls of one function in separate contexts, each with its own logs', async () => {
    const code = `async function onTrack(event) {
      console.log('start ' + event.n);
      await new Promise((resolve) => setTimeout(resolve, 20 - event.n * 5));
      console.log('end ' + event.n);
      return event.n;
    }`;
    const results = await Promise.all([1, 2, 3].map((n) => sandbox.invoke({ key: 'fn_overlap@1', code, handler: 'onTrack', payload: { n }, settings: {} })));
    results.forEach((result, i) => {
      expect(expectOk(result)).to.equal(i + 1);
      expect(result.logs.map((l) => l.message)).to.deep.equal([`start ${i + 1}`, `end ${i + 1}`]);
    });
  });

  it('evicts the least recently used isolate beyond maxIsolates, and idle isolates after idleEvictMs', async () => {
    const small = new FunctionSandbox({ fetch: recordingFetch(), maxIsolates: 2, idleEvictMs: 40 });
    try {
      const code = 'async function onTrack() { return 1; }';
      for (const key of ['a@1', 'b@1', 'c@1']) await small.invoke({ key, code, handler: 'onTrack', payload: {}, settings: {} });
      expect((await small.stats()).perIsolate.map((s) => s.key)).to.deep.equal(['b@1', 'c@1']);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect((await small.stats()).isolates).to.equal(0);
      expect((await small.invoke({ key: 'a@1', code, handler: 'onTrack', payload: {}, settings: {} })).timing.coldStart).to.equal(true);
    } finally {
      small.dispose();
    }
  });

  it('reports a syntax error at invoke time as a SyntaxError result', async () => {
    const result = await sandbox.invoke({ key: 'fn_broken@1', code: 'async function onTrack( {', handler: 'onTrack', payload: {}, settings: {} });
    expect(result.ok).to.equal(false);
    if (!result.ok) expect(result.error.name).to.equal('SyntaxError');
  });
});

describe('FunctionSandbox.checkSyntax', () => {
  const sandbox = new FunctionSandbox({ fetch: recordingFetch() });
  after(() => sandbox.dispose());

  it('returns null for valid code, without running it', () => {
    expect(sandbox.checkSyntax('while (true) {}\nasync function onTrack() {}')).to.equal(null);
  });

  it('gives the 1-based line and column of the first error', () => {
    expect(sandbox.checkSyntax('async function onTrack(event) {\n  const x = 1;\n  x +* 2;\n}')).to.deep.equal({ message: "Unexpected token '*'", line: 3, column: 6 });
  });

  it('finds errors inside function bodies too', () => {
    const problem = sandbox.checkSyntax('async function onTrack(event) {\n  return {\n}\n');
    expect(problem).to.include({ line: 4 });
    expect(problem?.message).to.match(/Unexpected end of input/);
  });
});
