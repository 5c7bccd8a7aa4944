import { expect } from 'chai';
import fc from 'fast-check';
import { prescanJson } from '../../engine/http/json-prescan.ts';

/** The texts of the batch elements the pre-scan found, or null. */
function elements(text: string): string[] | null {
  const spans = prescanJson(text, 64, true).batchSpans;
  if (spans === null) return null;
  const out: string[] = [];
  for (let k = 0; k < spans.length; k += 2) out.push(text.slice(spans[k], spans[k + 1]));
  return out;
}

const CASES: Array<{ name: string; text: string; elements: string[] | null }> = [
  { name: 'a batch of objects', text: '{"batch":[{"a":1},{"b":[2,3]}],"sentAt":"x"}', elements: ['{"a":1}', '{"b":[2,3]}'] },
  { name: 'whitespace around elements and separators', text: '{ "batch" : [\n  {"a":1} ,\r\n\t{"b":2}\n ] }', elements: ['{"a":1}', '{"b":2}'] },
  { name: 'elements of every JSON kind', text: '{"batch":["s,]",-1.5e3,true,null,[1,[2]],{"c":"}"}]}', elements: ['"s,]"', '-1.5e3', 'true', 'null', '[1,[2]]', '{"c":"}"}'] },
  { name: 'an empty batch', text: '{"batch":[]}', elements: [] },
  { name: 'batch after other keys whose values hold arrays', text: '{"context":{"batch":[9]},"list":[8],"batch":[{"a":1}]}', elements: ['{"a":1}'] },
  { name: 'the last of two batch keys (JSON.parse keeps it)', text: '{"batch":[{"old":1}],"batch":[{"new":1},{"new":2}]}', elements: ['{"new":1}', '{"new":2}'] },
  { name: 'a string value "batch" is not a key', text: '{"name":"batch","other":[1,2]}', elements: null },
  { name: 'batch that is not an array', text: '{"batch":{"0":{"a":1}}}', elements: null },
  { name: 'a key spelled with an escape (it may decode to batch)', text: '{"b\\u0061tch":[{"x":1}],"batch":[{"a":1}]}', elements: null },
  { name: 'an escaped key after the batch', text: '{"batch":[{"a":1}],"w\\u0072iteKey":"k"}', elements: null },
  { name: 'escapes inside the elements are fine', text: '{"batch":[{"q":"a\\"],[b"}]}', elements: ['{"q":"a\\"],[b"}'] },
  { name: 'no batch key', text: '{"messages":[{"a":1}]}', elements: null },
  { name: 'a top-level array', text: '[{"batch":[1]}]', elements: null },
  { name: 'a batch key inside an element', text: '{"batch":[{"batch":[1,2]}]}', elements: ['{"batch":[1,2]}'] },
];

describe('reliability: JSON pre-scan, the messages of a batch', () => {
  for (const c of CASES) {
    it(`${c.elements === null ? 'finds no elements' : `finds ${c.elements.length} elements`}: ${c.name}`, () => {
      expect(elements(c.text)).to.deep.equal(c.elements);
    });
  }

  it('finds nothing unless asked, and nothing when the body is too deep', () => {
    expect(prescanJson('{"batch":[{"a":1}]}', 64).batchSpans).to.equal(null);
    expect(prescanJson('{"batch":[{"a":[[[1]]]}]}', 4, true)).to.deep.equal({ tooDeep: true, mayOverflow: false, batchSpans: null });
  });

  it('scans a body of 100,000 top-level keys in linear time', () => {
    const text = `{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`).join(',')},"batch":[{"a":1}]}`;
    const started = performance.now();
    expect(elements(text)).to.deep.equal(['{"a":1}']);
    expect(performance.now() - started, 'ms').to.be.below(500);
  });

  it('finds exactly the elements JSON.parse returns, whatever the values, whitespace and other keys', () => {
    const ws = fc.constantFrom('', ' ', '\n', '\t ', '\r\n  ');
    // Elements as any JSON value, written with JSON.stringify (so strings hold escapes, quotes and brackets).
    const element = fc.tuple(ws, fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), ws);
    const other = fc.tuple(fc.constantFrom('"sentAt"', '"context"', '"batchx"', '"xbatch"', '"Batch"'), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)));
    fc.assert(fc.property(fc.array(element, { maxLength: 12 }), fc.array(other, { maxLength: 3 }), fc.array(other, { maxLength: 3 }), ws,
      (items, before, after, pad) => {
        const pairs = (list: Array<[string, string]>) => list.map(([k, v]) => `${pad}${k}${pad}:${pad}${v}`);
        const batch = `${pad}"batch"${pad}:${pad}[${items.map(([a, v, b]) => `${a}${v}${b}`).join(',')}${pad}]`;
        const text = `{${[...pairs(before), batch, ...pairs(after)].join(',')}}`;
        const parsed = JSON.parse(text) as { batch: unknown[] };
        const found = elements(text);
        expect(found, text).to.not.equal(null);
        expect(found!.map((e) => JSON.parse(e) as unknown), text).to.deep.equal(parsed.batch);
        expect(found, text).to.deep.equal(items.map(([, v]) => v));
      }), { numRuns: 500 });
  });
});
