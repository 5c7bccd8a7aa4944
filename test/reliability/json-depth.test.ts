import { expect } from 'chai';
import { jsonDepthExceeds } from '../../engine/http/json-depth.ts';

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

describe('reliability: JSON depth pre-scan', () => {
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
