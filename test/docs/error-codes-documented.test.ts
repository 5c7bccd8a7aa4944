import fs from 'node:fs';
import { expect } from 'chai';
import { ERROR_CODES } from '../../engine/errors.ts';

describe('README documents every error code', () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const match of readme.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) rows.set(match[1]!, Number(match[2]));

  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    it(`documents ${code} with status ${status}`, () => {
      expect(rows.get(code), `README error table row for ${code}`).to.equal(status);
    });
  }

  it('documents no code the engine does not have', () => {
    expect([...rows.keys()].filter((code) => !(code in ERROR_CODES))).to.deep.equal([]);
  });
});
