// Runs INSIDE the isolate (read as text by isolate-snapshot.ts, never imported by host code).
// `__sandboxHarden()` is called once, at the end of the snapshot's bootstrap: it walks the shared
// objects reachable from the global object (built-ins, lodash, the sandbox's own globals) and
// returns a function that freezes them, called once per context before the function's code runs.
// The walk is done once, in the snapshot: the list of objects it found is part of the snapshot's
// context, so every context deserialised from it holds the same list of its own copies of those
// objects, and hardening a context is one loop over ~200 objects (walking them per context read
// ~4,000 property descriptors, ~1.5 ms of the cold start). Why freeze
// rather than detect tampering and rebuild the context: a context is reused by every call of the
// same function, so `Object.prototype.x = 1` or `JSON.stringify = ...` in one call would otherwise
// change the next; a per-call integrity check would tax the warm path, while freezing costs a
// couple of milliseconds once per context. (It cannot be done once in the heap snapshot: V8 aborts
// the process when it builds a context from a snapshot whose built-ins were altered that way.)
//
// Freezing prototypes breaks one common idiom ("the override mistake"): assigning `toString`,
// `constructor`, `name`, ... to an object that inherits the frozen property fails. For those few
// names the data property is turned into an accessor whose setter defines the property on the
// object being assigned to, so `this.name = 'MyError'` and `obj.toString = fn` keep working.
'use strict';

globalThis.__sandboxHarden = function planHardening() {
  const OVERRIDABLE = ['constructor', 'toString', 'toLocaleString', 'valueOf', 'name', 'message', 'toJSON', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable'];
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, freeze, isFrozen } = Object;
  const ownKeys = Reflect.ownKeys;
  const hasOwn = Object.hasOwn;

  function allowOverride(object, name) {
    const descriptor = getOwnPropertyDescriptor(object, name);
    if (descriptor === undefined || !('value' in descriptor) || !descriptor.writable || !descriptor.configurable) return;
    const value = descriptor.value;
    defineProperty(object, name, {
      get() { return value; },
      set(newValue) {
        if (this === object) throw new TypeError('Cannot assign to read only property \'' + String(name) + '\' of a shared built-in');
        if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
        defineProperty(this, name, { value: newValue, writable: true, enumerable: true, configurable: true });
      },
      enumerable: descriptor.enumerable,
      configurable: false,
    });
  }

  // Freezes the objects that hold shared, writable state: namespaces (JSON, Math, Intl, console,
  // crypto), constructors and their prototypes. Plain methods are skipped: their only own
  // properties (name, length) are read-only already, and skipping them halves the cost.
  // Only where the idiom needs it: plain objects and class prototypes inherit from Object.prototype,
  // functions from Function.prototype, errors from Error.prototype. Not on Array, Promise, RegExp or
  // typed-array prototypes: an accessor `constructor` there disables V8's species fast paths and made
  // map/filter/slice ~20x slower.
  const OVERRIDE_TARGETS = new Set([Object.prototype, Function.prototype]);
  for (const name of ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError']) {
    if (typeof globalThis[name] === 'function') OVERRIDE_TARGETS.add(globalThis[name].prototype);
  }
  // What the walk finds, in the order found; frozen per context (the override targets first).
  const toFreeze = [];
  let seen = new Set();
  function harden(root) {
    const stack = [root];
    while (stack.length > 0) {
      const object = stack.pop();
      if (object === null || (typeof object !== 'object' && typeof object !== 'function') || seen.has(object)) continue;
      seen.add(object);
      if (typeof object === 'function' && object !== Function.prototype && !hasOwn(object, 'prototype')) continue;
      if (!isFrozen(object)) toFreeze.push(object);
      stack.push(getPrototypeOf(object));
      for (const key of ownKeys(object)) {
        const descriptor = getOwnPropertyDescriptor(object, key);
        if ('value' in descriptor) stack.push(descriptor.value);
      }
    }
  }

  const g = globalThis;
  // The global object itself stays extensible: the function's own top-level declarations live there.
  seen.add(g);
  // lodash: ~300 functions, each with a prototype nobody uses. Freezing them one by one would cost
  // ~8 ms per context; freezing the namespace, its prototype and its settings is what matters.
  const lodash = g._;
  for (const object of [lodash, lodash.prototype, lodash.templateSettings, lodash.templateSettings.imports]) {
    seen.add(object);
    toFreeze.push(object);
  }
  // The bootstrap's own hooks (__sandboxConnect) are removed before any function code runs.
  const globalNames = Object.getOwnPropertyNames(g).filter((name) => !name.startsWith('__sandbox'));
  for (const name of globalNames) harden(getOwnPropertyDescriptor(g, name).value);
  // Intrinsics that have no global name, reached through instances.
  harden(getPrototypeOf(function* () {}));
  harden(getPrototypeOf(async function () {}));
  harden(getPrototypeOf(async function* () {}));
  harden(getPrototypeOf([][Symbol.iterator]()));
  harden(getPrototypeOf(new Map().entries()));
  harden(getPrototypeOf(new Set().values()));
  harden(getPrototypeOf(''[Symbol.iterator]()));
  harden(getPrototypeOf('a'.matchAll(/a/g)));

  const overrideTargets = [...OVERRIDE_TARGETS];
  const known = new Set(globalNames);
  const planned = toFreeze.slice();
  seen = null;
  return function hardenContext() {
    for (const object of overrideTargets) for (const name of OVERRIDABLE) allowOverride(object, name);
    for (let i = 0; i < planned.length; i++) freeze(planned[i]);
    // Globals V8 adds to each context after deserialising it, so absent from the snapshot's walk
    // (those behind flags: Float16Array, DisposableStack, SuppressedError, ...): walked here.
    for (const name of Object.getOwnPropertyNames(g)) {
      if (known.has(name) || name.startsWith('__sandbox')) continue;
      if (seen === null) seen = new Set(planned).add(g);
      toFreeze.length = 0;
      harden(getOwnPropertyDescriptor(g, name).value);
      for (let i = 0; i < toFreeze.length; i++) freeze(toFreeze[i]);
    }
    seen = null;
  };
};
