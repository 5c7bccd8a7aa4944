import { expect } from 'chai';
import fc from 'fast-check';
import { prescanJson } from '../../engine/http/json-prescan.ts';

const jsonDepthExceeds = (text: string, maxDepth: number) => prescanJson(text, maxDepth).tooDeep;

/** `depth` levels of arrays around a number: depth 3 is `[[[1]]]`. */
function arrays(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** `depth` levels of objects: depth 2 is `{"a":{"a":1}}`. */
function objects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const CASES: Array<{ name: string; text: string; maxDepth: number; exceeds: boolean }> = [
  { name: 'a scalar', text: '42', maxDepth: 1, exceeds: false },
  { name: 'arrays at the limit', text: arrays(64), maxDepth: 64, exceeds: false },
  { name: 'arrays one past the limit', text: arrays(65), maxDepth: 64, exceeds: true },
  { name: 'objects at the limit', text: objects(64), maxDepth: 64, exceeds: false },
  { name: 'objects one past the limit', text: objects(65), maxDepth: 64, exceeds: true },
  { name: 'mixed nesting past the limit', text: `{"a":[{"b":[${arrays(3)}]}]}`, maxDepth: 6, exceeds: true },
  { name: 'mixed nesting at the limit', text: `{"a":[{"b":[${arrays(3)}]}]}`, maxDepth: 7, exceeds: false },
  { name: 'siblings do not add up', text: `[${Array.from({ length: 1000 }, () => arrays(5)).join(',')}]`, maxDepth: 6, exceeds: false },
  { name: 'brackets inside strings do not count', text: `{"s":"${'[{'.repeat(500)}"}`, maxDepth: 1, exceeds: false },
  { name: 'an escaped quote does not end the string', text: `{"s":"a\\"[[[[[[","t":1}`, maxDepth: 1, exceeds: false },
  { name: 'an escaped backslash before a quote ends the string', text: `["a\\\\",[[1]]]`, maxDepth: 2, exceeds: true },
  { name: 'many backslashes before the closing quote', text: `["${'\\\\'.repeat(50)}",[[1]]]`, maxDepth: 3, exceeds: false },
  { name: 'unicode in strings', text: `{"名前":"ü[[[","x":[1]}`, maxDepth: 2, exceeds: false },
  { name: 'an unterminated string (JSON.parse refuses it next)', text: '["abc', maxDepth: 1, exceeds: false },
];

describe('reliability: JSON pre-scan, depth', () => {
  for (const c of CASES) {
    it(`${c.exceeds ? 'finds' : 'does not find'} too deep: ${c.name}`, () => {
      expect(jsonDepthExceeds(c.text, c.maxDepth)).to.equal(c.exceeds);
      // For valid JSON the scan agrees with the parsed value's depth.
      let parsed: unknown;
      try { parsed = JSON.parse(c.text); } catch { return; }
      expect(depthOf(parsed) > c.maxDepth, 'agrees with the parsed value').to.equal(c.exceeds);
    });
  }

  it('refuses 500 KB of `[[[[…` at the first level too deep, without reading the rest', () => {
    const text = arrays(250_000);
    const started = performance.now();
    expect(jsonDepthExceeds(text, 64)).to.equal(true);
    expect(performance.now() - started, 'ms').to.be.below(50);
  });
});

/** Depth of a parsed JSON value, iteratively (containers count one each). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') { max = Math.max(max, d); continue; }
    max = Math.max(max, d + 1);
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1]);
  }
  return max;
}

/** Whether a parsed value holds ±Infinity anywhere. */
function hasInfinity(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value as Record<string, unknown>).some(hasInfinity);
}

const OVERFLOW_CASES: Array<{ name: string; text: string; mayOverflow: boolean }> = [
  { name: 'a three-digit exponent', text: '{"a":1e400}', mayOverflow: true },
  { name: 'a three-digit exponent with a plus, a fraction and a sign', text: '[-1.5E+309]', mayOverflow: true },
  { name: 'a number at the top', text: '1e400', mayOverflow: true },
  { name: '210 integer digits and a two-digit exponent', text: `[1${'0'.repeat(240)}e70]`, mayOverflow: true },
  { name: 'after whitespace and a newline', text: '{\n  "n":\n    -1.5e400\n}', mayOverflow: true },
  { name: 'the largest exponent that always fits', text: '{"max":1e308,"n":12.5e99}', mayOverflow: true },
  { name: 'two-digit exponents', text: '[1e99,-2.5E+10,3e-99]', mayOverflow: false },
  { name: 'a three-digit negative exponent (it only underflows)', text: '{"tiny":1e-400}', mayOverflow: false },
  { name: 'exponent-like text inside strings', text: '{"messageId":"ajs-3e512-4e1000","id":"9e400","code":"E999"}', mayOverflow: false },
  { name: '209 integer digits', text: `[${'9'.repeat(209)}]`, mayOverflow: false },
  { name: 'long fractions', text: `[0.${'9'.repeat(400)}]`, mayOverflow: false },
];

describe('reliability: JSON pre-scan, numbers that may overflow to Infinity', () => {
  for (const c of OVERFLOW_CASES) {
    it(`${c.mayOverflow ? 'flags' : 'does not flag'} ${c.name}`, () => {
      expect(prescanJson(c.text, 64).mayOverflow).to.equal(c.mayOverflow);
    });
  }

  it('never misses a literal that JSON.parse turns into Infinity (any digits, fraction, exponent, sign)', () => {
    const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
    const literal = fc.tuple(
      fc.constantFrom('', '-'), fc.constantFrom('0', '1', '9'), digits(0, 320), fc.option(digits(1, 30)),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 5))),
    ).map(([sign, lead, rest, fraction, exponent]) => {
      const integer = lead === '0' ? '0' : lead + rest;
      return `${sign}${integer}${fraction === null ? '' : `.${fraction}`}${exponent === null ? '' : exponent.join('')}`;
    });
    fc.assert(fc.property(literal, fc.constantFrom('{"n":%}', '[1,%]', '%', '{"a":[{"b":\n %}]}'), (number, shape) => {
      const text = shape.replace('%', number);
      if (hasInfinity(JSON.parse(text))) expect(prescanJson(text, 64).mayOverflow, text).to.equal(true);
    }), { numRuns: 2_000 });
  });
});
