// Runs INSIDE the isolate (read as text by isolate-snapshot.ts, never imported by host code).
// Evaluated once, when the heap snapshot is built: it installs the globals a destination function
// may use (console, fetch, timers, crypto, Buffer, URL, lodash `_`, the Segment error classes) and
// hardens them, so every context deserialised from the snapshot starts ready and frozen. The host
// callbacks cannot live in a snapshot: each new context calls `__sandboxConnect(callbacks)` once,
// which plugs them in, removes itself, hardens the built-ins and returns the entry point for the
// host's three operations: dispatch (run one handler), deliver (a fetch answer or a timer firing),
// drain (the logs of a call that failed from the outside). Only strings and plain data cross back.
'use strict';

(function installSandboxRuntime() {
  const g = globalThis;
  const host = { parseUrl: null, crypto: null, fetchStart: null, timerStart: null, done: null };
  const hostParseUrl = (input, base, setName, setValue) => host.parseUrl(input, base, setName, setValue);
  const hostCrypto = (op, algorithm, key, chunks, encoding) => host.crypto(op, algorithm, key, chunks, encoding);
  const hostFetchStart = (callId, entryId, request) => host.fetchStart(callId, entryId, request);
  const hostTimerStart = (callId, entryId, delayMs) => host.timerStart(callId, entryId, delayMs);
  const hostDone = (callId, envelopeJson) => host.done(callId, envelopeJson);
  const web = g.__sandboxWebGlobals(hostParseUrl);
  const { Buffer, Headers, Response, URL, URLSearchParams } = web;
  // Captured once: user code can replace its own global bindings, never what the runtime uses.
  const stringify = JSON.stringify;
  const promiseResolve = Promise.resolve.bind(Promise);
  const then = Function.prototype.call.bind(Promise.prototype.then);
  const ErrorCtor = Error;
  const StringCtor = String;
  const DateCtor = Date;
  const PromiseCtor = Promise;
  const objectToString = Function.prototype.call.bind(Object.prototype.toString);
  const arrayMap = Function.prototype.call.bind(Array.prototype.map);

  // ---- per-call state: one call runs in a context at a time (the host pools contexts) ----
  let callId = 0;
  let logs = [];
  let logBytesLeft = 0;
  let logsTruncated = false;
  let nextId = 0;
  let requestsLeft = 0;
  // What one call's requests may carry to the host, checked here before anything is copied out:
  // without it a function could make the host hold gigabytes (100 requests of huge URLs).
  const MAX_URL_CHARS = 16384;
  const MAX_HEADER_CHARS = 65536;
  const MAX_BODY_CHARS = 1048576;
  const MAX_CALL_REQUEST_CHARS = 8388608;
  let requestCharsLeft = 0;
  const timers = new Map();
  // A hostile loop could start millions of fetches or timers in one CPU slice; past these caps they
  // fail here, without a round trip to the host for each.
  const MAX_PENDING_TIMERS = 1000;
  const fetches = new Map();

  function formatArg(value) {
    if (typeof value === 'string') return value;
    if (value instanceof ErrorCtor) return value.stack || value.name + ': ' + value.message;
    if (value !== null && typeof value === 'object') {
      try { return stringify(value); } catch { return objectToString(value); }
    }
    return StringCtor(value);
  }

  // Counts UTF-8 bytes, stopping at `cap`: returns the number of UTF-16 units that fit.
  function fitUtf8(text, cap) {
    let bytes = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 2 : 3;
      if (bytes > cap) return { units: i, bytes: bytes };
    }
    return { units: text.length, bytes: bytes };
  }

  function capture(level, args) {
    if (logsTruncated) return;
    let message = arrayMap(args, formatArg).join(' ');
    const fit = fitUtf8(message, logBytesLeft);
    logBytesLeft -= fit.bytes;
    if (fit.units < message.length) {
      message = message.slice(0, fit.units);
      logsTruncated = true;
    }
    const at = new DateCtor().toISOString();
    if (message.length > 0 || !logsTruncated) logs.push({ level, message, at });
    if (logsTruncated) logs.push({ level: 'warn', message: '[log output truncated: this call reached its log limit]', at });
  }

  const console = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) console[level] = function () { capture(level, arguments); };
  console.trace = console.debug;

  function setTimeout(fn, delayMs, ...args) {
    if (typeof fn !== 'function') throw new TypeError('setTimeout: the callback must be a function');
    if (timers.size >= MAX_PENDING_TIMERS) throw new RangeError('setTimeout: more than ' + MAX_PENDING_TIMERS + ' pending timers in one call');
    const id = ++nextId;
    timers.set(id, { fn, args });
    hostTimerStart(callId, id, Math.max(0, Number(delayMs) || 0));
    return id;
  }
  function clearTimeout(id) { timers.delete(id); }
  function setImmediate(fn, ...args) { return setTimeout(fn, 0, ...args); }
  function queueMicrotask(fn) { then(promiseResolve(undefined), () => fn()); }

  function fetch(input, init) {
    // The host counts and refuses requests over the limit (and fails the call); one past the
    // limit still goes there so that it knows, the rest are refused here.
    if (--requestsLeft < -1) {
      const error = new Error('the function made more requests than allowed in one call');
      error.name = 'RequestLimitError';
      return PromiseCtor.reject(error);
    }
    try {
      const options = init || {};
      // Not parsed here (that is a host round trip): the host parses and checks every URL anyway.
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input && input.url ? String(input.url) : String(input);
      const method = String(options.method || 'GET').toUpperCase();
      const headers = new Headers(options.headers);
      let body = null;
      if (options.body !== undefined && options.body !== null) {
        if (!headers.has('content-type')) {
          if (options.body instanceof URLSearchParams) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
          else if (typeof options.body === 'string') headers.set('content-type', 'text/plain;charset=UTF-8');
        }
        body = web.bodyToText(options.body);
      }
      const plainHeaders = {};
      let headerChars = 0;
      headers.forEach((value, name) => { plainHeaders[name] = value; headerChars += name.length + value.length; });
      const bodyChars = body === null ? 0 : body.length;
      const tooLarge = url.length > MAX_URL_CHARS ? `its URL is longer than ${MAX_URL_CHARS} characters`
        : headerChars > MAX_HEADER_CHARS ? `its headers are longer than ${MAX_HEADER_CHARS} characters`
        : bodyChars > MAX_BODY_CHARS ? `its body is longer than ${MAX_BODY_CHARS} characters`
        : url.length + headerChars + bodyChars > requestCharsLeft ? `the call's requests carry more than ${MAX_CALL_REQUEST_CHARS} characters in all`
        : null;
      if (tooLarge !== null) {
        const error = new ErrorCtor(`the request was refused: ${tooLarge}`);
        error.name = 'RequestLimitError';
        return PromiseCtor.reject(error);
      }
      requestCharsLeft -= url.length + headerChars + bodyChars;
      const id = ++nextId;
      return new PromiseCtor((resolve, reject) => {
        fetches.set(id, { resolve, reject });
        hostFetchStart(callId, id, { url, method, headers: plainHeaders, body });
      });
    } catch (error) {
      return PromiseCtor.reject(error);
    }
  }

  class Hash {
    #algorithm;
    #key;
    #chunks = [];
    constructor(algorithm, key) { this.#algorithm = String(algorithm); this.#key = key; }
    update(data, inputEncoding) {
      if (typeof data === 'string') this.#chunks.push(inputEncoding && inputEncoding !== 'utf8' ? Buffer.from(data, inputEncoding) : data);
      else if (ArrayBuffer.isView(data)) this.#chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      else throw new TypeError('The "data" argument must be a string, Buffer or TypedArray');
      return this;
    }
    digest(encoding) {
      const op = this.#key === undefined ? 'hash' : 'hmac';
      const out = hostCrypto(op, this.#algorithm, this.#key === undefined ? null : this.#key, this.#chunks, encoding === undefined ? null : String(encoding));
      return typeof out === 'string' ? out : Buffer.from(out);
    }
  }
  const crypto = {
    createHash: (algorithm) => new Hash(algorithm, undefined),
    createHmac: (algorithm, key) => new Hash(algorithm, typeof key === 'string' ? key : Buffer.from(key)),
    randomUUID: () => hostCrypto('uuid', null, null, [], null),
    randomBytes: (size) => Buffer.from(hostCrypto('random', null, null, [size], null)),
    getRandomValues: (array) => { const bytes = hostCrypto('random', null, null, [array.byteLength], null); new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes); return array; },
  };

  // Segment's error types: only `name` and `message` leave the isolate, so the host classifies by name.
  class ValidationError extends Error {}
  class InvalidEventPayload extends Error {}
  class EventNotSupported extends Error {}
  class RetryError extends Error {}
  const errorClasses = { ValidationError, InvalidEventPayload, EventNotSupported, RetryError };
  for (const name of Object.keys(errorClasses)) {
    Object.defineProperty(errorClasses[name].prototype, 'name', { value: name, writable: true, configurable: true });
  }

  const globals = Object.assign({ console, fetch, setTimeout, clearTimeout, setImmediate, queueMicrotask, crypto, _: g._, atob: web.atob, btoa: web.btoa }, { Buffer, Headers, Response, URL, URLSearchParams }, errorClasses);
  for (const name of Object.keys(globals)) Object.defineProperty(g, name, { value: globals[name], writable: true, configurable: true, enumerable: false });
  // Not needed by functions, and each is a way around the limits (shared memory, blocking waits, native code).
  delete g.__sandboxWebGlobals;

  function envelope(ok, payload) {
    return ok ? stringify({ ok: true, value: payload, logs }) : stringify({ ok: false, error: payload, logs });
  }

  function describeError(error) {
    try {
      if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
        return { name: typeof error.name === 'string' ? error.name : 'Error', message: typeof error.message === 'string' ? error.message : StringCtor(error) };
      }
      return { name: 'Error', message: StringCtor(error) };
    } catch {
      return { name: 'Error', message: 'the function threw a value that cannot be read' };
    }
  }

  function succeed(value) {
    try {
      return envelope(true, value);
    } catch (error) {
      return envelope(false, { name: 'InvalidReturnValue', message: 'the handler returned a value that is not JSON: ' + describeError(error).message });
    }
  }
  function fail(error) { return envelope(false, describeError(error)); }

  /**
   * Runs one handler call. The JSON envelope goes back through the host's `done` callback (created
   * once per context) when the handler's promise settles, not as a promise result: isolated-vm
   * builds two native functions (Function::New) for every promise it hands back, and the isolate's
   * CPU per call doubled after ~100,000 calls that way (25 -> 50 µs, see bench/RESULTS.md).
   */
  function dispatch(id, handlerName, payload, settings, maxLogBytes, maxRequests) {
    callId = id;
    requestsLeft = maxRequests;
    requestCharsLeft = MAX_CALL_REQUEST_CHARS;
    logs = [];
    logBytesLeft = maxLogBytes;
    logsTruncated = false;
    if (timers.size !== 0) timers.clear();
    if (fetches.size !== 0) fetches.clear();
    const handler = g[handlerName];
    if (typeof handler !== 'function') {
      const type = handlerName.slice(2).toLowerCase();
      return fail({ name: 'EventNotSupported', message: handlerName + ' is not defined: this function does not handle ' + type + ' events' });
    }
    let result;
    try {
      result = handler(payload, settings);
    } catch (error) {
      return fail(error);
    }
    // A missing handler or a synchronous throw is answered at once (dispatch's own result).
    // Otherwise the envelope is built when the promise settles, with the logs of that moment;
    // `id` is kept so that a promise settling after its call ended cannot answer for a later call.
    then(promiseResolve(result), (value) => hostDone(id, succeed(value)), (error) => hostDone(id, fail(error)));
    return undefined;
  }

  /** Hands a fetch answer (ok + response, or an error) or a timer firing to the waiting code. */
  function deliver(id, kind, entryId, ok, data) {
    if (id !== callId) return;
    if (kind === 'timer') {
      const timer = timers.get(entryId);
      if (timer === undefined) return;
      timers.delete(entryId);
      timer.fn(...timer.args);
      return;
    }
    const pending = fetches.get(entryId);
    if (pending === undefined) return;
    fetches.delete(entryId);
    if (ok) {
      pending.resolve(new Response(data.body, { status: data.status, statusText: data.statusText, headers: new Headers(data.headers), url: data.url, redirected: data.redirected }));
    } else {
      const error = new Error(data.message);
      error.name = data.name;
      pending.reject(error);
    }
  }

  /** The logs captured so far by call `id` (used when the call was stopped from outside). */
  function drain(id) { return id === callId ? stringify(logs) : '[]'; }

  g.__sandboxConnect = function sandboxConnect(parseUrl, crypto, fetchStart, timerStart, done) {
    delete g.__sandboxConnect;
    Object.assign(host, { parseUrl, crypto, fetchStart, timerStart, done });
    // Per context, not in the snapshot: V8 aborts the process when it builds a context from a
    // snapshot whose built-ins it expects to find (or extend) have been removed or frozen.
    // Not needed by functions, and each is a way around the limits (shared memory, blocking waits, native code).
    for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics']) delete g[name];
    harden();
    // One entry point, so the host needs one Reference (each is a round trip to obtain).
    return function entry(op, a, b, c, d, e, f) {
      if (op === 'dispatch') return dispatch(a, b, c, d, e, f);
      if (op === 'deliver') return deliver(a, b, c, d, e);
      return drain(a);
    };
  };
  // Walks the built-ins now, in the snapshot; `harden` freezes what it found, once per context.
  const harden = g.__sandboxHarden();
  delete g.__sandboxHarden;
})();
