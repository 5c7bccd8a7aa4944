// Runs INSIDE the isolate (read as text by isolate-snapshot.ts, never imported by host code).
// Defines the factory for the web-style globals destination functions rely on: text codecs,
// Buffer, atob/btoa, Headers, Response, URLSearchParams and URL. Everything here is plain
// JavaScript over the isolate's own built-ins, except URL parsing, which asks the host (Node's
// WHATWG parser) through a synchronous callback so that edge cases match what Node does.
'use strict';

globalThis.__sandboxWebGlobals = function sandboxWebGlobals(parseUrl) {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const B64_INDEX = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
  B64_INDEX[45] = 62; // '-' (base64url)
  B64_INDEX[95] = 63; // '_' (base64url)

  function utf8Encode(text) {
    const out = [];
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return out;
  }

  function utf8Decode(bytes, start, end) {
    let s = '';
    let i = start;
    while (i < end) {
      const b = bytes[i];
      if (b < 0x80) { s += String.fromCharCode(b); i++; continue; }
      const need = b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : 0;
      if (need === 0 || i + need > end - 1) { s += '\ufffd'; i++; continue; }
      let c = b & (0x3f >> need);
      let ok = true;
      for (let k = 1; k <= need; k++) {
        const n = bytes[i + k];
        if ((n & 0xc0) !== 0x80) { ok = false; break; }
        c = (c << 6) | (n & 63);
      }
      if (!ok) { s += '\ufffd'; i++; continue; }
      i += need + 1;
      if (c >= 0x10000) { c -= 0x10000; s += String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 1023)); }
      else s += String.fromCharCode(c);
    }
    return s;
  }

  function base64Encode(bytes, url) {
    let s = '';
    let i = 0;
    for (; i + 2 < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
    }
    if (i < bytes.length) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8);
      s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
    }
    return url ? s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : s;
  }

  // Lenient like Node's Buffer.from(s, 'base64'): skips characters outside the alphabet.
  function base64Decode(text) {
    const out = [];
    let acc = 0;
    let bits = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 61) break; // '='
      const v = c < 128 ? B64_INDEX[c] : -1;
      if (v < 0) continue;
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 255); }
    }
    return out;
  }

  function hexDecode(text) {
    const out = [];
    for (let i = 0; i + 1 < text.length; i += 2) {
      const v = parseInt(text.substr(i, 2), 16);
      if (Number.isNaN(v)) break;
      out.push(v);
    }
    return out;
  }

  function normalizeEncoding(encoding) {
    const e = String(encoding === undefined ? 'utf8' : encoding).toLowerCase();
    if (e === 'utf8' || e === 'utf-8') return 'utf8';
    if (e === 'base64' || e === 'base64url' || e === 'hex' || e === 'ascii') return e;
    if (e === 'latin1' || e === 'binary') return 'latin1';
    throw new TypeError('Unknown encoding: ' + encoding);
  }

  function encodeString(text, encoding) {
    switch (normalizeEncoding(encoding)) {
      case 'utf8': return utf8Encode(text);
      case 'base64': case 'base64url': return base64Decode(text);
      case 'hex': return hexDecode(text);
      default: { const out = []; for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 255); return out; }
    }
  }

  /** The part of Node's Buffer that destination functions use. */
  class Buffer extends Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') { const bytes = encodeString(value, encodingOrOffset); const b = new Buffer(bytes.length); b.set(bytes); return b; }
      if (value instanceof ArrayBuffer) return new Buffer(value, encodingOrOffset || 0, length === undefined ? value.byteLength - (encodingOrOffset || 0) : length);
      if (value && typeof value === 'object' && value.type === 'Buffer' && Array.isArray(value.data)) return Buffer.from(value.data);
      if (value && typeof value.length === 'number') { const b = new Buffer(value.length); for (let i = 0; i < value.length; i++) b[i] = value[i] & 255; return b; }
      throw new TypeError('The first argument must be a string, Buffer, ArrayBuffer or array');
    }
    static alloc(size, fill) { const b = new Buffer(size); if (fill !== undefined) b.fill(typeof fill === 'number' ? fill : 0); return b; }
    static isBuffer(value) { return value instanceof Buffer; }
    static byteLength(value, encoding) {
      if (typeof value !== 'string') return value.byteLength;
      return encodeString(value, encoding).length;
    }
    static concat(list, totalLength) {
      const total = totalLength === undefined ? list.reduce((n, b) => n + b.length, 0) : totalLength;
      const out = Buffer.alloc(total);
      let offset = 0;
      for (const b of list) { if (offset >= total) break; out.set(b.subarray(0, total - offset), offset); offset += b.length; }
      return out;
    }
    toString(encoding, start, end) {
      const s = start === undefined ? 0 : start;
      const e = end === undefined ? this.length : Math.min(end, this.length);
      switch (normalizeEncoding(encoding)) {
        case 'utf8': return utf8Decode(this, s, e);
        case 'base64': return base64Encode(this.subarray(s, e), false);
        case 'base64url': return base64Encode(this.subarray(s, e), true);
        case 'hex': { let out = ''; for (let i = s; i < e; i++) out += (this[i] < 16 ? '0' : '') + this[i].toString(16); return out; }
        default: { let out = ''; for (let i = s; i < e; i++) out += String.fromCharCode(normalizeEncoding(encoding) === 'ascii' ? this[i] & 127 : this[i]); return out; }
      }
    }
    toJSON() { return { type: 'Buffer', data: Array.from(this) }; }
    equals(other) { if (this.length !== other.length) return false; for (let i = 0; i < this.length; i++) if (this[i] !== other[i]) return false; return true; }
  }

  function btoa(data) {
    const text = String(data);
    const bytes = [];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 255) { const e = new Error('Invalid character'); e.name = 'InvalidCharacterError'; throw e; }
      bytes.push(c);
    }
    return base64Encode(bytes, false);
  }

  function atob(data) {
    const text = String(data).replace(/[\t\n\f\r ]/g, '');
    if (/[^A-Za-z0-9+/=]/.test(text) || text.length % 4 === 1) { const e = new Error('The string to be decoded is not correctly encoded.'); e.name = 'InvalidCharacterError'; throw e; }
    return String.fromCharCode.apply(null, base64Decode(text));
  }

  function formEncode(text) {
    return encodeURIComponent(text).replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, '+');
  }
  function formDecode(text) {
    const spaced = text.replace(/\+/g, ' ');
    try { return decodeURIComponent(spaced); } catch { return spaced; }
  }

  // Set in URLSearchParams' static block: they reach its private state without exposing it.
  let linkParams;
  let reparseParams;

  /** application/x-www-form-urlencoded parameters, optionally tied to a URL's query. */
  class URLSearchParams {
    #list = [];
    #onChange = null;
    constructor(init) {
      if (init instanceof URLSearchParams) this.#list = init.#list.map((p) => [p[0], p[1]]);
      else if (Array.isArray(init)) this.#list = init.map((p) => [String(p[0]), String(p[1])]);
      else if (init && typeof init === 'object') this.#list = Object.keys(init).map((k) => [k, String(init[k])]);
      else if (init !== undefined && init !== null) this.#parse(String(init));
    }
    #parse(query) {
      this.#list = [];
      const q = query.startsWith('?') ? query.slice(1) : query;
      for (const part of q.split('&')) {
        if (part === '') continue;
        const eq = part.indexOf('=');
        this.#list.push(eq < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
      }
    }
    #changed() { if (this.#onChange) this.#onChange(this.toString()); }
    static {
      linkParams = (params, query, onChange) => { params.#parse(query); params.#onChange = onChange; };
      reparseParams = (params, query) => { params.#parse(query); };
    }
    get size() { return this.#list.length; }
    append(name, value) { this.#list.push([String(name), String(value)]); this.#changed(); }
    delete(name) { this.#list = this.#list.filter((p) => p[0] !== String(name)); this.#changed(); }
    get(name) { const p = this.#list.find((e) => e[0] === String(name)); return p ? p[1] : null; }
    getAll(name) { return this.#list.filter((p) => p[0] === String(name)).map((p) => p[1]); }
    has(name) { return this.#list.some((p) => p[0] === String(name)); }
    set(name, value) {
      const n = String(name);
      const i = this.#list.findIndex((p) => p[0] === n);
      if (i < 0) this.#list.push([n, String(value)]);
      else { this.#list[i] = [n, String(value)]; this.#list = this.#list.filter((p, j) => j <= i || p[0] !== n); }
      this.#changed();
    }
    sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#changed(); }
    forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
    *entries() { for (const p of this.#list) yield [p[0], p[1]]; }
    *keys() { for (const p of this.#list) yield p[0]; }
    *values() { for (const p of this.#list) yield p[1]; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map((p) => formEncode(p[0]) + '=' + formEncode(p[1])).join('&'); }
  }

  const URL_PARTS = ['href', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash', 'origin'];

  // Parts live in a WeakMap (not private fields) so the accessors below can be defined in a loop.
  const urlParts = new WeakMap();
  const urlParams = new WeakMap();

  /** WHATWG URL; parsing and setters are delegated to the host's parser. */
  class URL {
    constructor(input, base) {
      urlParts.set(this, parseUrl(String(input), base === undefined ? null : String(base), null, null));
    }
    static canParse(input, base) { try { new URL(input, base); return true; } catch { return false; } }
    get searchParams() {
      let params = urlParams.get(this);
      if (!params) {
        params = new URLSearchParams();
        linkParams(params, urlParts.get(this)[8], (query) => {
          urlParts.set(this, parseUrl(urlParts.get(this)[0], null, 'search', query));
        });
        urlParams.set(this, params);
      }
      return params;
    }
    toString() { return urlParts.get(this)[0]; }
    toJSON() { return urlParts.get(this)[0]; }
  }
  URL_PARTS.forEach((name, index) => {
    const descriptor = { get() { return urlParts.get(this)[index]; }, enumerable: true, configurable: true };
    if (name !== 'origin') {
      descriptor.set = function (value) {
        urlParts.set(this, parseUrl(urlParts.get(this)[0], null, name, String(value)));
        const params = urlParams.get(this);
        if (params) reparseParams(params, urlParts.get(this)[8]);
      };
    }
    Object.defineProperty(URL.prototype, name, descriptor);
  });

  /** Case-insensitive HTTP header list, as in fetch. */
  class Headers {
    #map = new Map();
    constructor(init) {
      if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
      else if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
      else if (init && typeof init === 'object') for (const k of Object.keys(init)) this.append(k, init[k]);
    }
    append(name, value) {
      const k = String(name).toLowerCase();
      const prev = this.#map.get(k);
      this.#map.set(k, prev === undefined ? String(value) : prev + ', ' + String(value));
    }
    set(name, value) { this.#map.set(String(name).toLowerCase(), String(value)); }
    get(name) { const v = this.#map.get(String(name).toLowerCase()); return v === undefined ? null : v; }
    has(name) { return this.#map.has(String(name).toLowerCase()); }
    delete(name) { this.#map.delete(String(name).toLowerCase()); }
    forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
    *entries() { yield* [...this.#map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)); }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
  }

  function bodyToText(body) {
    if (body === undefined || body === null) return '';
    if (typeof body === 'string') return body;
    if (body instanceof URLSearchParams) return body.toString();
    if (body instanceof ArrayBuffer) return utf8Decode(new Uint8Array(body), 0, body.byteLength);
    if (ArrayBuffer.isView(body)) { const u = new Uint8Array(body.buffer, body.byteOffset, body.byteLength); return utf8Decode(u, 0, u.length); }
    return String(body);
  }

  /** A fetch response whose body is already in memory (the host reads it, within its size cap). */
  class Response {
    #body;
    #used = false;
    constructor(body, init) {
      const i = init || {};
      this.#body = bodyToText(body);
      this.status = i.status === undefined ? 200 : i.status;
      this.statusText = i.statusText === undefined ? '' : String(i.statusText);
      this.headers = i.headers instanceof Headers ? i.headers : new Headers(i.headers);
      this.url = i.url || '';
      this.redirected = Boolean(i.redirected);
      this.type = 'basic';
    }
    static json(data, init) {
      const headers = new Headers(init && init.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(JSON.stringify(data), Object.assign({}, init, { headers }));
    }
    get ok() { return this.status >= 200 && this.status <= 299; }
    get bodyUsed() { return this.#used; }
    #consume() {
      if (this.#used) return Promise.reject(new TypeError('Body has already been consumed.'));
      this.#used = true;
      return Promise.resolve(this.#body);
    }
    text() { return this.#consume(); }
    json() { return this.#consume().then((t) => JSON.parse(t)); }
    arrayBuffer() { return this.#consume().then((t) => Buffer.from(t, 'utf8').buffer); }
    clone() {
      if (this.#used) throw new TypeError('Response body is already used');
      return new Response(this.#body, { status: this.status, statusText: this.statusText, headers: new Headers(this.headers), url: this.url, redirected: this.redirected });
    }
  }

  return { Buffer, atob, btoa, URL, URLSearchParams, Headers, Response, bodyToText, utf8Encode };
};
