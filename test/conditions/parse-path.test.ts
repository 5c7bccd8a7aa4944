import { expect } from 'chai';
import { JSONPath } from 'jsonpath-plus';
import { compilePath } from '../../engine/conditions/compile-path.ts';
import { parsePath } from '../../engine/conditions/parse-path.ts';

describe('conditions: paths', () => {
  const keyPaths: [string, (string | number)[]][] = [
    ['properties.order.total', ['properties', 'order', 'total']],
    ['items[0].sku', ['items', 0, 'sku']],
    ['items.0.sku', ['items', 0, 'sku']],
    ['properties["order id"]', ['properties', 'order id']],
    ["properties['a.b'][2]", ['properties', 'a.b', 2]],
    ['[0]', [0]],
    ['$', []],
    ['$.properties.order.total', ['properties', 'order', 'total']],
    ["$['properties'].items[3]", ['properties', 'items', 3]],
    ['traits.first name', ['traits', 'first name']],
  ];
  for (const [path, keys] of keyPaths) {
    it(`compiles ${path} to a key walk (no jsonpath-plus)`, () => {
      expect(parsePath(path)).to.deep.equal({ kind: 'keys', keys });
    });
  }

  for (const path of ['$.items[*].sku', '$..sku', '$.items[?(@.price > 10)]', '$.items[0:2]', "$['a','b']", '$.items[-1:]', '$.a.@string()']) {
    it(`leaves ${path} to jsonpath-plus`, () => {
      expect(parsePath(path).kind).to.equal('jsonpath');
    });
  }

  it('reads the same values as jsonpath-plus for simple $ paths', () => {
    const subject = { properties: { order: { total: 42, lines: [{ sku: 'A' }, { sku: 'B' }] }, 'order id': 7 } };
    for (const path of ['$.properties.order.total', '$.properties.order.lines[1].sku', "$['properties']['order id']", '$.properties.missing.x', '$.properties.order.lines']) {
      const reader = compilePath(path);
      if (reader.multi) throw new Error(`${path} should be simple`);
      const expected: unknown[] = JSONPath({ path, json: subject, wrap: true });
      expect(reader.read(subject) === undefined ? [] : [reader.read(subject)], path).to.deep.equal(expected);
    }
  });

  it('throws on an invalid path', () => {
    expect(() => compilePath('a[')).to.throw(TypeError, /path 'a\[' has an unclosed '\['/);
  });
});
