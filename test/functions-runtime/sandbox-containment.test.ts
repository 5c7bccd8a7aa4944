import { expect } from 'chai';
import { FunctionSandbox } from '../../functions-runtime/function-sandbox.ts';
import type { InvocationResult } from '../../functions-runtime/invocation-result.ts';
import { recordingFetch } from './recording-fetch.ts';

// Hostile code fails only its own call: after each case, another function and the same function
// (with a well-behaved handler) still run.
describe('FunctionSandbox: containment of hostile functions', function () {
  this.timeout(5_000);
  const CPU_MS = 200;
  const WALL_MS = 400;
  let sandbox: FunctionSandbox;
  beforeEach(() => { sandbox = new FunctionSandbox({ fetch: recordingFetch(), cpuTimeoutMs: CPU_MS, wallTimeoutMs: WALL_MS, memoryLimitMb: 16, maxLogBytes: 4_096 }); });
  afterEach(() => sandbox.dispose());

  const GOOD = 'async function onTrack(event) { return { fine: event.n }; }';

  // `hostile` defines onTrack (the attack) and onIdentify (a well-behaved handler in the same function).
  async function attack(key: string, hostile: string): Promise<InvocationResult> {
    const code = `${hostile}\nasync function onIdentify(event) { return { stillWorks: event.n }; }`;
    const result = await sandbox.invoke({ key, code, handler: 'onTrack', payload: {}, settings: {} });
    const other = await sandbox.invoke({ key: 'good@1', code: GOOD, handler: 'onTrack', payload: { n: 1 }, settings: {} });
    expect(other).to.deep.include({ ok: true, value: { fine: 1 } });
    const same = await sandbox.invoke({ key, code, handler: 'onIdentify', payload: { n: 2 }, settings: {} });
    expect(same).to.deep.include({ ok: true, value: { stillWorks: 2 } });
    return result;
  }

  function expectError(result: InvocationResult, name: string): asserts result is Extract<InvocationResult, { ok: false }> {
    if (result.ok) throw new Error(`expected ${name}, the call succeeded`);
    expect(result.error.name).to.equal(name);
  }

  it('stops an infinite loop with TimeoutError within the CPU limit', async () => {
    const started = performance.now();
    const result = await sandbox.invoke({ key: 'loop@1', code: 'async function onTrack() { while (true) {} }', handler: 'onTrack', payload: {}, settings: {} });
    expectError(result, 'TimeoutError');
    expect(performance.now() - started).to.be.below(WALL_MS);
    await attack('loop@1', 'async function onTrack() { while (true) {} }');
  });

  it('stops a loop that starts after an await (in a fetch continuation) with TimeoutError', async () => {
    const result = await attack('loop-after-await@1', 'async function onTrack() { await fetch("https://api.example.com"); console.log("looping"); for (;;) {} }');
    expectError(result, 'TimeoutError');
    expect(result.logs.map((l) => l.message)).to.deep.equal(['looping']);
  });

  it('stops a loop spent in synchronous host calls (which uses little isolate CPU) at the wall-clock limit', async () => {
    const result = await attack('host-loop@1', 'async function onTrack() { for (let n = 0; ; n++) { new URL("https://a.example/" + n); crypto.randomUUID(); } }');
    expectError(result, 'TimeoutError');
  });

  it('stops a promise that never settles with TimeoutError at the wall-clock limit', async () => {
    const started = performance.now();
    const result = await attack('never@1', 'async function onTrack() { console.log("waiting"); await new Promise(() => {}); }');
    expectError(result, 'TimeoutError');
    expect(result.error.message).to.contain('wall-clock');
    expect(result.logs.map((l) => l.message)).to.deep.equal(['waiting']);
    expect(performance.now() - started).to.be.at.least(WALL_MS - 5);
  });

  it('fails a memory bomb with MemoryLimitError, recreates the isolate, and serves the next call', async () => {
    const result = await attack('bomb@1', 'async function onTrack() { const hoard = []; for (;;) hoard.push(new Array(100000).fill(Math.random())); }');
    expectError(result, 'MemoryLimitError');
    const again = await sandbox.invoke({ key: 'bomb@1', code: 'async function onTrack() { return 1; }\nasync function onIdentify(event) { return { stillWorks: event.n }; }', handler: 'onIdentify', payload: { n: 3 }, settings: {} });
    expect(again).to.deep.include({ ok: true });
  });

  it('truncates huge log output and lets the call succeed', async () => {
    const result = await attack('chatty@1', 'async function onTrack() { for (let i = 0; i < 100000; i++) console.log("line " + i + " " + "x".repeat(100)); return "done"; }');
    expect(result).to.deep.include({ ok: true, value: 'done' });
    const bytes = result.logs.reduce((n, l) => n + Buffer.byteLength(l.message), 0);
    expect(bytes).to.be.below(4_096 + 200);
    expect(result.logs.at(-1)!.message).to.match(/truncated/);
  });

  // The list of objects to freeze is found once, in the heap snapshot: nothing a function can reach
  // from its global object (other than plain methods and lodash's functions) may be missed by it.
  it('leaves no shared built-in unfrozen, in the first context of an isolate and in a second one', async () => {
    const code = `async function onTrack(event) {
      if (event.wait) await new Promise((resolve) => setTimeout(resolve, 20));
      const seen = new Set([globalThis]);
      const unfrozen = [];
      const stack = Object.getOwnPropertyNames(globalThis)
        .filter((name) => !['onTrack', '_'].includes(name))
        .map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name).value]);
      for (const value of [function* () {}, async function () {}, async function* () {}, [][Symbol.iterator](), new Map().entries(), new Set().values(), ''[Symbol.iterator](), 'a'.matchAll(/a/g)]) {
        stack.push(['intrinsic', Object.getPrototypeOf(value)]);
      }
      stack.push(['_', _], ['_.prototype', _.prototype], ['_.templateSettings', _.templateSettings]);
      while (stack.length > 0) {
        const [path, object] = stack.pop();
        if (object === null || (typeof object !== 'object' && typeof object !== 'function') || seen.has(object)) continue;
        seen.add(object);
        if (path.startsWith('_.') && typeof object === 'function') continue;
        if (typeof object === 'function' && object !== Function.prototype && !Object.hasOwn(object, 'prototype')) continue;
        if (!Object.isFrozen(object)) unfrozen.push(path);
        // lodash: its namespace, prototype and settings are frozen, not what they hold (its ~300 functions).
        if (path.startsWith('_')) continue;
        stack.push([path + '.__proto__', Object.getPrototypeOf(object)]);
        for (const key of Reflect.ownKeys(object)) {
          const descriptor = Object.getOwnPropertyDescriptor(object, key);
          if ('value' in descriptor) stack.push([path + '.' + String(key), descriptor.value]);
        }
      }
      return { checked: seen.size, unfrozen };
    }`;
    // Two calls at once: the second runs in a second context of the same isolate.
    const [first, second] = await Promise.all([
      sandbox.invoke({ key: 'walk@1', code, handler: 'onTrack', payload: { wait: true }, settings: {} }),
      sandbox.invoke({ key: 'walk@1', code, handler: 'onTrack', payload: { wait: false }, settings: {} }),
    ]);
    for (const result of [first, second]) {
      if (!result.ok) throw new Error(`${result.error.name}: ${result.error.message}`);
      const value = result.value as { checked: number; unfrozen: string[] };
      expect(value.unfrozen).to.deep.equal([]);
      expect(value.checked).to.be.above(150);
    }
  });

  it('keeps prototype tampering inside the call that did it', async () => {
    const tamper = `async function onTrack() {
      try { Object.prototype.polluted = 1; } catch {}
      try { Array.prototype.push = function () { return 'hijacked'; }; } catch {}
      try { JSON.stringify = () => '"hijacked"'; } catch {}
      try { Promise.prototype.then = function () {}; } catch {}
      try { _.map = () => 'hijacked'; } catch {}
      return 'tampered';
    }
    async function onPage() {
      const a = []; a.push(1);
      return { polluted: ({}).polluted, push: a.length, json: JSON.stringify({ a: 1 }), map: _.map([1], (x) => x + 1) };
    }`;
    const result = await attack('tamper@1', tamper);
    expect(result).to.deep.include({ ok: true, value: 'tampered' });
    const after = await sandbox.invoke({ key: 'tamper@1', code: tamper, handler: 'onPage', payload: {}, settings: {} });
    expect(after).to.deep.include({ ok: true, value: { json: '{"a":1}', push: 1, map: [2] } });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(JSON.stringify({ a: 1 })).to.equal('{"a":1}');
  });

  it('keeps the usual idioms working on frozen built-ins (own toString, error names, classes)', async () => {
    const code = `async function onTrack() {
      class MyError extends Error { constructor(m) { super(m); this.name = 'MyError'; } }
      class MyTypeError extends TypeError { constructor(m) { super(m); this.name = 'MyTypeError'; this.message = 'changed'; } }
      const o = {}; o.toString = () => 'custom'; o.constructor = 'c';
      function Legacy() {} Legacy.prototype.constructor = Legacy;
      const e = new MyTypeError('x');
      return { name: new MyError('x').name, typeError: e.name + ': ' + e.message, str: String(o), ctor: o.constructor, legacy: new Legacy().constructor === Legacy };
    }`;
    const result = await sandbox.invoke({ key: 'idioms@1', code, handler: 'onTrack', payload: {}, settings: {} });
    expect(result).to.deep.include({ ok: true, value: { name: 'MyError', typeError: 'MyTypeError: changed', str: 'custom', ctor: 'c', legacy: true } });
  });

  it('finds nothing of the host when it looks for it', async () => {
    const result = await attack('escape@1', `async function onTrack() {
      const attempts = {};
      const tryIt = (name, f) => { try { const v = f(); attempts[name] = v === undefined ? 'undefined' : typeof v; } catch (e) { attempts[name] = e.name; } };
      tryIt('globalThis.process', () => globalThis.process);
      tryIt('require', () => require('fs'));
      tryIt('constructor escape', () => this.constructor.constructor('return process')());
      tryIt('function escape', () => (function () {}).constructor('return process')());
      tryIt('global through a sandbox function', () => fetch.constructor.constructor('return this')().process);
      tryIt('host callbacks', () => globalThis.__sandboxConnect || globalThis.__sandboxHarden || globalThis.__sandboxWebGlobals);
      return attempts;
    }`);
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.value).to.deep.equal({
      'globalThis.process': 'undefined',
      require: 'ReferenceError',
      'constructor escape': 'ReferenceError',
      'function escape': 'ReferenceError',
      'global through a sandbox function': 'undefined',
      'host callbacks': 'undefined',
    });
  });

  // As on Node (and so on Lambda), an unhandled rejection fails the invocation; here it fails only the call.
  it('turns an unhandled rejection into that call\'s error, and a throwing timer too, without crashing the host', async () => {
    const rejected = await attack('reject@1', `async function onTrack() {
      Promise.reject(new Error('nobody listens'));
      return 'returned';
    }`);
    expect(rejected).to.deep.include({ ok: false, error: { name: 'Error', message: 'nobody listens' } });
    const timer = await attack('timer-throws@1', `async function onTrack() {
      setTimeout(() => { throw new RangeError('from a timer'); }, 1);
      await new Promise(() => {});
    }`);
    expect(timer).to.deep.include({ ok: false, error: { name: 'RangeError', message: 'from a timer' } });
  });

  it('does not let timers outlive the call', async () => {
    const code = `let fired = 0;
      async function onTrack() { setTimeout(() => { fired++; console.log('late'); }, 50); return 'done'; }
      async function onIdentify() { await new Promise((r) => setTimeout(r, 100)); return fired; }`;
    expect(await sandbox.invoke({ key: 'late@1', code, handler: 'onTrack', payload: {}, settings: {} })).to.deep.include({ ok: true, value: 'done' });
    const later = await sandbox.invoke({ key: 'late@1', code, handler: 'onIdentify', payload: {}, settings: {} });
    expect(later).to.deep.include({ ok: true, value: 0, logs: [] });
  });

  it('fails top-level code that loops or throws without harming the sandbox', async () => {
    const looping = await sandbox.invoke({ key: 'toplevel-loop@1', code: 'for (;;) {}', handler: 'onTrack', payload: {}, settings: {} });
    expectError(looping, 'TimeoutError');
    const throwing = await sandbox.invoke({ key: 'toplevel-throw@1', code: 'missingThing.call();', handler: 'onTrack', payload: {}, settings: {} });
    expectError(throwing, 'ReferenceError');
    expect(await sandbox.invoke({ key: 'good@1', code: GOOD, handler: 'onTrack', payload: { n: 5 }, settings: {} })).to.deep.include({ ok: true, value: { fine: 5 } });
  });

  it('keeps serving other functions while one is stuck until its wall-clock limit', async () => {
    const stuck = sandbox.invoke({ key: 'stuck@1', code: 'async function onTrack() { await new Promise(() => {}); }', handler: 'onTrack', payload: {}, settings: {} });
    const looping = sandbox.invoke({ key: 'spin@1', code: 'async function onTrack() { while (true) {} }', handler: 'onTrack', payload: {}, settings: {} });
    const started = performance.now();
    const others = await Promise.all(Array.from({ length: 20 }, (_, n) => sandbox.invoke({ key: 'good@1', code: GOOD, handler: 'onTrack', payload: { n }, settings: {} })));
    expect(performance.now() - started).to.be.below(CPU_MS);
    expect(others.every((r) => r.ok)).to.equal(true);
    expectError(await stuck, 'TimeoutError');
    expectError(await looping, 'TimeoutError');
  });
});
